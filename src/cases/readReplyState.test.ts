import { describe, expect, it } from 'vitest';
import { type ReplyState, readReplyState } from './caseRecord.js';

const stored = (status: ReplyState['status'], reason: string | null) =>
  JSON.stringify({ status, reason, at: '2026-03-03T10:00:00.000Z', messageId: null, text: null });

describe('reply states written before reasonCode existed', () => {
  it.each([
    ['suppressed', 'backfill', 'backfill', null],
    ['suppressed', 'recovered', 'recovered', null],
    ['suppressed', 'no-reply-decided', 'no-reply-decided', null],
    ['suppressed', 'recipient-not-allowed', 'recipient-not-allowed', null],
    ['suppressed', 'rate-limited:same-subject-day', 'rate-limited', 'same-subject-day'],
    ['failed', 'template: missing helper "x"', 'template', 'missing helper "x"'],
    ['failed', 'uncertain: ECONNRESET: socket hang up', 'uncertain', 'ECONNRESET: socket hang up'],
    ['failed', '550: 5.1.1 mailbox unavailable', 'refused', '550: 5.1.1 mailbox unavailable'],
    ['pending', 'sending', 'sending', null],
    ['pending', 'retry after 421: try later', 'retry', '421: try later'],
    ['sent', null, null, null],
  ] as const)('%s "%s" reads as %s', (status, reason, code, detail) => {
    expect(readReplyState(stored(status, reason))).toMatchObject({
      status,
      reasonCode: code,
      reason: detail,
    });
  });

  it('leaves a state that has its code as it was written', () => {
    const state: ReplyState = {
      status: 'failed',
      reasonCode: 'template',
      reason: 'rate-limited:looks like an old prefix',
      at: null,
      messageId: null,
      text: null,
    };
    expect(readReplyState(JSON.stringify(state))).toEqual(state);
  });
});
