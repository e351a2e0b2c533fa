// DASHBOARD_USERS and password hashes: parsing, verification, and config errors that never echo a password.
import { loadConfig, ConfigError } from '../../config/load-config';
import { parseDashboardUsers } from '../../src/dashboard/dashboard-users';
import { createAuthenticator } from '../../src/dashboard/basic-auth';
import { DEFAULT_SCRYPT_COST, hashPassword, parsePasswordSecret, verifyPassword } from '../../src/dashboard/password-hash';
import { basicAuthHeader } from './support/http';

const cheap = { N: 1024, r: 8, p: 1 };
/** What the tests parse with: plain-text demo passwords allowed, cheap hashes accepted. */
const lenient = { allowPlaintext: true, minimumScryptN: 1024 };
const BASE_ENV = { STORE: 'memory', SETTINGS_FILE: 'x.json' };

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE_ENV, ...env });
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('password hashes', () => {
  it('a hash verifies its password and nothing else', async () => {
    const secret = parsePasswordSecret(await hashPassword('s3cret-dashboard-pw', cheap), lenient);
    expect(await verifyPassword('s3cret-dashboard-pw', secret)).toBe(true);
    expect(await verifyPassword('s3cret-dashboard-pW', secret)).toBe(false);
    expect(await verifyPassword('', secret)).toBe(false);
  });

  it('two hashes of one password differ (random salt)', async () => {
    expect(await hashPassword('same', cheap)).not.toBe(await hashPassword('same', cheap));
  });

  it('a plain password is compared in constant time whatever its length', async () => {
    const secret = parsePasswordSecret('plain-pw', { allowPlaintext: true, minimumPlaintextLength: 1 });
    expect(secret).toEqual({ kind: 'plain', digest: expect.any(Buffer) });
    expect(await verifyPassword('plain-pw', secret)).toBe(true);
    expect(await verifyPassword('plain-pw-but-longer', secret)).toBe(false);
  });

  it.each([
    ['scrypt:16384:8:1:onlyfour', 'must look like scrypt:N:r:p'],
    ['scrypt:1000:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA', 'power of two'],
    ['scrypt:32768:8:1:c2E:aGFzaGhhc2hoYXNoaGFzaA', 'salt is shorter'],
  ])('refuses the malformed hash %s', (spec, problem) => {
    expect(() => parsePasswordSecret(spec)).toThrow(problem);
  });

  it('makes new hashes with N=2^17, and refuses hashes weaker than N=2^15 or r=8', async () => {
    expect(DEFAULT_SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect((await hashPassword('a-long-enough-password')).startsWith('scrypt:131072:8:1:')).toBe(true);
    expect(() => parsePasswordSecret('scrypt:16384:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA')).toThrow(
      'the hash uses scrypt N=16384, weaker than the minimum N=32768',
    );
    expect(() => parsePasswordSecret('scrypt:32768:4:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA')).toThrow('r=4');
    expect(parsePasswordSecret('scrypt:32768:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA')).toMatchObject({ kind: 'scrypt', N: 32768 });
  });
});

describe('DASHBOARD_USERS', () => {
  it('reads name:role:secret entries', async () => {
    const hash = await hashPassword('pw-for-anna', cheap);
    const { users, problems } = parseDashboardUsers(` anna:operator:${hash} , ben:viewer:pw:with:colons `, lenient);
    expect(problems).toEqual([]);
    expect(users.map(({ name, role, secret }) => [name, role, secret.kind])).toEqual([
      ['anna', 'operator', 'scrypt'],
      ['ben', 'viewer', 'plain'],
    ]);
    expect(await verifyPassword('pw:with:colons', users[1]!.secret)).toBe(true);
  });

  it('reports each bad entry without quoting a password', () => {
    const { problems } = parseDashboardUsers(
      'anna:admin:Secret1,b@d name:viewer:Secret2,ben:viewer:,ben2:viewer:Secret4-long-enough,ben2:operator:Secret3,cleo:viewer:Secret5',
      lenient,
    );
    expect(problems).toEqual([
      'user anna: the role must be viewer or operator (entries are name:role:password-hash)',
      'entry 2: the user name must be 1-64 letters, digits, ., _, @ or -',
      'user ben: the password is empty',
      'user ben2: listed twice',
      'user cleo: the password is shorter than 12 characters',
    ]);
    expect(problems.join(' ')).not.toMatch(/Secret\d/);
  });

  it('bad entries stop the configuration like any other bad variable', () => {
    let error: unknown;
    try {
      loadConfig({ STORE: 'memory', SETTINGS_FILE: 'x.json', DASHBOARD_USERS: 'anna:root:Secret1' });
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^DASHBOARD_USERS: user anna: the role must be viewer or operator .*\(example: DASHBOARD_USERS=/),
    ]);
  });

  it('refuses plain-text passwords unless DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true, naming the user and the command', () => {
    const problems = configProblems({ DASHBOARD_USERS: 'ben:viewer:Plain-password-1' });
    expect(problems).toEqual([
      expect.stringMatching(
        /^DASHBOARD_USERS: user ben: a plain-text password is refused; store a hash: .*npm run --silent ops -- hash-password/,
      ),
    ]);
    expect(problems.join(' ')).toContain('DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true');
    expect(problems.join(' ')).not.toContain('Plain-password-1');

    const demo = loadConfig({ ...BASE_ENV, DASHBOARD_USERS: 'ben:viewer:Plain-password-1', DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS: 'true' });
    expect(demo.ops.dashboard.users).toEqual([
      expect.objectContaining({ name: 'ben', secret: expect.objectContaining({ kind: 'plain' }) }),
    ]);
    expect(configProblems({ DASHBOARD_USERS: 'ben:viewer:short', DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS: 'true' })).toEqual([
      expect.stringContaining('user ben: the password is shorter than 12 characters'),
    ]);
  });

  it('refuses a hash weaker than N=2^15, naming the user and how to make a new one', () => {
    const problems = configProblems({ DASHBOARD_USERS: 'anna:operator:scrypt:16384:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA' });
    expect(problems).toEqual([
      expect.stringMatching(/^DASHBOARD_USERS: user anna: the hash uses scrypt N=16384, weaker than the minimum N=32768; .*hash-password/),
    ]);
  });

  it.each([
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
    ['fd00::/8', ['fd00::/8']],
    ['1', 1],
    ['false', false],
  ])('DASHBOARD_TRUST_PROXY=%s is read as %j', (value, expected) => {
    expect(loadConfig({ ...BASE_ENV, DASHBOARD_TRUST_PROXY: value }).ops.dashboard.trustProxy).toEqual(expected);
  });

  it.each([
    ['true', 'any client could name its own address'],
    ['proxy.example', 'not an IP address'],
    ['10.0.0.0/99', 'not an IP address'],
  ])('refuses DASHBOARD_TRUST_PROXY=%s', (value, why) => {
    expect(configProblems({ DASHBOARD_TRUST_PROXY: value })).toEqual([expect.stringContaining(why)]);
  });

  it('defaults: dashboard on 3000 at /, metrics on 9465 and 9464, this host only, no proxy trusted, no plain text', () => {
    const { ops } = loadConfig({ STORE: 'memory', SETTINGS_FILE: 'x.json' });
    expect(ops).toEqual({
      deprecations: [],
      dashboard: {
        host: '127.0.0.1',
        metricsHost: '127.0.0.1',
        users: [],
        port: 3000,
        basePath: '/',
        metricsPort: 9465,
        trustProxy: false,
      },
      worker: { metricsHost: '127.0.0.1', metricsPort: 9464 },
    });
    const off = loadConfig({
      STORE: 'memory',
      SETTINGS_FILE: 'x.json',
      WORKER_METRICS_PORT: '0',
      DASHBOARD_BASE_PATH: '/email-dashboard/',
    });
    expect(off.ops.worker.metricsPort).toBeUndefined();
    expect(off.ops.dashboard.basePath).toBe('/email-dashboard');
  });
});

describe('the authenticator', () => {
  it('knows a user by a correct Basic header and remembers the check', async () => {
    const { users } = parseDashboardUsers(`anna:operator:${await hashPassword('pw-for-anna', cheap)}`, lenient);
    let now = 0;
    const authenticator = createAuthenticator(users, { now: () => now });
    const header = basicAuthHeader('anna', 'pw-for-anna').authorization;
    const address = '192.0.2.1';
    expect(await authenticator.authenticate(header, address)).toMatchObject({ kind: 'ok', user: { name: 'anna', role: 'operator' } });
    now = 10 * 60_000; // past the cache lifetime: checked again, still fine
    expect(await authenticator.authenticate(header, address)).toMatchObject({ kind: 'ok', user: { name: 'anna' } });
    expect(await authenticator.authenticate(basicAuthHeader('anna', 'wrong').authorization, address)).toEqual({
      kind: 'wrong',
      name: 'anna',
    });
    expect(await authenticator.authenticate(undefined, address)).toEqual({ kind: 'missing' });
  });
});
