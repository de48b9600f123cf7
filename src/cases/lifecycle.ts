import { computeSla, type Sla, type SlaSettings } from './computeSla.js';

/**
 * A case's life, from the CDAS request to the CAF's answer and beyond:
 * `nouveau` (in a queue, nobody took it), `pris en charge` (a technician took
 * it), `répondu` (the CAF answered), `clos` (closed by a person, or
 * automatically some days after the answer). Robots' and strangers' mail is
 * `enregistré`: kept for the record, nobody answers it.
 */
export type CaseStatus = 'nouveau' | 'pris en charge' | 'répondu' | 'clos' | 'enregistré';

/** Statuses of a case waiting for the CAF's answer: the technicians' queues. */
export const AWAITING_STATUSES: readonly CaseStatus[] = ['nouveau', 'pris en charge'];

export function isAwaiting(status: CaseStatus): boolean {
  return status === 'nouveau' || status === 'pris en charge';
}

/**
 * Where the answer was seen: the technician's sent mail in a sent folder, the
 * \Answered flag a mail client set on the filed request, or the dashboard.
 */
export type AnswerChannel = 'sent-folder' | 'answered-flag' | 'dashboard';

export interface AnswerEvent {
  at: string;
  channel: AnswerChannel;
  /** The work address that answered, when known. */
  by: string | null;
}

export interface FollowUpEvent {
  receivedAt: string;
  /** It carried URGENCE DEFINIE and made the request urgent. */
  urgent: boolean;
}

/** Everything that decides where a case stands, whatever the order the pipeline learnt it in. */
export interface CaseEvents {
  receivedAt: string;
  /** A request in a technicians' queue (priority or standard); other mail is only recorded. */
  awaitsAnswer: boolean;
  /** Urgent from the start (not by a follow-up). */
  urgentAtStart: boolean;
  answers: AnswerEvent[];
  followUps: FollowUpEvent[];
  /** The last closing, by a person or automatically. */
  closedAt: string | null;
  assignee: string | null;
}

/** One round trip: a CDAS mail (the request or a follow-up after the answer) and the CAF's answer to it. */
export interface Round {
  round: number;
  startedAt: string;
  sla: Sla;
  answer: AnswerEvent | null;
}

export interface Lifecycle {
  status: CaseStatus;
  /** Round trips so far: 1, and one more for each follow-up that came after an answer. */
  roundTrips: number;
  roundStartedAt: string;
  /** The answer of the current round trip (null while it waits for one). */
  answer: AnswerEvent | null;
  /** The first answer ever: the request's own delay. */
  firstAnsweredAt: string | null;
  /** The current round trip's deadline; null for mail only recorded. */
  sla: Sla | null;
  rounds: Round[];
}

const time = (iso: string) => new Date(iso).getTime();
/**
 * Events are ordered to the second: IMAP dates (a follow-up's reception) have
 * no milliseconds, and an answer recorded at 10:00:00.700 came before a
 * follow-up the server dated 10:00:00.
 */
const second = (ms: number) => Math.floor(ms / 1000);

/**
 * Where a case stands, from its events in time order: an answer answers the
 * round trip in progress (later answers of the same round add nothing); a
 * follow-up after the answer (or after the closing) opens the next round trip
 * with its own deadline; a follow-up before the answer joins the round, and
 * when it made the request urgent, the round's deadline becomes the urgent
 * one from that follow-up. At equal times an answer comes first: a follow-up
 * stamped the same second as the answer was written after reading it.
 */
export function settleLifecycle(events: CaseEvents, settings: SlaSettings): Lifecycle {
  const firstAnswer = [...events.answers].sort((a, b) => time(a.at) - time(b.at))[0] ?? null;
  if (!events.awaitsAnswer) {
    return {
      status: 'enregistré',
      roundTrips: 1,
      roundStartedAt: events.receivedAt,
      answer: firstAnswer,
      firstAnsweredAt: firstAnswer?.at ?? null,
      sla: null,
      rounds: [],
    };
  }
  type Step =
    | { kind: 'answer'; at: number; answer: AnswerEvent }
    | { kind: 'follow-up'; at: number; followUp: FollowUpEvent }
    | { kind: 'close'; at: number };
  const order: Record<Step['kind'], number> = { answer: 0, close: 1, 'follow-up': 2 };
  const steps: Step[] = [
    ...events.answers.map((answer): Step => ({ kind: 'answer', at: time(answer.at), answer })),
    ...events.followUps.map(
      (followUp): Step => ({ kind: 'follow-up', at: time(followUp.receivedAt), followUp }),
    ),
    ...(events.closedAt ? [{ kind: 'close', at: time(events.closedAt) } as Step] : []),
  ].sort((a, b) => second(a.at) - second(b.at) || order[a.kind] - order[b.kind] || a.at - b.at);

  let urgent = events.urgentAtStart;
  const rounds: Round[] = [
    {
      round: 1,
      startedAt: events.receivedAt,
      sla: computeSla(new Date(events.receivedAt), urgent, settings),
      answer: null,
    },
  ];
  let closed = false;
  for (const step of steps) {
    const current = rounds[rounds.length - 1] as Round;
    if (step.kind === 'answer') {
      if (!current.answer) current.answer = step.answer;
    } else if (step.kind === 'close') {
      closed = true;
    } else {
      const becameUrgent = step.followUp.urgent && !urgent;
      if (step.followUp.urgent) urgent = true;
      if (current.answer || closed) {
        closed = false;
        const startedAt = new Date(step.at);
        rounds.push({
          round: rounds.length + 1,
          startedAt: startedAt.toISOString(),
          sla: computeSla(startedAt, urgent, settings),
          answer: null,
        });
      } else if (becameUrgent) {
        current.sla = computeSla(new Date(step.at), true, settings);
      }
    }
  }
  const last = rounds[rounds.length - 1] as Round;
  const status: CaseStatus = closed
    ? 'clos'
    : last.answer
      ? 'répondu'
      : events.assignee
        ? 'pris en charge'
        : 'nouveau';
  return {
    status,
    roundTrips: rounds.length,
    roundStartedAt: last.startedAt,
    answer: last.answer,
    firstAnsweredAt: rounds[0]?.answer?.at ?? null,
    sla: last.sla,
    rounds,
  };
}
