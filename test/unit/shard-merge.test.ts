// How the dashboard merges the shards' jobs of a state into one list (pure, no Redis).
import { mergeNewestFirst, rankMsOf, type RankedJobId } from '../../src/dashboard/shard-merge';

const list = (shard: number, ranks: number[]): RankedJobId[] => ranks.map((rankMs, index) => ({ shard, id: `s${shard}-${index}`, rankMs }));

describe('mergeNewestFirst', () => {
  it('takes the newest head each time, equal ranks to the lower shard', () => {
    const merged = mergeNewestFirst([list(0, [9, 5, 1]), list(1, [9, 6]), list(2, [])], 10);
    expect(merged.map((entry) => entry.id)).toEqual(['s0-0', 's1-0', 's1-1', 's0-1', 's0-2']);
  });

  it("keeps each shard's own order even where its ranks are not sorted", () => {
    const merged = mergeNewestFirst([list(0, [3, 8]), list(1, [5])], 10);
    expect(merged.map((entry) => entry.id)).toEqual(['s1-0', 's0-0', 's0-1']);
  });

  it('gives the same first n entries from the lists cut to n as from the whole lists, so a page reads end + 1 ids per shard', () => {
    const lists = [list(0, [20, 19, 4, 3, 2]), list(1, [18, 17, 16, 1]), list(2, [15, 5, 0])];
    const whole = mergeNewestFirst(lists, Number.POSITIVE_INFINITY);
    for (let n = 0; n <= whole.length; n += 1) {
      expect(
        mergeNewestFirst(
          lists.map((entries) => entries.slice(0, n)),
          n,
        ),
      ).toEqual(whole.slice(0, n));
    }
  });
});

describe('rankMsOf', () => {
  const job = { timestamp: 1000, processedOn: 2000, finishedOn: 3000, delay: 500 };
  it.each([
    ['completed', 3000],
    ['failed', 3000],
    ['active', 2000],
    ['delayed', 1500],
    ['waiting', 1000],
    ['prioritized', 1000],
  ])('ranks a %s job by %d', (state, rankMs) => expect(rankMsOf(state, job)).toBe(rankMs));
});
