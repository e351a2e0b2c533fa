import { readFileSync } from 'node:fs';
import {
  EmailJobValidationError,
  graphRequestSizeProblem,
  parseEmailJob,
  type EmailJobInput,
  buildSendMailBody,
} from '@omikai/graph-mailer-client';
import { JSON_SCHEMA_PATH, renderEmailJobJsonSchema } from '../../src/jobs/json-schema';

const valid: EmailJobInput = {
  accountId: 'acc-1',
  to: [{ address: 'customer@example.com', name: 'Customer' }],
  subject: 'Invoice 1042',
  html: '<p>Hello</p>',
};
const parse = (input: Record<string, unknown>) => parseEmailJob({ schemaVersion: 1, ...input });

function problemsOf(input: Record<string, unknown>): string[] {
  try {
    parse(input);
  } catch (err: unknown) {
    if (err instanceof EmailJobValidationError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('the e-mail job contract', () => {
  it('accepts a minimal job and defaults saveToSentItems to true', () => {
    expect(parse({ ...valid })).toMatchObject({ accountId: 'acc-1', saveToSentItems: true });
  });

  it('names each bad field in one error', () => {
    const problems = problemsOf({ ...valid, to: [{ address: 'not-an-address' }], importance: 'urgent', subject: 5 });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^to\[0\]\.address: must be an e-mail address/),
        expect.stringMatching(/^importance:/),
        expect.stringMatching(/^subject:/),
      ]),
    );
  });

  it('requires 1 to 500 recipients across to, cc and bcc', () => {
    expect(problemsOf({ ...valid, to: [] })).toEqual([expect.stringContaining('1 to 500 recipients (got 0)')]);
    const many = Array.from({ length: 250 }, (_, i) => ({ address: `r${i}@example.com` }));
    expect(problemsOf({ ...valid, to: many, cc: many, bcc: [{ address: 'one-more@example.com' }] })).toEqual([
      expect.stringContaining('(got 501)'),
    ]);
    expect(parse({ ...valid, to: many, cc: many }).to).toHaveLength(250);
  });

  it('refuses unknown fields, a wrong schema version, and sender or credential fields', () => {
    expect(problemsOf({ ...valid, from: 'ceo@contoso.example' })).toEqual([expect.stringContaining('from')]);
    expect(problemsOf({ ...valid, clientSecret: 'x' })).toEqual([expect.stringContaining('clientSecret')]);
    expect(() => parseEmailJob({ ...valid, schemaVersion: 3 })).toThrow(/schemaVersion: must be one of 1, 2/);
    expect(parseEmailJob({ ...valid, schemaVersion: 2 }).schemaVersion).toBe(2);
  });

  it('a 10 MB base64 string yields a validation result, not a RangeError', () => {
    const tenMb = 'QUJD'.repeat(2_500_000);
    const job = parse({ ...valid, attachments: [{ name: 'big.bin', contentType: 'application/octet-stream', contentBase64: tenMb }] });
    expect(job.attachments?.[0]?.contentBase64).toHaveLength(10_000_000);
    expect(problemsOf({ ...valid, attachments: [{ name: 'a', contentType: 'text/plain', contentBase64: `${tenMb}!` }] })).toEqual([
      expect.stringContaining('attachments[0].contentBase64: must be base64'),
    ]);
  });

  it('accepts base64 with one or two = of padding, and refuses = inside or a length not a multiple of 4', () => {
    const accepts = (contentBase64: string) =>
      parse({ ...valid, attachments: [{ name: 'a', contentType: 'text/plain', contentBase64 }] }).attachments?.length === 1;
    expect([accepts(''), accepts('QQ=='), accepts('QUI='), accepts('QUJD'), accepts('ab+/')]).toEqual([true, true, true, true, true]);
    for (const bad of ['QQ=', 'Q===', 'QU=D', 'QUJ', 'QUJD=', 'QU\nJ', '====']) {
      expect(problemsOf({ ...valid, attachments: [{ name: 'a', contentType: 'text/plain', contentBase64: bad }] })).toEqual([
        expect.stringContaining('must be base64'),
      ]);
    }
  });

  it('schemaVersion 2 holds the content in the payload store behind a reference, never both, with a layout that adds up', () => {
    const reference = {
      id: '0123456789abcdef01234567',
      sha256: 'a'.repeat(64),
      bytes: 15,
      htmlBytes: 5,
      attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', bytes: 10 }],
    };
    const { html: _html, ...envelope } = valid;
    expect(parseEmailJob({ ...envelope, schemaVersion: 2, content: reference }).content).toEqual(reference);
    const problems = (data: Record<string, unknown>) => {
      try {
        parseEmailJob(data);
        return [];
      } catch (err: unknown) {
        return (err as EmailJobValidationError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems({ ...envelope, schemaVersion: 1, content: reference })).toEqual(['content: needs schemaVersion 2']);
    expect(problems({ ...valid, schemaVersion: 2, content: reference })).toEqual([expect.stringMatching(/^html: must be absent/)]);
    expect(problems({ ...envelope, schemaVersion: 2, content: { ...reference, bytes: 16 } })).toEqual([
      expect.stringMatching(/^content\.bytes: must equal/),
    ]);
    // A 100 MB file (draft mode sends up to MaxSendSize, at most 150 MB encoded) is a valid reference.
    const large = { ...reference, bytes: 100 * 1024 * 1024 + 5, attachments: [{ ...reference.attachments[0]!, bytes: 100 * 1024 * 1024 }] };
    expect(parseEmailJob({ ...envelope, schemaVersion: 2, content: large }).content).toEqual(large);
    const over = { ...large, bytes: 151 * 1024 * 1024 + 5, attachments: [{ ...large.attachments[0]!, bytes: 151 * 1024 * 1024 }] };
    expect(problems({ ...envelope, schemaVersion: 2, content: over })).toEqual([
      expect.stringMatching(/^content\.bytes: Too big/),
      expect.stringMatching(/^content\.attachments\[0\]\.bytes: Too big/),
    ]);
    // The id is a file name and an _id: nothing but 24 lower-case hex digits.
    for (const id of ['../../etc/passwd', '0123456789ABCDEF01234567', '0123456789abcdef0123456', { $ne: null }]) {
      expect(problems({ ...envelope, schemaVersion: 2, content: { ...reference, id } }).length).toBeGreaterThan(0);
    }
  });

  it('allows at most 5 custom headers, each named x-…', () => {
    expect(problemsOf({ ...valid, headers: { 'Reply-By': 'x' } })).toEqual([expect.stringContaining('must start with x-')]);
    const six = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`x-h${i}`, 'v']));
    expect(problemsOf({ ...valid, headers: six })).toEqual([expect.stringContaining('at most 5 custom headers')]);
  });

  it('names a bad correlation field by its name, and allows at most 10 fields', () => {
    expect(problemsOf({ ...valid, correlation: { 'invoice no': '1042', documentId: '1042' } })).toEqual([
      'correlation.invoice no: correlation field names use letters, digits, _ and - (at most 64)',
    ]);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`field_${i}`, 'v']));
    expect(problemsOf({ ...valid, correlation: eleven })).toEqual(['correlation: at most 10 correlation fields']);
    expect(parse({ ...valid, correlation: { documentType: 'invoice', 'document-id': '1042' } }).correlation).toEqual({
      documentType: 'invoice',
      'document-id': '1042',
    });
  });

  it('finds attachments that would push the Graph request over 4 MB, and says so', () => {
    const threeMb = Buffer.alloc(3_100_000, 1).toString('base64');
    const big = parse({ ...valid, attachments: [{ name: 'big.pdf', contentType: 'application/pdf', contentBase64: threeMb }] });
    expect(graphRequestSizeProblem(big)).toEqual({
      path: 'attachments',
      message: expect.stringMatching(/^the Graph sendMail request would be 4\.\d MB; the limit is 4 MB/),
    });
    const twoMb = Buffer.alloc(2_000_000, 1).toString('base64');
    expect(
      graphRequestSizeProblem(parse({ ...valid, attachments: [{ name: 'ok.pdf', contentType: 'application/pdf', contentBase64: twoMb }] })),
    ).toBeUndefined();
  });

  it('refuses attachment content that is not base64', () => {
    expect(problemsOf({ ...valid, attachments: [{ name: 'a', contentType: 'text/plain', contentBase64: 'not base64!' }] })).toEqual([
      expect.stringContaining('attachments[0].contentBase64: must be base64'),
    ]);
  });

  it('requires html or text, and a sendAt with a time zone', () => {
    expect(problemsOf({ accountId: 'a', to: valid.to, subject: 's' })).toEqual([expect.stringContaining('html: give html or text')]);
    expect(problemsOf({ ...valid, sendAt: '2026-12-01 08:00' })).toEqual([
      expect.stringContaining('sendAt: must be an ISO 8601 date-time'),
    ]);
  });
});

