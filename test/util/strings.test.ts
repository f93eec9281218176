import { describe, expect, it } from '@jest/globals';
import { closestMatch, editDistance } from '../../src/util/strings.js';

describe('edit distance and "did you mean"', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('NP-02', 'NP-02')).toBe(0);
    expect(editDistance('NP02', 'NP-02')).toBe(1);
    expect(editDistance('MT-06', 'MT-05')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests the one closest candidate, ignoring case, and nothing when it would have to guess', () => {
    const ids = ['MT-01', 'MT-02', 'MT-03', 'NP-02', 'IMG-04'];
    expect(closestMatch('np02', ids)).toBe('NP-02');
    expect(closestMatch('img-4', ids)).toBe('IMG-04');
    expect(closestMatch('MT-06', ids)).toBeUndefined();
    expect(closestMatch('registries', ids)).toBeUndefined();
  });
});
