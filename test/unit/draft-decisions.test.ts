// The pure decisions of draft sending: the upload host check, the account's send mode, the path an
// e-mail takes, the draft-specific failure reasons, reading inline and stored attachments in pieces, and
// the payload's sha256 taken while they stream.
import { createHash, randomBytes } from 'node:crypto';
import { classifyDraftFailure } from '../../src/graph/classify-draft-result';
import { checkUploadUrl, cloudHasUploadSessions } from '../../src/graph/upload-url';
import {
  attachmentOffsets,
  base64DecodedBytes,
  inlineAttachmentSource,
  storedAttachmentSource,
  StreamedPayloadHash,
} from '../../src/sending/attachment-source';
import { chooseSendPath, encodedMessageBytes } from '../../src/sending/send-path';
import { readSendModeSettings } from '../../src/settings/send-mode';
import { DeliveryError } from '@omikai/graph-mailer-client';

const route = { sender: 'info@contoso.example', credentials: { tenantId: 't', clientId: 'app-1', clientSecret: 's' } };
const MB = 1024 * 1024;

describe('upload URL check', () => {
  it.each([
    ['https://outlook.office.com/api/v2.0/Users(x)/AttachmentSessions(y)?authtoken=abc', 'global'],
    ['https://outlook.office365.com/api/v2.0/x?authtoken=abc', 'global'],
    ['https://partner.outlook.cn/api/x?authtoken=abc', 'china'],
  ] as const)('accepts %s in the %s cloud', (url, cloud) => {
    expect(checkUploadUrl(url, cloud).ok).toBe(true);
  });

  it.each([
    ['https://evil.example/upload?authtoken=abc', /points to evil\.example/],
    ['https://outlook.office.com.evil.example/x?authtoken=abc', /points to outlook\.office\.com\.evil\.example/],
    ['http://outlook.office.com/x?authtoken=abc', /not https/],
    ['https://outlook.office.com:8443/x?authtoken=abc', /points to outlook\.office\.com:8443/],
    ['https://user:pw@outlook.office.com/x', /user info/],
    [42, /no upload URL/],
  ])('refuses %s, naming the host but never the token', (url, problem) => {
    const check = checkUploadUrl(url, 'global');
    expect(check).toEqual({ ok: false, problem: expect.stringMatching(problem) });
    expect(JSON.stringify(check)).not.toContain('authtoken');
  });

  it('accepts the configured simulator origin only, and a global host is not a China one', () => {
    expect(checkUploadUrl('https://127.0.0.1:8444/u?authtoken=a', 'global', 'https://127.0.0.1:8444').ok).toBe(true);
    expect(checkUploadUrl('https://127.0.0.1:8445/u?authtoken=a', 'global', 'https://127.0.0.1:8444').ok).toBe(false);
    expect(checkUploadUrl('https://outlook.office.com/x', 'china').ok).toBe(false);
  });

  it('knows which clouds lack upload sessions', () => {
    expect([cloudHasUploadSessions('global'), cloudHasUploadSessions('china')]).toEqual([true, true]);
    expect([cloudHasUploadSessions('usgov'), cloudHasUploadSessions('usgov-dod')]).toEqual([false, false]);
  });
});

describe('send mode settings', () => {
  it('defaults to direct and 35 MB', () => {
    expect(readSendModeSettings({ accountId: 'a' })).toEqual({ mode: 'direct', maxSendSizeBytes: 35 * MB });
  });
  it('reads a mode in any case and a size in MB as text or number', () => {
    expect(readSendModeSettings({ accountId: 'a', sendMode: 'Draft', maxSendSizeMb: '150' })).toEqual({
      mode: 'draft',
      maxSendSizeBytes: 150 * MB,
    });
  });
  it.each([
    [{ sendMode: 'drafts' }, 'InvalidSendMode', /microsoftGraph\.sendMode/],
    [{ maxSendSizeMb: '151' }, 'InvalidMaxSendSize', /1 to 150/],
    [{ maxSendSizeMb: 'lots' }, 'InvalidMaxSendSize', /microsoftGraph\.maxSendSizeMb/],
  ])('refuses %j as a settings failure', (settings, code, reason) => {
    try {
      readSendModeSettings({ accountId: 'a', ...settings });
      throw new Error('no error');
    } catch (err: unknown) {
      expect(err).toBeInstanceOf(DeliveryError);
      expect((err as DeliveryError).failure).toMatchObject({ category: 'settings', code, reason: expect.stringMatching(reason) });
    }
  });
});