describe('control characters in the job', () => {
  const attachment = { name: 'invoice.pdf', contentType: 'application/pdf', contentBase64: 'JVBERi0=' };

  it.each([
    ['CR LF', 'yes\r\nBcc: attacker@evil.example'],
    ['a lone LF', 'yes\nX-Injected: 1'],
    ['NUL', 'yes\u0000'],
    ['ESC (terminal escape)', '\u001b]52;c;aGk=\u0007'],
    ['DEL', 'yes\u007f'],
    ['a C1 control (CSI)', 'yes\u009b2J'],
  ])('refuses %s in a custom header value, naming the header', (_what, value) => {
    expect(problemsOf({ ...valid, headers: { 'x-erp-ref': value } })).toEqual([
      'headers.x-erp-ref: must not contain control characters (CR, LF, tab and others)',
    ]);
  });

  it('refuses control characters in a custom header name', () => {
    expect(problemsOf({ ...valid, headers: { 'x-ref\r\nBcc': 'v' } })).toEqual([
      expect.stringContaining('header names must start with x-'),
    ]);
  });

  it('refuses control characters in an attachment content type', () => {
    expect(problemsOf({ ...valid, attachments: [{ ...attachment, contentType: 'application/pdf\r\nX-Injected: 1' }] })).toEqual([
      'attachments[0].contentType: must not contain control characters (CR, LF, tab and others)',
    ]);
  });

  it('turns control characters in the subject and attachment names into spaces, keeping the mail', () => {
    const job = parse({
      ...valid,
      subject: 'Invoice 1042\r\n\tdue\u0000 now\u009b',
      attachments: [{ ...attachment, name: 'invoice\r\n1042\u001b.pdf' }],
    });
    expect(job.subject).toBe('Invoice 1042   due  now ');
    expect(job.attachments?.[0]?.name).toBe('invoice  1042 .pdf');
  });

  it('turns control characters in recipient and reply-to display names into spaces, keeping the addresses', () => {
    const job = parse({
      ...valid,
      to: [{ address: 'anna@example.com', name: 'Anna\r\nBcc: attacker@evil.example' }],
      replyTo: [{ address: 'desk@example.com', name: 'Desk\u001b]52;c;aGk=\u0007' }],
    });
    expect(job.to?.[0]).toEqual({ address: 'anna@example.com', name: 'Anna  Bcc: attacker@evil.example' });
    expect(job.replyTo?.[0]).toEqual({ address: 'desk@example.com', name: 'Desk ]52;c;aGk= ' });
  });

  it('keeps ordinary text, accents and emoji as they are', () => {
    const subject = 'Facture n° 1042 — échéance 🙂 «ok»';
    expect(parse({ ...valid, subject }).subject).toBe(subject);
    expect(parse({ ...valid, headers: { 'x-ref': 'Müller & Söhne; a=b' } }).headers).toEqual({ 'x-ref': 'Müller & Söhne; a=b' });
  });
});

