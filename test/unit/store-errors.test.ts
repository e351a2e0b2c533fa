// classifyStoreError: outage or permanent, from the driver's own error classes, labels and server codes.
import mongoose from 'mongoose';
import { classifyStoreError, STORE_ERROR_CODES } from '../../src/storage/store-errors';

const { mongo } = mongoose;
const serverError = (code: number, codeName: string, errorLabels: string[] = []) =>
  new mongo.MongoServerError({ code, codeName, errmsg: `${codeName} happened`, errorLabels });

describe('classifyStoreError', () => {
  it.each([
    ['a network error', new mongo.MongoNetworkError('connection closed')],
    ['a network timeout', new mongo.MongoNetworkTimeoutError('timed out')],
    [
      'no server selectable',
      new mongo.MongoServerSelectionError('Server selection timed out', { type: 'Unknown', servers: new Map() } as never),
    ],
    ['NotWritablePrimary (10107)', serverError(10107, 'NotWritablePrimary')],
    ['PrimarySteppedDown (189)', serverError(189, 'PrimarySteppedDown')],
    ['InterruptedDueToReplStateChange (11602)', serverError(11602, 'InterruptedDueToReplStateChange')],
    ['an unknown code with a RetryableWriteError label', serverError(4242, 'Whatever', ['RetryableWriteError'])],
    ['an unknown code with a TransientTransactionError label', serverError(4242, 'Whatever', ['TransientTransactionError'])],
    ['an error that is not the driver’s', new Error('socket hang up')],
  ])('%s is an outage: the job waits', (_what, err) => {
    expect(classifyStoreError('deliveries', err)).toEqual({ kind: 'outage' });
  });

  it.each([
    [121, 'DocumentValidationFailure', /validator on the collection/],
    [13, 'Unauthorized', /grant it the readWrite role/],
    [18, 'AuthenticationFailed', /user name or password in MONGODB_URI/],
    [8000, 'AtlasError', /Atlas/],
    [115, 'CommandNotSupported', /MongoDB 6\.0 or later/],
    [31337, 'SomethingNew', /see the detail/],
  ])('code %d (%s) is permanent, with what to do', (code, codeName, advice) => {
    const verdict = classifyStoreError('deliveries', serverError(code, codeName));
    expect(verdict).toMatchObject({
      kind: 'permanent',
      failure: { category: 'store', code: String(code), detail: `${codeName} happened` },
    });
    if (verdict.kind !== 'permanent') throw new Error('not permanent');
    expect(verdict.failure.reason).toMatch(advice);
    expect(verdict.failure.reason).toMatch(/retry the job \(npm run ops -- retry --category store --force\)/);
  });

  it('keeps one table: every code has a name, and outage codes have no advice', () => {
    for (const [code, entry] of STORE_ERROR_CODES) {
      expect(entry.name).toMatch(/^[A-Za-z0-9]+$/);
      expect(Number.isInteger(code)).toBe(true);
    }
    expect(STORE_ERROR_CODES.get(10107)?.advice).toBeUndefined();
    expect(STORE_ERROR_CODES.get(121)?.advice).toBeDefined();
  });
});