describe('send path', () => {
  const input = (mode: 'direct' | 'draft' | 'auto', requestBytes: number, encoded = requestBytes, uploadSessions = true) => ({
    accountId: 'acc-1',
    sender: 'info@contoso.example',
    settings: { mode, maxSendSizeBytes: 35 * MB },
    cloud: uploadSessions ? ('global' as const) : ('usgov' as const),
    uploadSessions,
    sendMailRequestBytes: () => requestBytes,
    encodedMessageBytes: encoded,
  });
  it('auto: direct up to 4 MB, draft above', () => {
    expect(chooseSendPath(input('auto', 3_000_000))).toBe('direct');
    expect(chooseSendPath(input('auto', 5_000_000))).toBe('draft');
  });
  it('auto without upload sessions keeps to direct and refuses what does not fit', () => {
    expect(chooseSendPath(input('auto', 3_000_000, 3_000_000, false))).toBe('direct');
    expect(() => chooseSendPath(input('auto', 5_000_000, 5_000_000, false))).toThrow(/usgov cloud has no upload sessions/);
  });
  it('direct refuses over 4 MB, pointing to auto or draft', () => {
    expect(() => chooseSendPath(input('direct', 5_000_000))).toThrow(/sendMode = auto or draft/);
  });
  it("draft refuses an e-mail over the account's size, naming Set-Mailbox -MaxSendSize", () => {
    expect(() => chooseSendPath(input('draft', 40 * MB, 40 * MB))).toThrow(/Set-Mailbox -MaxSendSize/);
  });
  it('counts attachments as base64', () => {
    expect(encodedMessageBytes(0, [{ sizeBytes: 3 * MB }]) - encodedMessageBytes(0, [])).toBe(4 * MB);
  });
});

describe('draft failures', () => {
  const response = (status: number, errorCode: string, errorMessage = '') => ({
    kind: 'response' as const,
    status,
    errorCode,
    errorMessage,
  });
  it('403 on draft creation is Mail.ReadWrite missing; the access policy keeps its own category', () => {
    expect(classifyDraftFailure('create', response(403, 'ErrorAccessDenied', 'Access is denied.'), route, 0)).toMatchObject({
      category: 'permission',
      code: 'MailReadWriteMissing',
    });
    expect(classifyDraftFailure('create', response(403, 'ErrorAccessDenied', 'Access to OData is disabled.'), route, 0).category).toBe(
      'policy-denied',
    );
  });
  it('a 404 on a later step is the draft deleted in the mailbox (retried with a new draft)', () => {
    expect(classifyDraftFailure('send', response(404, 'ErrorItemNotFound'), route, 0)).toMatchObject({
      category: 'transient',
      code: 'DraftDeleted',
    });
  });
  it('an upload refused with 404 is an expired session', () => {
    expect(classifyDraftFailure('upload', response(404, 'ErrorItemNotFound'), route, 0)).toMatchObject({ code: 'UploadSessionExpired' });
  });
  it('a full mailbox and a message over the size limit', () => {
    expect(classifyDraftFailure('create', response(403, 'ErrorQuotaExceeded', 'quota'), route, 0)).toMatchObject({
      category: 'sender-mailbox',
    });
    expect(classifyDraftFailure('send', response(400, 'ErrorMessageSizeExceeded', 'too big'), route, 0).reason).toMatch(
      /Set-Mailbox -MaxSendSize/,
    );
  });
});

describe('inline attachment source', () => {
  it('yields the decoded bytes from any offset, without decoding the whole file at once', async () => {
    const bytes = randomBytes(2 * MB + 5);
    const source = inlineAttachmentSource({ name: 'a', contentType: 'x', contentBase64: bytes.toString('base64') });
    expect(source.sizeBytes).toBe(bytes.length);
    for (const from of [0, 1, 2, 3, 786_433, bytes.length - 1]) {
      const pieces: Buffer[] = [];
      for await (const piece of source.open(from)) pieces.push(Buffer.from(piece));
      expect(pieces.length).toBe(Math.ceil((bytes.length - Math.floor(from / 3) * 3) / 786_432));
      expect(Buffer.concat(pieces).equals(bytes.subarray(from))).toBe(true);
    }
    expect(base64DecodedBytes('QQ==')).toBe(1);
  });
});

