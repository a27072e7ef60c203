import { describe, expect, it } from 'vitest';
import { adaptiveTarget } from './adaptive-target.js';

describe('adaptiveTarget', () => {
  it('asks one worker per unfinished task, between minimum and maximum', () => {
    expect(adaptiveTarget(50, 1, 3)).toBe(3);
    expect(adaptiveTarget(2, 1, 3)).toBe(2);
    expect(adaptiveTarget(0, 1, 3)).toBe(1);
    expect(adaptiveTarget(0, 0, 3)).toBe(0);
  });
});
