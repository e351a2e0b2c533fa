// List settings (allowed sender domains) are capped before they are split or matched.
import { readTextList } from '../../src/settings/document-shape';

describe('readTextList', () => {
  it('reads at most 100 entries, from an array or from text', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `d${i}.example`);
    expect(readTextList({ list: many }, 'list')).toHaveLength(100);
    expect(readTextList({ list: many.join(',') }, 'list')).toHaveLength(100);
  });

  it('splits only the first 25,600 characters of a huge text value', () => {
    const split = jest.spyOn(String.prototype, 'split');
    try {
      readTextList({ list: 'x'.repeat(5_000_000) }, 'list');
      const longest = Math.max(...split.mock.contexts.map((text) => String(text).length));
      expect(longest).toBeLessThanOrEqual(25_600);
    } finally {
      split.mockRestore();
    }
  });
});