describe('stored attachment source and the streamed payload hash', () => {
  /** A payload in memory with the store's stream(start, end), counting the bytes it hands out. */
  function memoryPayload(data: Buffer, pieceBytes = 1000) {
    const served = { bytes: 0 };
    return {
      served,
      async *stream(start: number, end: number) {
        for (let at = start; at < Math.min(end, data.length); at += pieceBytes) {
          const piece = data.subarray(at, Math.min(at + pieceBytes, end, data.length));
          served.bytes += piece.length;
          yield piece;
        }
      },
    };
  }
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  const layout = {
    htmlBytes: 100,
    attachments: [
      { name: 'a.pdf', contentType: 'x', bytes: 5000 },
      { name: 'b.pdf', contentType: 'x', bytes: 3333 },
    ],
  };
  const data = randomBytes(100 + 5000 + 3333);
  const shortRead = (name: string, read: number): never => {
    throw new Error(`${name} short after ${read}`);
  };
  async function drain(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for await (const piece of source) pieces.push(Buffer.from(piece));
    return Buffer.concat(pieces);
  }

  it('sizes come from the layout; each file streams its own range from any byte on', async () => {
    const payload = memoryPayload(data);
    const hash = new StreamedPayloadHash(payload, data.length, sha(data));
    const offsets = attachmentOffsets(layout);
    expect(offsets).toEqual([100, 5100]);
    const [a, b] = layout.attachments.map((file, i) => storedAttachmentSource(file, offsets[i]!, payload, hash, shortRead));
    expect([a!.sizeBytes, b!.sizeBytes]).toEqual([5000, 3333]);
    expect(payload.served.bytes).toBe(0);
    expect((await drain(a!.open(0))).equals(data.subarray(100, 5100))).toBe(true);
    expect((await drain(b!.open(1234))).equals(data.subarray(5100 + 1234))).toBe(true);
  });

  it('the hash is taken from the bytes as they stream; only bytes never streamed are read again', async () => {
    const payload = memoryPayload(data);
    const hash = new StreamedPayloadHash(payload, data.length, sha(data));
    const [a, b] = layout.attachments.map((file, i) =>
      storedAttachmentSource(file, attachmentOffsets(layout)[i]!, payload, hash, shortRead),
    );
    await drain(payload.stream(0, 100)); // the bodies are read by the caller, which feeds the hash itself
    for await (const piece of payload.stream(0, 100)) hash.take(0, piece);
    await drain(a!.open(0));
    await drain(a!.open(2500)); // a resumed upload reads part again: counted once
    await drain(b!.open(0));
    const before = payload.served.bytes;
    expect(await hash.matches()).toBe(true);
    expect(payload.served.bytes).toBe(before);
  });

  it('files an earlier attempt attached are read when the hash is asked for, and a changed byte is found', async () => {
    const changed = Buffer.from(data);
    changed[200] = changed[200]! ^ 1;
    const payload = memoryPayload(changed);
    const hash = new StreamedPayloadHash(payload, data.length, sha(data));
    const b = storedAttachmentSource(layout.attachments[1]!, 5100, payload, hash, shortRead);
    await drain(b.open(0)); // the first file and the bodies were not streamed in this attempt
    expect(await hash.matches()).toBe(false);
    expect(payload.served.bytes).toBe(3333 + data.length);
  });

  it('a range that ends short is reported, not padded', async () => {
    const payload = memoryPayload(data.subarray(0, 3000));
    const hash = new StreamedPayloadHash(payload, data.length, sha(data));
    const a = storedAttachmentSource(layout.attachments[0]!, 100, payload, hash, shortRead);
    await expect(drain(a.open(0))).rejects.toThrow('a.pdf short after 2900');
    expect(await hash.matches()).toBe(false);
  });
});
