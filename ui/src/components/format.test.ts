import { describe, expect, it } from 'vitest';
import { formatPlaceInLine } from './format';

describe('formatPlaceInLine', () => {
  it.each([
    [undefined, ''],
    [0, ''],
    [-2, ''],
    [1, 'Next in line'],
    [2, '2nd in line'],
    [3, '3rd in line'],
    [4, '4th in line'],
    [11, '11th in line'],
    [12, '12th in line'],
    [13, '13th in line'],
    [21, '21st in line'],
    [22, '22nd in line'],
    [101, '101st in line'],
    [111, '111th in line'],
  ])('%s → %j', (pos, want) => {
    expect(formatPlaceInLine(pos)).toBe(want);
  });
});
