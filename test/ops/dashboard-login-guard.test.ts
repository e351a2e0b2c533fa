// Dashboard sign-in under attack: failures are limited per (address, user) and per address, checked
// before any scrypt work; every path does the same scrypt work, so timing does not reveal user names.
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthenticator, type AuthResult } from '../../src/dashboard/basic-auth';
import { createDashboardApp } from '../../src/dashboard/dashboard-app';
import { parseDashboardUsers } from '../../src/dashboard/dashboard-users';
import { hashPassword, verifyPassword, type PasswordSecret } from '../../src/dashboard/password-hash';
import { capturedLogger } from '../support/captured-logger';
import { basicAuthHeader } from './support/http';

const cheap = { N: 1024, r: 8, p: 1 };
const LIMITS = { failuresPerUserAndAddress: 3, failuresPerAddress: 5, userAndAddressWindowMs: 60_000, addressWindowMs: 60_000 };

/** Users with a cheap hash (anna) and a plain-text demo password (ben); every verification is counted. */
async function countedAuthenticator(limits: Partial<typeof LIMITS> & { maxConcurrentChecks?: number } = {}) {
  const hash = await hashPassword('anna-password-1', cheap);
  const { users, problems } = parseDashboardUsers(`anna:operator:${hash},ben:viewer:ben-password-12`, {
    allowPlaintext: true,
    minimumScryptN: 1024,
  });
  expect(problems).toEqual([]);
  /** The scrypt cost (N) of each key derivation, or 'plain' for a digest comparison. */
  const work: (number | 'plain')[] = [];
  const verify = (password: string, secret: PasswordSecret) => {
    work.push(secret.kind === 'scrypt' ? secret.N : 'plain');
    return verifyPassword(password, secret);
  };
  const authenticator = createAuthenticator(users, { limits: { ...LIMITS, ...limits }, verify });
  const attempt = (name: string, password: string, address = '203.0.113.7'): Promise<AuthResult> =>
    authenticator.authenticate(basicAuthHeader(name, password).authorization, address);
  return { attempt, work };
}

describe('the same scrypt work on every path', () => {
  it.each([
    ['a wrong password for a hashed user', 'anna', 'wrong-password-1'],
    ['an unknown user', 'mallory', 'wrong-password-1'],
    ['a wrong plain-text password (demo set-ups)', 'ben', 'wrong-password-1'],
    ['the right plain-text password', 'ben', 'ben-password-12'],
    ['the right hashed password', 'anna', 'anna-password-1'],
  ])('%s costs one scrypt at the users’ cost', async (_case, name, password) => {
    const { attempt, work } = await countedAuthenticator();
    await attempt(name, password);
    expect(work.filter((w) => w !== 'plain')).toEqual([1024]);
  });
});

