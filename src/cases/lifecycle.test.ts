import { describe, expect, it } from 'vitest';
import { type CaseEvents, settleLifecycle } from './lifecycle.js';

const sla = { standardDueDays: 10, standardWarningDays: 7, urgentDueWorkingDays: 2 };

function events(change: Partial<CaseEvents> = {}): CaseEvents {
  return {
    receivedAt: '2026-03-02T09:00:00.000Z',
    awaitsAnswer: true,
    urgentAtStart: false,
    answers: [],
    followUps: [],
    closedAt: null,
    assignee: null,
    ...change,
  };
}

const answer = (at: string) => ({ at, channel: 'sent-folder' as const, by: 'a.b@caf35.example.fr' });
const followUp = (receivedAt: string, urgent = false) => ({ receivedAt, urgent });

describe('settleLifecycle', () => {
  it('a new request waits, with the convention’s 10 days', () => {
    const life = settleLifecycle(events(), sla);
    expect(life.status).toBe('nouveau');
    expect(life.roundTrips).toBe(1);
    expect(life.sla?.dueAt).toBe('2026-03-12T09:00:00.000Z');
  });

  it('taken, then answered: the first answer stops the clock, later ones add nothing', () => {
    expect(settleLifecycle(events({ assignee: 'tech' }), sla).status).toBe('pris en charge');
    const life = settleLifecycle(
      events({
        assignee: 'tech',
        answers: [answer('2026-03-06T10:00:00.000Z'), answer('2026-03-05T10:00:00.000Z')],
      }),
      sla,
    );
    expect(life.status).toBe('répondu');
    expect(life.answer?.at).toBe('2026-03-05T10:00:00.000Z');
    expect(life.firstAnsweredAt).toBe('2026-03-05T10:00:00.000Z');
    expect(life.roundTrips).toBe(1);
  });

  it('a follow-up before the answer joins the round trip; after it, opens the next with its own deadline', () => {
    const before = settleLifecycle(
      events({
        followUps: [followUp('2026-03-04T09:00:00.000Z')],
        answers: [answer('2026-03-05T10:00:00.000Z')],
      }),
      sla,
    );
    expect(before.status).toBe('répondu');
    expect(before.roundTrips).toBe(1);
    const after = settleLifecycle(
      events({
        followUps: [followUp('2026-03-06T09:00:00.000Z')],
        answers: [answer('2026-03-05T10:00:00.000Z')],
      }),
      sla,
    );
    expect(after.status).toBe('nouveau');
    expect(after.roundTrips).toBe(2);
    expect(after.roundStartedAt).toBe('2026-03-06T09:00:00.000Z');
    expect(after.sla?.dueAt).toBe('2026-03-16T09:00:00.000Z');
    expect(after.answer).toBeNull();
    expect(after.firstAnsweredAt).toBe('2026-03-05T10:00:00.000Z');
    expect(after.rounds.map((r) => [r.round, r.answer?.at ?? null])).toEqual([
      [1, '2026-03-05T10:00:00.000Z'],
      [2, null],
    ]);
  });

  it('the result does not depend on the order the events are listed in', () => {
    const a = [answer('2026-03-05T10:00:00.000Z'), answer('2026-03-09T10:00:00.000Z')];
    const f = [followUp('2026-03-06T09:00:00.000Z'), followUp('2026-03-07T09:00:00.000Z')];
    const one = settleLifecycle(events({ answers: a, followUps: f }), sla);
    const other = settleLifecycle(events({ answers: [...a].reverse(), followUps: [...f].reverse() }), sla);
    expect(other).toEqual(one);
    // Two follow-ups after one answer: one more round trip, answered on the 9th.
    expect(one.roundTrips).toBe(2);
    expect(one.status).toBe('répondu');
  });

  it('an answer and a follow-up at the same second: the follow-up came after reading the answer', () => {
    const life = settleLifecycle(
      events({
        answers: [answer('2026-03-05T10:00:00.000Z')],
        followUps: [followUp('2026-03-05T10:00:00.000Z')],
      }),
      sla,
    );
    expect(life.roundTrips).toBe(2);
    // IMAP dates have no milliseconds: a follow-up dated 10:00:00 came after an answer at 10:00:00.700.
    const imap = settleLifecycle(
      events({
        answers: [answer('2026-03-05T10:00:00.700Z')],
        followUps: [followUp('2026-03-05T10:00:00.000Z')],
      }),
      sla,
    );
    expect(imap.roundTrips).toBe(2);
  });

  it('URGENCE DEFINIE in a follow-up before the answer: the urgent deadline runs from it', () => {
    const life = settleLifecycle(events({ followUps: [followUp('2026-03-04T09:00:00.000Z', true)] }), sla);
    // Wednesday 4 March + 2 working days = Friday 6 March.
    expect(life.sla?.dueAt).toBe('2026-03-06T09:00:00.000Z');
    expect(life.roundTrips).toBe(1);
  });

  it('closed by a person or after the answer; a follow-up after the closing reopens it', () => {
    const closed = settleLifecycle(
      events({ answers: [answer('2026-03-05T10:00:00.000Z')], closedAt: '2026-03-20T00:00:00.000Z' }),
      sla,
    );
    expect(closed.status).toBe('clos');
    const reopened = settleLifecycle(
      events({
        answers: [answer('2026-03-05T10:00:00.000Z')],
        closedAt: '2026-03-20T00:00:00.000Z',
        followUps: [followUp('2026-03-25T09:00:00.000Z')],
      }),
      sla,
    );
    expect(reopened.status).toBe('nouveau');
    expect(reopened.roundTrips).toBe(2);
    // Closed without an answer (nothing to answer), a follow-up opens a new round trip too.
    expect(
      settleLifecycle(
        events({ closedAt: '2026-03-03T00:00:00.000Z', followUps: [followUp('2026-03-04T00:00:00.000Z')] }),
        sla,
      ).roundTrips,
    ).toBe(2);
  });

  it('mail that nobody answers (robots, quarantine) is only recorded', () => {
    const life = settleLifecycle(
      events({ awaitsAnswer: false, answers: [answer('2026-03-05T10:00:00.000Z')] }),
      sla,
    );
    expect(life.status).toBe('enregistré');
    expect(life.sla).toBeNull();
    expect(life.rounds).toEqual([]);
  });
});
