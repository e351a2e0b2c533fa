// The patterns configuration values are checked against take time linear in the value's length:
// shown by their shape (no unbounded quantifier inside another) and by a length cap checked first.
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../config/load-config';
import { DASHBOARD_BASE_PATH_MAX_LENGTH, DASHBOARD_BASE_PATH_PATTERN } from '../../config/ops-env';

const BASE = { MONGODB_URI: 'mongodb://db/x' };
/** The pattern DASHBOARD_BASE_PATH had before: 26 crafted characters took 115 ms, each one more doubled it. */
const EXPONENTIAL_BASE_PATH = /^\/(?:[A-Za-z0-9._~-]+\/?)*$/;

/**
 * True when a group holding an unbounded quantifier (*, +, {n,}) is itself repeated without bound:
 * the shape behind exponential backtracking. Character classes and escapes are skipped.
 */
function hasNestedUnboundedQuantifier(source: string): boolean {
  const groups: boolean[] = [];
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i]!;
    const unboundedAfter = (at: number) => source[at] === '*' || source[at] === '+' || /^\{\d+,\}/.test(source.slice(at));
    if (char === '\\') {
      i += 1;
    } else if (char === '[') {
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
    } else if (char === '(') {
      groups.push(false);
    } else if (char === ')') {
      const inner = groups.pop() ?? false;
      const repeats = unboundedAfter(i + 1);
      if (inner && repeats) return true;
      if ((inner || repeats) && groups.length > 0) groups[groups.length - 1] = true;
    } else if (unboundedAfter(i) && groups.length > 0) {
      groups[groups.length - 1] = true;
    }
  }
  return false;
}

function accepts(basePath: string): boolean {
  try {
    loadConfig({ ...BASE, DASHBOARD_BASE_PATH: basePath });
    return true;
  } catch (err: unknown) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

describe('DASHBOARD_BASE_PATH', () => {
  it('is checked against a pattern with no unbounded quantifier nested in another', () => {
    // The checker itself recognises the shapes it looks for.
    expect(hasNestedUnboundedQuantifier(EXPONENTIAL_BASE_PATH.source)).toBe(true);
    expect(hasNestedUnboundedQuantifier('^(a+)+$')).toBe(true);
    expect(hasNestedUnboundedQuantifier('^(?:(?:ab)+c)*$')).toBe(true);
    expect(hasNestedUnboundedQuantifier('^[a+]*(?:ab)?\\(x+\\)*$')).toBe(false);

    expect(hasNestedUnboundedQuantifier(DASHBOARD_BASE_PATH_PATTERN.source)).toBe(false);
  });

  it('refuses a 100 KB crafted value by its length, before the pattern runs, and does not print it', () => {
    const crafted = `/${'a'.repeat(100_000)}!`;
    const test = jest.spyOn(DASHBOARD_BASE_PATH_PATTERN, 'test');
    try {
      let problems: string[] = [];
      try {
        loadConfig({ ...BASE, DASHBOARD_BASE_PATH: crafted });
      } catch (err: unknown) {
        if (!(err instanceof ConfigError)) throw err;
        problems = err.problems;
      }
      expect(problems).toEqual([expect.stringMatching(`^DASHBOARD_BASE_PATH: at most ${DASHBOARD_BASE_PATH_MAX_LENGTH} characters`)]);
      expect(problems[0]!.length).toBeLessThan(400);
      expect(test).not.toHaveBeenCalled();
    } finally {
      test.mockRestore();
    }
  });

  it('accepts exactly the paths the earlier pattern accepted', () => {
    // Short values only: the earlier pattern is exponential, and 12 characters keep it fast.
    const pathLike = fc.string({ unit: fc.constantFrom('/', 'a', 'Z', '0', '.', '_', '~', '-', '!', ' ', '%'), maxLength: 12 });
    fc.assert(
      fc.property(pathLike, (tail) => {
        const value = `/${tail}`;
        expect(accepts(value)).toBe(EXPONENTIAL_BASE_PATH.test(value));
      }),
      { numRuns: 500 },
    );
    expect(['/', '/email-dashboard', '/ops/mail/', '/a.b~c_d-e'].every(accepts)).toBe(true);
    expect(['', 'email', '//', '/a//b', '/a b', '/%20'].some(accepts)).toBe(false);
  });
});