describe('failure limits', () => {
  it('after 3 failures for one user from one address, the next attempt is refused before any scrypt work', async () => {
    const { attempt, work } = await countedAuthenticator();
    for (let i = 0; i < 3; i++) expect(await attempt('anna', `guess-${i}`)).toMatchObject({ kind: 'wrong', name: 'anna' });
    const scryptRuns = work.length;

    const refused = await attempt('anna', 'anna-password-1');

    expect(refused).toMatchObject({ kind: 'limited', name: 'anna', retryAfterMs: expect.any(Number) });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(work.length).toBe(scryptRuns);
  });

  it('locks out the address for that user only: the user from elsewhere, and others from there, still sign in', async () => {
    const { attempt } = await countedAuthenticator();
    for (let i = 0; i < 3; i++) await attempt('anna', `guess-${i}`);
    expect(await attempt('anna', 'anna-password-1', '198.51.100.20')).toMatchObject({ kind: 'ok', user: { name: 'anna' } });
    expect(await attempt('ben', 'ben-password-12')).toMatchObject({ kind: 'ok', user: { name: 'ben' } });
  });

  it('limits an address that tries many user names', async () => {
    const { attempt, work } = await countedAuthenticator();
    for (let i = 0; i < 5; i++) expect((await attempt(`user-${i}`, 'guess')).kind).toBe('wrong');
    const scryptRuns = work.length;
    expect(await attempt('anna', 'anna-password-1')).toMatchObject({ kind: 'limited' });
    expect(work.length).toBe(scryptRuns);
  });

  it('a successful sign-in clears the failures of that user at that address', async () => {
    const { attempt } = await countedAuthenticator({ failuresPerAddress: 100 });
    await attempt('anna', 'guess-1');
    await attempt('anna', 'guess-2');
    expect((await attempt('anna', 'anna-password-1')).kind).toBe('ok');
    await attempt('anna', 'guess-3');
    await attempt('anna', 'guess-4');
    expect((await attempt('anna', 'guess-5')).kind).toBe('wrong');
  });

  it('many attempts at once do no more than the limit plus the checks already running', async () => {
    const { attempt, work } = await countedAuthenticator({ maxConcurrentChecks: 2 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt('anna', `guess-${i}`)));
    expect(results.filter((r) => r.kind === 'wrong').length).toBeLessThanOrEqual(4);
    expect(results.filter((r) => r.kind === 'limited').length).toBeGreaterThanOrEqual(16);
    expect(work.length).toBeLessThanOrEqual(4);
  });
});

describe('over HTTP', () => {
  let queue: Queue;
  let server: Server;
  let url: string;
  let logs: ReturnType<typeof capturedLogger>;
  const failures: string[] = [];

  async function serve(trustProxy: false | string[]) {
    const hash = await hashPassword('victor-password-1', cheap);
    const { users } = parseDashboardUsers(`victor:viewer:${hash}`, { allowPlaintext: false, minimumScryptN: 1024 });
    const app = createDashboardApp({
      queues: [queue],
      users,
      basePath: '/',
      logger: logs.logger,
      trustProxy,
      loginLimits: LIMITS,
      onLoginFailure: (reason) => failures.push(reason),
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeEach(() => {
    queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
    logs = capturedLogger('info');
    failures.length = 0;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await queue.close();
  });

  const get = (name: string, password: string, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/queues`, { headers: { ...basicAuthHeader(name, password), ...headers } });

  it('answers 429 with Retry-After once the limit is reached, and logs each failure without the password', async () => {
    await serve(false);
    for (let i = 0; i < 3; i++) expect((await get('victor', `Secret-guess-${i}`)).status).toBe(401);
    const limited = await get('victor', 'victor-password-1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Too many failed sign-ins');
    expect(failures).toEqual(['wrong', 'wrong', 'wrong', 'limited']);

    const entries = logs.entries().filter((entry) => entry.msg === 'dashboard sign-in failed');
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ user: 'victor', clientAddress: '127.0.0.1', reason: 'wrong' });
    expect(logs.text()).not.toContain('Secret-guess');
  });

  it('without trust proxy, a client cannot escape the limit by forging X-Forwarded-For', async () => {
    await serve(false);
    for (let i = 0; i < 3; i++) await get('victor', `guess-${i}`, { 'x-forwarded-for': `192.0.2.${i + 1}` });
    expect((await get('victor', 'victor-password-1', { 'x-forwarded-for': '192.0.2.99' })).status).toBe(429);
  });

  it('behind a trusted proxy, each client address has limits of its own', async () => {
    await serve(['loopback']);
    for (let i = 0; i < 3; i++) await get('victor', `guess-${i}`, { 'x-forwarded-for': '192.0.2.1' });
    expect((await get('victor', 'victor-password-1', { 'x-forwarded-for': '192.0.2.1' })).status).toBe(429);
    expect((await get('victor', 'victor-password-1', { 'x-forwarded-for': '192.0.2.2' })).status).toBe(200);
    expect(logs.entries().find((entry) => entry.msg === 'dashboard sign-in failed')).toMatchObject({ clientAddress: '192.0.2.1' });
  });
});
