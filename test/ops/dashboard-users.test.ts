// DASHBOARD_USERS and password hashes: parsing, verification, and config errors that never echo a password.
import { loadConfig, ConfigError } from '../../config/load-config';
import { parseDashboardUsers } from '../../src/dashboard/dashboard-users';
import { createAuthenticator } from '../../src/dashboard/basic-auth';
import { hashPassword, parsePasswordSecret, verifyPassword } from '../../src/dashboard/password-hash';
import { basicAuthHeader } from './support/http';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('a hash verifies its password and nothing else', async () => {
    const secret = parsePasswordSecret(await hashPassword('s3cret-dashboard-pw', cheap));
    expect(await verifyPassword('s3cret-dashboard-pw', secret)).toBe(true);
    expect(await verifyPassword('s3cret-dashboard-pW', secret)).toBe(false);
    expect(await verifyPassword('', secret)).toBe(false);
  });

  it('two hashes of one password differ (random salt)', async () => {
    expect(await hashPassword('same', cheap)).not.toBe(await hashPassword('same', cheap));
  });

  it('a plain password is compared in constant time whatever its length', async () => {
    const secret = parsePasswordSecret('plain-pw');
    expect(secret).toEqual({ kind: 'plain', digest: expect.any(Buffer) });
    expect(await verifyPassword('plain-pw', secret)).toBe(true);
    expect(await verifyPassword('plain-pw-but-longer', secret)).toBe(false);
  });

  it.each([
    ['scrypt:16384:8:1:onlyfour', 'must look like scrypt:N:r:p'],
    ['scrypt:1000:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA', 'power of two'],
    ['scrypt:16384:8:1:c2E:aGFzaGhhc2hoYXNoaGFzaA', 'salt is shorter'],
  ])('refuses the malformed hash %s', (spec, problem) => {
    expect(() => parsePasswordSecret(spec)).toThrow(problem);
  });
});

describe('DASHBOARD_USERS', () => {
  it('reads name:role:secret entries', async () => {
    const hash = await hashPassword('pw-for-anna', cheap);
    const { users, problems } = parseDashboardUsers(` anna:operator:${hash} , ben:viewer:pw:with:colons `);
    expect(problems).toEqual([]);
    expect(users.map(({ name, role, secret }) => [name, role, secret.kind])).toEqual([
      ['anna', 'operator', 'scrypt'],
      ['ben', 'viewer', 'plain'],
    ]);
    expect(await verifyPassword('pw:with:colons', users[1]!.secret)).toBe(true);
  });

  it('reports each bad entry without quoting a password', () => {
    const { problems } = parseDashboardUsers('anna:admin:Secret1,b@d name:viewer:Secret2,ben:viewer:,ben2:viewer:x,ben2:operator:Secret3');
    expect(problems).toEqual([
      'user anna: the role must be viewer or operator (entries are name:role:password-hash)',
      'entry 2: the user name must be 1-64 letters, digits, ., _, @ or -',
      'user ben: the password is empty',
      'user ben2: listed twice',
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

  it('defaults: dashboard on 3000 at /, metrics on 9465 and 9464, this host only', () => {
    const { ops } = loadConfig({ STORE: 'memory', SETTINGS_FILE: 'x.json' });
    expect(ops).toEqual({
      deprecations: [],
      dashboard: { host: '127.0.0.1', metricsHost: '127.0.0.1', users: [], port: 3000, basePath: '/', metricsPort: 9465 },
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
    const { users } = parseDashboardUsers(`anna:operator:${await hashPassword('pw-for-anna', cheap)}`);
    let now = 0;
    const authenticator = createAuthenticator(users, () => now);
    const header = basicAuthHeader('anna', 'pw-for-anna').authorization;
    expect(await authenticator.authenticate(header)).toMatchObject({ name: 'anna', role: 'operator' });
    now = 10 * 60_000; // past the cache lifetime: checked again, still fine
    expect(await authenticator.authenticate(header)).toMatchObject({ name: 'anna' });
    expect(await authenticator.authenticate(basicAuthHeader('anna', 'wrong').authorization)).toBeUndefined();
    expect(await authenticator.authenticate(undefined)).toBeUndefined();
  });
});
