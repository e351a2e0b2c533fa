// Recipient addresses never leave the delivery record in a reason: Graph's text names them, the
// reason shows which recipient of the job it was (to[1]) instead; the sender mailbox stays named.
import { maskAddresses, maskFailureAddresses } from '../../src/delivery/address-masking';

const email = {
  to: [{ address: 'customer@example.com' }, { address: 'Purchasing@Fabrikam.example' }],
  cc: [{ address: 'boss@fabrikam.example' }],
  bcc: [{ address: 'secret-watcher@tailspin.example' }],
  replyTo: [{ address: 'replies@contoso.example' }],
};
const context = { sender: 'info@contoso.example', email };

describe('maskAddresses', () => {
  it("replaces a recipient Graph names by its place in the job, whatever Graph's casing", () => {
    const graph = "At least one recipient isn't valid., Recipient 'purchasing@fabrikam.example' isn't resolved.";
    expect(maskAddresses(graph, context)).toBe("At least one recipient isn't valid., Recipient '<to[1]>' isn't resolved.");
  });

  it('names cc, bcc and reply-to recipients by their list', () => {
    expect(maskAddresses('a boss@fabrikam.example b <secret-watcher@tailspin.example> c replies@contoso.example.', context)).toBe(
      'a <cc[0]> b <<bcc[0]>> c <replyTo[0]>.',
    );
  });

  it('keeps the sender mailbox, which admins need', () => {
    expect(
      maskAddresses('Sender INFO@contoso.example is blocked; Test-ApplicationAccessPolicy -Identity info@contoso.example', context),
    ).toBe('Sender INFO@contoso.example is blocked; Test-ApplicationAccessPolicy -Identity info@contoso.example');
  });

  it('hides any other address, and every address when there is no context', () => {
    expect(maskAddresses('forwarded to someone@else.example and x.y+z@a-b.example', context)).toBe('forwarded to <address> and <address>');
    expect(maskAddresses("Recipient 'customer@example.com' isn't resolved", {})).toBe("Recipient '<address>' isn't resolved");
  });

  it('returns text without addresses as it is', () => {
    const text = 'Graph is throttling sends (ApplicationThrottled); waiting as Graph asked. @ alone, a@ and @b stay.';
    expect(maskAddresses(text, context)).toBe(text);
  });

  it('scans long text in one pass (no pattern that backtracks)', () => {
    const long = `${'a'.repeat(200_000)}@${'b.'.repeat(100_000)}x ${'@'.repeat(100_000)}`;
    expect(maskAddresses(long, {})).toBe(`<address> ${'@'.repeat(100_000)}`);
  });
});

describe('maskFailureAddresses', () => {
  it('masks the reason and the detail Graph sent, and keeps everything else', () => {
    const failure = {
      category: 'invalid-recipient' as const,
      code: 'ErrorInvalidRecipients',
      httpStatus: 400,
      graphRequestId: 'req-1',
      reason: "Graph refused a recipient address (Graph: Recipient 'customer@example.com' isn't resolved).",
      detail: "Recipient 'customer@example.com' isn't resolved.",
    };
    expect(maskFailureAddresses(failure, context)).toEqual({
      ...failure,
      reason: "Graph refused a recipient address (Graph: Recipient '<to[0]>' isn't resolved).",
      detail: "Recipient '<to[0]>' isn't resolved.",
    });
  });
});

describe('maskFailureAddresses and the procedure', () => {
  it('masks recipient addresses in the procedure too, and keeps the sender mailbox named there', () => {
    const failure = {
      category: 'policy-denied' as const,
      reason: 'Sender info@contoso.example is blocked.',
      procedure: 'Test-ApplicationAccessPolicy -Identity info@contoso.example\nNotify customer@example.com',
    };
    expect(maskFailureAddresses(failure, context).procedure).toBe(
      'Test-ApplicationAccessPolicy -Identity info@contoso.example\nNotify <to[0]>',
    );
  });
});