describe('buildSendMailBody', () => {
  it('maps the job to the Graph message, leaving out empty header lists', () => {
    const body = buildSendMailBody(
      parse({
        ...valid,
        cc: [{ address: 'cc@example.com' }],
        importance: 'high',
        saveToSentItems: false,
        attachments: [{ name: 'a.txt', contentType: 'text/plain', contentBase64: 'aGk=' }],
      }),
    );
    expect(body).toEqual({
      message: {
        subject: 'Invoice 1042',
        body: { contentType: 'HTML', content: '<p>Hello</p>' },
        toRecipients: [{ emailAddress: { address: 'customer@example.com', name: 'Customer' } }],
        ccRecipients: [{ emailAddress: { address: 'cc@example.com' } }],
        bccRecipients: [],
        importance: 'high',
        attachments: [{ '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.txt', contentType: 'text/plain', contentBytes: 'aGk=' }],
      },
      saveToSentItems: false,
    });
  });

  it('uses the text body when there is no html, and passes custom headers', () => {
    const body = buildSendMailBody(parse({ ...valid, html: undefined, text: 'Hello', headers: { 'x-omikai-document': 'INV-1042' } }));
    expect(body.message.body).toEqual({ contentType: 'Text', content: 'Hello' });
    expect(body.message.internetMessageHeaders).toEqual([{ name: 'x-omikai-document', value: 'INV-1042' }]);
  });
});

describe('the published JSON Schema', () => {
  it('is the one generated from the zod schema (run npm run schema after changing the contract)', () => {
    expect(readFileSync(JSON_SCHEMA_PATH, 'utf8')).toBe(renderEmailJobJsonSchema());
  });

  it('requires schemaVersion, accountId and subject and forbids unknown fields', () => {
    const schema = JSON.parse(renderEmailJobJsonSchema()) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'accountId', 'subject']));
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('graphRequestSizeProblem bound', () => {
  it('agrees with the exact size for bodies full of characters JSON must escape', () => {
    const escaped = '"\u0001'.repeat(700_000);
    expect(graphRequestSizeProblem(parse({ ...valid, html: escaped }))).toMatchObject({ path: 'attachments' });
    expect(graphRequestSizeProblem(parse({ ...valid, html: '"'.repeat(1_000_000) }))).toBeUndefined();
  });
});
