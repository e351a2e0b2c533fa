// What the ERP's job becomes on the wire to Graph: every field the recipient sees, and nothing empty Graph refuses.
import { buildSendMailBody, sendMailBodyBytes, parseEmailJob } from '@omikai/graph-mailer-client';

const job = (input: Record<string, unknown>) =>
  parseEmailJob({ schemaVersion: 1, accountId: 'acc-1', to: [{ address: 'customer@example.com' }], subject: 'Invoice 1042', ...input });

describe('the Graph message built from a job', () => {
  it('keeps Reply-To, with names where given', () => {
    const body = buildSendMailBody(
      job({ html: '<p>x</p>', replyTo: [{ address: 'sales@contoso.example', name: 'Sales' }, { address: 'billing@contoso.example' }] }),
    );
    expect(body.message.replyTo).toEqual([
      { emailAddress: { address: 'sales@contoso.example', name: 'Sales' } },
      { emailAddress: { address: 'billing@contoso.example' } },
    ]);
  });

  it('leaves Reply-To out when the job has none or an empty list', () => {
    expect(buildSendMailBody(job({ html: 'x' })).message).not.toHaveProperty('replyTo');
    expect(buildSendMailBody(job({ html: 'x', replyTo: [] })).message).not.toHaveProperty('replyTo');
  });

  it('sends the HTML body when the job has both HTML and text', () => {
    expect(buildSendMailBody(job({ html: '<p>Hello</p>', text: 'Hello' })).message.body).toEqual({
      contentType: 'HTML',
      content: '<p>Hello</p>',
    });
  });

  it('sends an empty HTML body as HTML rather than falling back to the text', () => {
    expect(buildSendMailBody(job({ html: '', text: 'Hello' })).message.body).toEqual({ contentType: 'HTML', content: '' });
  });

  it('keeps every recipient list apart, bcc included', () => {
    const { message } = buildSendMailBody(
      job({ html: 'x', cc: [{ address: 'cc@example.com', name: 'C' }], bcc: [{ address: 'audit@contoso.example' }] }),
    );
    expect(message.toRecipients).toEqual([{ emailAddress: { address: 'customer@example.com' } }]);
    expect(message.ccRecipients).toEqual([{ emailAddress: { address: 'cc@example.com', name: 'C' } }]);
    expect(message.bccRecipients).toEqual([{ emailAddress: { address: 'audit@contoso.example' } }]);
  });

  it('marks inline attachments and keeps their content id, and leaves both out of ordinary ones', () => {
    const { message } = buildSendMailBody(
      job({
        html: '<img src="cid:logo">',
        attachments: [
          { name: 'logo.png', contentType: 'image/png', contentBase64: 'aGk=', contentId: 'logo', isInline: true },
          { name: 'a.pdf', contentType: 'application/pdf', contentBase64: 'aGk=', isInline: false },
        ],
      }),
    );
    expect(message.attachments).toEqual([
      {
        '@odata.type': '#microsoft.graph.fileAttachment',
        name: 'logo.png',
        contentType: 'image/png',
        contentBytes: 'aGk=',
        contentId: 'logo',
        isInline: true,
      },
      { '@odata.type': '#microsoft.graph.fileAttachment', name: 'a.pdf', contentType: 'application/pdf', contentBytes: 'aGk=' },
    ]);
  });

  it('leaves out importance, headers and attachments the job does not have, and saves to Sent Items by default', () => {
    const body = buildSendMailBody(job({ text: 'Hello', attachments: [] }));
    expect(body).toEqual({
      message: {
        subject: 'Invoice 1042',
        body: { contentType: 'Text', content: 'Hello' },
        toRecipients: [{ emailAddress: { address: 'customer@example.com' } }],
        ccRecipients: [],
        bccRecipients: [],
      },
      saveToSentItems: true,
    });
  });

  it('measures the request in UTF-8 bytes, as Graph counts its 4 MB', () => {
    const body = buildSendMailBody(job({ text: 'ä'.repeat(1000) }));
    expect(sendMailBodyBytes(body)).toBe(Buffer.byteLength(JSON.stringify(body), 'utf8'));
    expect(sendMailBodyBytes(body)).toBeGreaterThan(2000);
  });
});
