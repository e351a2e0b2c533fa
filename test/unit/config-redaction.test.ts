// Configuration errors name the variable and the shape it needs, and never print a secret: URL
// passwords are redacted, and a value that failed a secret's pattern is not shown at all.
import { ConfigError, loadConfig } from '../../config/load-config';

const KEY = Buffer.alloc(32, 9).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 4).toString('base64');
const BASE = { MONGODB_URI: 'mongodb://db/x' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration errors never print a secret', () => {
  it.each([
    [
      'REDIS_URL with another scheme',
      { REDIS_URL: 'http://mailer:RedisPw-1@redis.internal:6379' },
      'RedisPw-1',
      'http://***@redis.internal:6379',
    ],
    ['REDIS_URL missing its colon', { REDIS_URL: 'redis//mailer:RedisPw-2@redis.internal' }, 'RedisPw-2', '***@redis.internal'],
    [
      'REDIS_URL with an @ in the password',
      { REDIS_URL: 'redis://mailer:Pw@RedisPw-3@redis.internal:port' },
      'RedisPw-3',
      'redis://***@redis.internal:port',
    ],
    [
      'MONGODB_URI with another scheme',
      { MONGODB_URI: 'postgres://erp:MongoPw-1@db.internal/omikai' },
      'MongoPw-1',
      'postgres://***@db.internal/omikai',
    ],
  ])('%s: names the variable and shows the URL without its user and password', (_case, env, password, shown) => {
    const problems = problemsOf({ ...BASE, ...env });
    const [name] = Object.keys(env);
    expect(problems).toEqual([expect.stringContaining(`${name}: must`)]);
    expect(problems[0]).toContain(`got "${shown}"`);
    expect(problems[0]).not.toContain(password);
    expect(problems[0]).not.toContain('mailer');
  });

  it.each([
    ['a key written before its id', `${KEY}:k1`],
    ['a key written before its id, among several', `k2:${OTHER_KEY},${KEY}:k1`],
    ['a key and id joined by another character', `${KEY}=k1`],
  ])('SETTINGS_ENCRYPTION_KEYS with %s: names the entry and the expected shape, never the key', (_case, spec) => {
    const problems = problemsOf({ ...BASE, SETTINGS_ENCRYPTION_KEYS: spec });
    expect(problems).toEqual([expect.stringMatching(/^SETTINGS_ENCRYPTION_KEYS: Entry \d/)]);
    expect(problems[0]).toContain('<id>:<base64 key>');
    for (const key of [KEY, OTHER_KEY, KEY.slice(0, 12)]) expect(problems[0]).not.toContain(key);
  });

  it('SETTINGS_ENCRYPTION_KEY_ID holding a key by mistake is not printed', () => {
    const problems = problemsOf({ ...BASE, SETTINGS_ENCRYPTION_KEY: OTHER_KEY, SETTINGS_ENCRYPTION_KEY_ID: KEY });
    expect(problems).toEqual([
      expect.stringMatching(/^SETTINGS_ENCRYPTION_KEY_ID: 1-32 letters, digits, - or _, got a value that is not shown/),
    ]);
    expect(problems[0]).not.toContain(KEY.slice(0, 12));
  });

  it.each([
    ['a comma inside a password', 'anna:operator:pass,wordTail', ['wordTail']],
    ['a comma inside a password that has colons after it', 'anna:operator:pa,ss:word:Tail', ['ss', 'word', 'Tail']],
  ])('DASHBOARD_USERS with %s: names the entry and says how to write it, never the tail', (_case, users, tails) => {
    const problems = problemsOf({ ...BASE, DASHBOARD_USERS: users });
    // The first entry's plain-text password is refused on its own (naming the user, not the password).
    const split = problems.filter((problem) => problem.startsWith('DASHBOARD_USERS: entry 2: '));
    expect(split).toHaveLength(1);
    expect(split[0]).toContain('a comma inside a password splits the entry');
    // The example printed with a problem is fixed text; only the part before it could hold the tail.
    for (const problem of problems) {
      const said = problem.split(' (example:')[0]!;
      for (const tail of tails) expect(said).not.toMatch(new RegExp(`\\b${tail}\\b`));
    }
  });

  it('a long value that is not secret is shortened, not printed whole', () => {
    const problems = problemsOf({ ...BASE, EMAIL_QUEUE_NAME: `${'q'.repeat(5000)}!` });
    expect(problems).toEqual([expect.stringMatching(/^EMAIL_QUEUE_NAME: .*got "q{20,80}…" \(5001 characters\)/)]);
    expect(problems[0]!.length).toBeLessThan(400);
  });
});
