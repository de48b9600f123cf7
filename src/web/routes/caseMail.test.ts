import { describe, expect, it } from 'vitest';
import { answerTime } from './caseMail.js';

describe('answerTime', () => {
  it('says hours under a day, days with a decimal comma beyond, in French', () => {
    expect(answerTime(null)).toBe('pas encore de réponse');
    expect(answerTime(5.2)).toBe('5\u00a0h');
    expect(answerTime(36)).toBe('1,5\u00a0jour');
    expect(answerTime(24 * 3)).toBe('3\u00a0jours');
  });
});
