import { type Kysely, sql, type Transaction } from 'kysely';
import { holdsPersonalData } from '../analysis/maskPersonalData.js';
import type { Database, Tables } from '../infra/database.js';
import type { Logger } from '../log.js';
import { type CaseRecord, type MailRef, type ReplyState, readReplyState } from './caseRecord.js';
import type { SlaSettings } from './computeSla.js';
import { type AnswerChannel, isAwaiting, settleLifecycle } from './lifecycle.js';

/** A case before and after a change of its lifecycle: callers move its queue entries from one to the other. */
export interface Settled {
  before: CaseRecord;
  after: CaseRecord;
}

/** An answer of the CAF, as the watcher or the dashboard saw it. */
export interface RecordedAnswer {
  at: Date;
  channel: AnswerChannel;
  /** The work address that answered, when known. */
  by: string | null;
  /** What was seen, so that seeing it again records nothing (see migrations/0004_answers.sql). */
  sourceKey: string;
  messageIdHash?: string | null;
  /** The answering practices the answer missed; absent when its text was not read. */
  findings?: AnswerAdvice[];
  /** Who is written in the audit trail (defaults to `by`). */
  actor?: string;
}

/** One answering practice an answer missed: its rule id, and the advice in French. */
export interface AnswerAdvice {
  rule: string;
  message: string;
}

export interface StoredAnswer {
  at: string;
  channel: AnswerChannel;
  by: string | null;
  /** null: the answer's text was not read (a flag, the dashboard, a large mail). */
  findings: AnswerAdvice[] | null;
  detectedAt: string;
}

export interface AuditEvent {
  at: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

/** A pending move of one mail, written with its case, done by the mailbox's intake. */
export interface Filing {
  uidValidity: string;
  uid: number;
  folder: FolderKey;
  flagged: boolean;
  /** The case whose own mail this is: its filed place is remembered (for reprocess). */
  ownRef?: string;
  /** When the filing was asked for (ms). */
  at?: number;
}

/** Where a case's own mail was filed. */
export interface FiledAt {
  path: string;
  uidValidity: string;
  uid: number;
}

export type FolderKey = 'priority' | 'standard' | 'quarantine' | 'ignored' | 'errors';

export type CreateOutcome =
  /** A new case, with a new reference: the case as written, and whether a reply intent was. */
  | { outcome: 'created'; ref: string; record: CaseRecord; replyIntent: boolean }
  /** This mail (mailbox, UIDVALIDITY, UID) already has a case: nothing was written. */
  | { outcome: 'existing'; ref: string }
  /** Same bytes as a mail that already has a case (resync, duplicate delivery): linked to it, no new case. */
  | { outcome: 'duplicate'; ref: string };

/** What must happen in Redis once a new case is committed (the transactional outbox). */
export interface CaseIntents {
  /** The replies stage runs: a reply the case asks for gets a reply intent. */
  replies: boolean;
  /** The mail's Message-ID, to thread the reply. */
  inReplyTo: string | null;
}

/** How long a mail sent back to the inbox by the filed-mail reconciliation is known as recovered. */
const RECOVERED_TTL_MS = 7 * 86_400_000;

/** Unique violations between two replicas creating the same case at once: the loser looks again. */
const CREATE_ATTEMPTS = 3;

type Db = Kysely<Tables> | Transaction<Tables>;

const FINAL_REPLY = ['sent', 'shadow', 'suppressed', 'failed'];

/**
 * The columns of a case that lists, indicators and retention read; the whole case goes in `record`.
 * Also used by `migrate-from-redis`, so that a case copied from 0.1 reads exactly like one created here.
 */
export function columnsOf(c: CaseRecord) {
  const { replyState: _reply, followUps: _followUps, ...rest } = c;
  return {
    route: c.route,
    status: c.status,
    kind: c.kind,
    urgent: c.urgent,
    urgency_check: c.urgencyCheck,
    cdas_id: c.cdas?.id ?? null,
    cdas_name: c.cdas?.name ?? null,
    motif: c.motif,
    prestations: c.prestations as string[],
    rules: [...new Set(c.lint.map((f) => f.rule))],
    unreadable: c.unreadable,
    multiple_situations: c.multipleSituations,
    lint_errors: c.lintErrors,
    lint_warnings: c.lintWarnings,
    backfill: c.backfill,
    due_at: c.sla ? new Date(c.sla.dueAt) : null,
    answered_at: c.answeredAt ? new Date(c.answeredAt) : null,
    message_id_hash: c.messageIdHash,
    round_trips: c.roundTrips,
    round_started_at: new Date(c.roundStartedAt),
    first_answered_at: c.firstAnsweredAt ? new Date(c.firstAnsweredAt) : null,
    answered_by: c.answeredBy,
    answer_channel: c.answerChannel,
    assignee: c.assignee,
    taken_at: c.takenAt ? new Date(c.takenAt) : null,
    closed_at: c.closedAt ? new Date(c.closedAt) : null,
    closed_by: c.closedBy,
    record: JSON.stringify(rest),
  };
}

interface CaseRow {
  ref: string;
  record: Omit<CaseRecord, 'replyState' | 'followUps'>;
  reply_state: ReplyState | null;
  follow_ups: Array<{ receivedAt: string; mail: MailRef }> | null;
}

/** Lifecycle fields a record written before them lacks (a case copied from 0.1 by migrate-from-redis). */
const lifecycleDefaults = {
  answeredBy: null,
  answerChannel: null,
  firstAnsweredAt: null,
  roundTrips: 1,
  assignee: null,
  takenAt: null,
  closedAt: null,
  closedBy: null,
};

function toRecord(row: CaseRow): CaseRecord {
  return {
    ...lifecycleDefaults,
    ...row.record,
    answeredAt: row.record.answeredAt ?? null,
    roundStartedAt: row.record.roundStartedAt ?? row.record.receivedAt,
    ref: row.ref,
    followUps: row.follow_ups ?? [],
    replyState: row.reply_state ? readReplyState(JSON.stringify(row.reply_state)) : null,
  } as CaseRecord;
}

/** A Message-ID is kept for threading only when it carries nothing that looks personal. */
function keptMessageId(messageId: string | null): string | null {
  if (!messageId) return null;
  return holdsPersonalData(messageId) ? null : messageId;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

/**
 * The cases and everything that hangs off them, in PostgreSQL: the store of
 * record. Each step that writes several rows is one transaction, so a process
 * killed at any point leaves no half case; what must then happen in Redis
 * (queues) and in the mailbox (filing) is written in the same transaction
 * and done after commit (see outbox.ts, fileTriagedMail.ts).
 */
export class CaseStore {
  private readonly log: Logger | null;

  private readonly slaSettings: SlaSettings;

  constructor(
    readonly db: Database,
    options: { log?: Logger; sla?: SlaSettings } = {},
  ) {
    this.log = options.log ?? null;
    // The convention's delays; the service passes its configuration's.
    this.slaSettings = options.sla ?? {
      standardDueDays: 10,
      standardWarningDays: 7,
      urgentDueWorkingDays: 2,
    };
  }

  async createCase(
    draft: Omit<CaseRecord, 'ref'>,
    filing: Filing,
    intents: CaseIntents = { replies: false, inReplyTo: null },
  ): Promise<CreateOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.createIn(this.db, draft, filing, intents);
      } catch (err) {
        // Another replica wrote this mail or these bytes between our look and our write.
        if (!isUniqueViolation(err) || attempt >= CREATE_ATTEMPTS) throw err;
      }
    }
  }

  private async createIn(
    tx: Db,
    draft: Omit<CaseRecord, 'ref'>,
    filing: Filing,
    intents: CaseIntents,
  ): Promise<CreateOutcome> {
    const m = draft.mail;
    const { record, ...cols } = columnsOf({ ...draft, ref: '' } as CaseRecord);
    const replyWanted = draft.reply !== 'none' && draft.replySuppressed === null;
    const payload = JSON.stringify({ inReplyTo: keptMessageId(intents.inReplyTo) });
    // One round trip: migrations/0002_create_case.sql.
    const r = await sql<{
      outcome: CreateOutcome['outcome'];
      ref: string;
      recovered: boolean;
      reply_intent: boolean;
    }>`
      SELECT * FROM create_case(${m.mailboxId}, ${m.uidValidity}, ${m.uid}, ${draft.contentHash},
        ${new Date(draft.receivedAt)}, ${new Date(draft.triagedAt)}, ${JSON.stringify(cols)}::jsonb,
        ${record}::jsonb, ${replyWanted}, ${intents.replies}, ${payload}::jsonb, ${filing.folder},
        ${filing.flagged})`.execute(tx);
    const row = r.rows[0];
    if (!row) throw new Error('create_case returned nothing');
    if (row.outcome !== 'created') return { outcome: row.outcome, ref: row.ref };
    if (row.recovered) {
      this.log?.warn(
        { event: 'cases.recovered_without_reply', mailbox: m.mailboxId },
        'mail whose case was lost triaged again: no automatic reply',
      );
    }
    const created: CaseRecord = {
      ...draft,
      ref: row.ref,
      replySuppressed: row.recovered ? 'recovered' : draft.replySuppressed,
      followUps: [],
      replyState: null,
    };
    return { outcome: 'created', ref: row.ref, record: created, replyIntent: row.reply_intent };
  }

  async refForMail(mail: MailRef): Promise<string | null> {
    const r = await sql<{ ref: string }>`SELECT ref FROM case_mails
      WHERE mailbox_id = ${mail.mailboxId} AND uid_validity = ${mail.uidValidity} AND uid = ${mail.uid}`.execute(
      this.db,
    );
    return r.rows[0]?.ref ?? null;
  }

  /** For each of these UIDs of a mailbox, whether it has a case and whether its filing is still pending. */
  async mailStates(
    mailboxId: string,
    uidValidity: string,
    uids: number[],
  ): Promise<Map<number, { ref: string; filingPending: boolean }>> {
    const out = new Map<number, { ref: string; filingPending: boolean }>();
    if (uids.length === 0) return out;
    const r = await sql<{ uid: number; ref: string; pending: boolean }>`
      SELECT m.uid, m.ref, (f.uid IS NOT NULL) AS pending
      FROM case_mails m
      LEFT JOIN filing_intents f
        ON f.mailbox_id = m.mailbox_id AND f.uid_validity = m.uid_validity AND f.uid = m.uid
      WHERE m.mailbox_id = ${mailboxId} AND m.uid_validity = ${uidValidity}
        AND m.uid = ANY(${uids}::bigint[])`.execute(this.db);
    for (const row of r.rows) out.set(row.uid, { ref: row.ref, filingPending: row.pending });
    return out;
  }

  async get(ref: string): Promise<CaseRecord | null> {
    return (await this.getMany([ref]))[0] ?? null;
  }

  async getMany(refs: string[]): Promise<CaseRecord[]> {
    if (refs.length === 0) return [];
    return this.read(this.db, sql`c.ref = ANY(${refs}::text[])`);
  }

  private async read(db: Db, where: ReturnType<typeof sql>, forUpdate = false): Promise<CaseRecord[]> {
    const r = await sql<CaseRow>`
      SELECT c.ref, c.record, c.reply_state,
        (SELECT json_agg(json_build_object(
            'receivedAt', to_char(f.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'mail', json_build_object('mailboxId', f.mailbox_id, 'uidValidity', f.uid_validity, 'uid', f.uid))
          ORDER BY f.received_at, f.id)
         FROM follow_ups f WHERE f.ref = c.ref) AS follow_ups
      FROM cases c WHERE ${where}
      ${forUpdate ? sql`FOR UPDATE OF c` : sql``}`.execute(db);
    return r.rows.map(toRecord);
  }

  /** Read-modify-write of one case, the row locked meanwhile: a concurrent change waits, none is lost. */
  async update(ref: string, change: (c: CaseRecord) => CaseRecord | null): Promise<CaseRecord | null> {
    return this.db.transaction().execute(async (tx) => {
      const [current] = await this.read(tx, sql`c.ref = ${ref}`, true);
      if (!current) return null;
      const next = change(current);
      if (next === null) return current;
      await tx
        .updateTable('cases')
        .set({ ...columnsOf(next), updated_at: sql`now()` } as never)
        .where('ref', '=', ref)
        .execute();
      return next;
    });
  }

  /**
   * Records what became of the reply. Once final, its outbox intent goes in the same
   * statement: a reply job lost with Redis data is dispatched again only while it can matter.
   */
  async setReplyState(ref: string, state: ReplyState): Promise<void> {
    const json = JSON.stringify(state);
    if (FINAL_REPLY.includes(state.status)) {
      await sql`WITH gone AS (DELETE FROM outbox WHERE ref = ${ref} AND kind = 'reply')
        UPDATE cases SET reply_state = ${json}::jsonb, updated_at = now() WHERE ref = ${ref}`.execute(
        this.db,
      );
    } else {
      await sql`UPDATE cases SET reply_state = ${json}::jsonb, updated_at = now() WHERE ref = ${ref}`.execute(
        this.db,
      );
    }
  }

  /** An operator clears a failed reply to have it sent again: its intent comes back. */
  async clearFailedReply(ref: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const r = await sql`UPDATE cases SET reply_state = NULL, updated_at = now()
        WHERE ref = ${ref} AND reply_status = 'failed' RETURNING ref`.execute(tx);
      if (r.rows.length > 0) {
        await sql`INSERT INTO outbox (ref, kind) VALUES (${ref}, 'reply')
          ON CONFLICT (ref, kind) DO UPDATE SET dispatched_at = NULL`.execute(tx);
      }
    });
  }

  async getReplyState(ref: string): Promise<ReplyState | null> {
    const r = await sql<{
      reply_state: ReplyState | null;
    }>`SELECT reply_state FROM cases WHERE ref = ${ref}`.execute(this.db);
    const state = r.rows[0]?.reply_state;
    return state ? readReplyState(JSON.stringify(state)) : null;
  }

  /**
   * Files a later mail of the same request beside its case, lists it on the
   * case once — by its content, so the same mail seen again after a
   * UIDVALIDITY change is not listed twice — and settles the case's
   * lifecycle: after the answer it opens another round trip. `change` applies
   * what the follow-up says to the case (an escalation). One transaction.
   */
  async attachFollowUp(
    ref: string,
    mail: MailRef,
    contentHash: string,
    receivedAt: Date,
    filing: Filing | ((c: CaseRecord) => Filing),
    followUp: { messageIdHash: string | null; escalates: boolean; change?: (c: CaseRecord) => CaseRecord },
  ): Promise<Settled & { attached: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      const [current] = await this.read(tx, sql`c.ref = ${ref}`, true);
      if (!current) throw new Error(`case ${ref} is gone`);
      await sql`INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
        VALUES (${mail.mailboxId}, ${mail.uidValidity}, ${mail.uid}, ${ref}, 'follow-up')
        ON CONFLICT DO NOTHING`.execute(tx);
      const first = await sql`INSERT INTO case_contents (content_hash, ref) VALUES (${contentHash}, ${ref})
        ON CONFLICT DO NOTHING RETURNING ref`.execute(tx);
      const attached = first.rows.length > 0;
      if (attached) {
        await sql`INSERT INTO follow_ups (ref, received_at, mailbox_id, uid_validity, uid, content_hash,
            message_id_hash, urgent)
          VALUES (${ref}, ${receivedAt}, ${mail.mailboxId}, ${mail.uidValidity}, ${mail.uid}, ${contentHash},
            ${followUp.messageIdHash}, ${followUp.escalates})
          ON CONFLICT DO NOTHING`.execute(tx);
      }
      const changed = attached && followUp.change ? followUp.change(current) : current;
      const settled = await this.settleIn(tx, current, changed, 'cdas', attached ? 'relance' : null);
      await this.addFilingIn(
        tx,
        mail.mailboxId,
        typeof filing === 'function' ? filing(settled.after) : filing,
      );
      return { ...settled, attached };
    });
  }

  /**
   * Records an answer of the CAF to a case and settles its lifecycle. The same
   * answer seen again (same source) records nothing. Returns null for an unknown case.
   */
  async recordAnswer(ref: string, answer: RecordedAnswer): Promise<(Settled & { recorded: boolean }) | null> {
    return this.db.transaction().execute(async (tx) => {
      const [current] = await this.read(tx, sql`c.ref = ${ref}`, true);
      if (!current) return null;
      const r = await sql`INSERT INTO answers (ref, source_key, answered_at, channel, answered_by,
          message_id_hash, findings)
        VALUES (${ref}, ${answer.sourceKey}, ${answer.at}, ${answer.channel}, ${answer.by},
          ${answer.messageIdHash ?? null}, ${answer.findings ? JSON.stringify(answer.findings) : null}::jsonb)
        ON CONFLICT (ref, source_key) DO NOTHING RETURNING id`.execute(tx);
      const recorded = r.rows.length > 0;
      if (!recorded) return { before: current, after: current, recorded };
      const settled = await this.settleIn(
        tx,
        current,
        current,
        answer.actor ?? answer.by ?? 'boîte aux lettres',
        null,
      );
      return { ...settled, recorded };
    });
  }

  /** A technician takes a case: it is `pris en charge` until answered. */
  async take(ref: string, actor: string, at: Date): Promise<Settled | null> {
    return this.change(ref, actor, 'prise en charge', (c) =>
      isAwaiting(c.status) ? { ...c, assignee: actor, takenAt: at.toISOString() } : null,
    );
  }

  /** A person closes a case (answered by other means, or nothing to answer). */
  async close(ref: string, actor: string, at: Date): Promise<Settled | null> {
    return this.change(ref, actor, 'clôture', (c) =>
      c.status === 'clos' || c.status === 'enregistré'
        ? null
        : { ...c, closedAt: at.toISOString(), closedBy: actor },
    );
  }

  /**
   * A case given to a technician (by themselves or a supervisor), or given
   * back (null): while it waits for the answer it becomes `pris en charge`, or
   * `nouveau` again. Audited as an attribution {from, to}. Only a case waiting
   * for the answer is given; any case can be given back. Unchanged (before =
   * after) when there is nothing to do; null for an unknown case.
   */
  async assign(ref: string, assignee: string | null, actor: string, at: Date): Promise<Settled | null> {
    return this.db.transaction().execute(async (tx) => {
      const [current] = await this.read(tx, sql`c.ref = ${ref}`, true);
      if (!current) return null;
      if (current.assignee === assignee || (assignee !== null && !isAwaiting(current.status)))
        return { before: current, after: current };
      const detail = JSON.stringify({ from: current.assignee, to: assignee });
      await sql`INSERT INTO audit_events (actor, action, ref, detail)
        VALUES (${actor}, 'attribution', ${ref}, ${detail}::jsonb)`.execute(tx);
      const edited = { ...current, assignee, takenAt: assignee ? at.toISOString() : null };
      return this.settleIn(tx, current, edited, actor, null);
    });
  }

  /** Cases answered before this time and not closed since: closed by the service. */
  async closeAnsweredBefore(before: Date, at: Date, limit = 500): Promise<string[]> {
    const r = await sql<{ ref: string }>`SELECT ref FROM cases
      WHERE status = 'répondu' AND answered_at < ${before} ORDER BY answered_at LIMIT ${limit}`.execute(
      this.db,
    );
    const closed: string[] = [];
    for (const { ref } of r.rows) {
      const done = await this.change(ref, 'service', 'clôture automatique', (c) =>
        c.status === 'répondu' ? { ...c, closedAt: at.toISOString(), closedBy: null } : null,
      );
      if (done && done.after.status === 'clos') closed.push(ref);
    }
    return closed;
  }

  private async change(
    ref: string,
    actor: string,
    action: string,
    edit: (c: CaseRecord) => CaseRecord | null,
  ): Promise<Settled | null> {
    return this.db.transaction().execute(async (tx) => {
      const [current] = await this.read(tx, sql`c.ref = ${ref}`, true);
      if (!current) return null;
      const edited = edit(current);
      if (edited === null) return { before: current, after: current };
      return this.settleIn(tx, current, edited, actor, action);
    });
  }

  /**
   * Computes where the case stands from its events (lifecycle.ts), writes it
   * with its round trips, and keeps in the audit trail the action and every
   * change of status. Inside the caller's transaction, the case row locked.
   */
  private async settleIn(
    tx: Transaction<Tables>,
    before: CaseRecord,
    edited: CaseRecord,
    actor: string,
    action: string | null,
  ): Promise<Settled> {
    const ref = before.ref;
    const [answers, followUps] = await Promise.all([
      sql<{ answered_at: Date; channel: AnswerChannel; answered_by: string | null }>`
        SELECT answered_at, channel, answered_by FROM answers WHERE ref = ${ref}`.execute(tx),
      sql<{ received_at: Date; urgent: boolean }>`
        SELECT received_at, urgent FROM follow_ups WHERE ref = ${ref}`.execute(tx),
    ]);
    const escalations = followUps.rows.some((f) => f.urgent);
    const life = settleLifecycle(
      {
        receivedAt: edited.receivedAt,
        awaitsAnswer: edited.route === 'priority' || edited.route === 'standard',
        urgentAtStart: edited.urgent && !escalations,
        answers: answers.rows.map((a) => ({
          at: a.answered_at.toISOString(),
          channel: a.channel,
          by: a.answered_by,
        })),
        followUps: followUps.rows.map((f) => ({ receivedAt: f.received_at.toISOString(), urgent: f.urgent })),
        closedAt: edited.closedAt,
        assignee: edited.assignee,
      },
      this.slaSettings,
    );
    const after: CaseRecord = {
      ...edited,
      status: life.status,
      roundTrips: life.roundTrips,
      roundStartedAt: life.roundStartedAt,
      answeredAt: life.answer?.at ?? null,
      answeredBy: life.answer?.by ?? null,
      answerChannel: life.answer?.channel ?? null,
      firstAnsweredAt: life.firstAnsweredAt,
      sla: life.sla ?? edited.sla,
    };
    await tx
      .updateTable('cases')
      .set({ ...columnsOf(after), updated_at: sql`now()` } as never)
      .where('ref', '=', ref)
      .execute();
    if (life.rounds.length > 0) {
      await sql`DELETE FROM case_rounds WHERE ref = ${ref}`.execute(tx);
      await sql`INSERT INTO case_rounds (ref, round, started_at, due_at, answered_at)
        SELECT ${ref}, w.round, w.started_at, w.due_at, w.answered_at
        FROM unnest(${life.rounds.map((r) => r.round)}::int[], ${life.rounds.map((r) => r.startedAt)}::timestamptz[],
          ${life.rounds.map((r) => r.sla.dueAt)}::timestamptz[],
          ${life.rounds.map((r) => r.answer?.at ?? null)}::timestamptz[]) AS w(round, started_at, due_at, answered_at)`.execute(
        tx,
      );
    }
    const events: Array<{ action: string; detail: Record<string, unknown> }> = [];
    if (action) events.push({ action, detail: {} });
    if (after.status !== before.status || after.roundTrips !== before.roundTrips) {
      events.push({
        action: 'statut',
        detail: { from: before.status, to: after.status, roundTrips: after.roundTrips },
      });
    }
    if (after.route !== before.route)
      events.push({ action: 'file', detail: { from: before.route, to: after.route } });
    for (const e of events) {
      await sql`INSERT INTO audit_events (actor, action, ref, detail)
        VALUES (${actor}, ${e.action}, ${ref}, ${JSON.stringify(e.detail)}::jsonb)`.execute(tx);
    }
    return { before, after };
  }

  /** Every answer recorded for a case, oldest first, with the answering practices it missed. */
  async answersOf(ref: string): Promise<StoredAnswer[]> {
    const r = await sql<{
      answered_at: Date;
      channel: AnswerChannel;
      answered_by: string | null;
      findings: AnswerAdvice[] | null;
      detected_at: Date;
    }>`SELECT answered_at, channel, answered_by, findings, detected_at FROM answers
      WHERE ref = ${ref} ORDER BY answered_at, id`.execute(this.db);
    return r.rows.map((a) => ({
      at: a.answered_at.toISOString(),
      channel: a.channel,
      by: a.answered_by,
      findings: a.findings,
      detectedAt: a.detected_at.toISOString(),
    }));
  }

  /**
   * When the mail filed at this place was received, when it is the case's own
   * (its request); null for another mail of the case (a follow-up).
   */
  async mailReceivedAt(ref: string, path: string, uidValidity: string, uid: number): Promise<Date | null> {
    const r = await sql<{ received_at: Date }>`SELECT received_at FROM cases
      WHERE ref = ${ref} AND filed_path = ${path} AND filed_uid_validity = ${uidValidity}
        AND filed_uid = ${uid}`.execute(this.db);
    return r.rows[0]?.received_at ?? null;
  }

  /** Those of these cases that still wait for an answer. */
  async awaitingAmong(refs: string[]): Promise<Set<string>> {
    if (refs.length === 0) return new Set();
    const r = await sql<{ ref: string }>`SELECT ref FROM cases
      WHERE ref = ANY(${[...new Set(refs)]}::text[]) AND awaiting`.execute(this.db);
    return new Set(r.rows.map((row) => row.ref));
  }

  /** When the oldest case still waiting for an answer was received; null when none waits. */
  async oldestAwaitingReceivedAt(): Promise<Date | null> {
    const r = await sql<{ at: Date | null }>`SELECT min(received_at) AS at FROM cases WHERE awaiting`.execute(
      this.db,
    );
    return r.rows[0]?.at ?? null;
  }

  /** The case's audit trail: who did what, when. */
  async auditOf(ref: string): Promise<AuditEvent[]> {
    const r = await sql<{ at: Date; actor: string; action: string; detail: Record<string, unknown> }>`
      SELECT at, actor, action, detail FROM audit_events WHERE ref = ${ref} ORDER BY at, id`.execute(this.db);
    return r.rows.map((e) => ({
      at: e.at.toISOString(),
      actor: e.actor,
      action: e.action,
      detail: e.detail,
    }));
  }

  /**
   * The case a mail of the thread belongs to, by the hash of one of its
   * Message-IDs: a request, a follow-up, or an answer of the CAF.
   */
  async refForMessageIds(hashes: string[]): Promise<string | null> {
    if (hashes.length === 0) return null;
    const r = await sql<{ ref: string }>`
      SELECT ref FROM cases WHERE message_id_hash = ANY(${hashes}::text[])
      UNION ALL SELECT ref FROM follow_ups WHERE message_id_hash = ANY(${hashes}::text[])
      UNION ALL SELECT ref FROM answers WHERE message_id_hash = ANY(${hashes}::text[])
      LIMIT 1`.execute(this.db);
    return r.rows[0]?.ref ?? null;
  }

  async addFiling(mailboxId: string, filing: Filing): Promise<void> {
    await this.addFilingIn(this.db, mailboxId, filing);
  }

  private async addFilingIn(db: Db, mailboxId: string, filing: Filing): Promise<void> {
    const at = new Date(filing.at ?? Date.now());
    await sql`INSERT INTO filing_intents (mailbox_id, uid_validity, uid, folder, flagged, own_ref, asked_at)
      VALUES (${mailboxId}, ${filing.uidValidity}, ${filing.uid}, ${filing.folder}, ${filing.flagged},
        ${filing.ownRef ?? null}, ${at})
      ON CONFLICT (mailbox_id, uid_validity, uid) DO UPDATE SET folder = EXCLUDED.folder,
        flagged = EXCLUDED.flagged, own_ref = COALESCE(EXCLUDED.own_ref, filing_intents.own_ref),
        asked_at = EXCLUDED.asked_at`.execute(db);
  }

  async setFiledAt(ref: string, at: FiledAt): Promise<void> {
    await sql`UPDATE cases SET filed_path = ${at.path}, filed_uid_validity = ${at.uidValidity},
      filed_uid = ${at.uid} WHERE ref = ${ref}`.execute(this.db);
  }

  /** setFiledAt for a batch of cases, in one statement. */
  async setFiledAtMany(entries: Array<{ ref: string } & FiledAt>): Promise<void> {
    if (entries.length === 0) return;
    await sql`UPDATE cases c SET filed_path = w.path, filed_uid_validity = w.uid_validity, filed_uid = w.uid
      FROM unnest(${entries.map((e) => e.ref)}::text[], ${entries.map((e) => e.path)}::text[],
        ${entries.map((e) => e.uidValidity)}::text[], ${entries.map((e) => e.uid)}::bigint[])
        AS w(ref, path, uid_validity, uid)
      WHERE c.ref = w.ref`.execute(this.db);
  }

  async filedAt(ref: string): Promise<FiledAt | null> {
    const r = await sql<{ path: string | null; uid_validity: string; uid: number }>`
      SELECT filed_path AS path, filed_uid_validity AS uid_validity, filed_uid AS uid
      FROM cases WHERE ref = ${ref}`.execute(this.db);
    const row = r.rows[0];
    return row?.path ? { path: row.path, uidValidity: row.uid_validity, uid: row.uid } : null;
  }

  /** Whether a filing of this mailbox asked for before this time waits. */
  async dueFilingExists(mailboxId: string, before: Date): Promise<boolean> {
    const r = await sql`SELECT 1 FROM filing_intents
      WHERE mailbox_id = ${mailboxId} AND asked_at <= ${before} LIMIT 1`.execute(this.db);
    return r.rows.length > 0;
  }

  async pendingFilingCount(mailboxId: string): Promise<number> {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM filing_intents
      WHERE mailbox_id = ${mailboxId}`.execute(this.db);
    return r.rows[0]?.n ?? 0;
  }

  async pendingFilings(mailboxId: string, limit = 5000): Promise<Array<Filing & { field: string }>> {
    const r = await sql<{
      uid_validity: string;
      uid: number;
      folder: FolderKey;
      flagged: boolean;
      own_ref: string | null;
      asked_at: Date;
    }>`SELECT uid_validity, uid, folder, flagged, own_ref, asked_at FROM filing_intents
      WHERE mailbox_id = ${mailboxId} ORDER BY asked_at LIMIT ${limit}`.execute(this.db);
    return r.rows.map((row) => ({
      field: `${row.uid_validity}:${row.uid}`,
      uidValidity: row.uid_validity,
      uid: row.uid,
      folder: row.folder,
      flagged: row.flagged,
      ownRef: row.own_ref ?? undefined,
      at: row.asked_at.getTime(),
    }));
  }

  /**
   * For each mail about to be filed, the case it belongs to — null when it has
   * none (then it must stay in the inbox, where the rescan hands it to triage again).
   */
  async casesToFile(mailboxId: string, filings: Filing[]): Promise<Array<string | null>> {
    if (filings.length === 0) return [];
    const r = await sql<{ uid_validity: string; uid: number; ref: string }>`
      SELECT m.uid_validity, m.uid, m.ref FROM case_mails m
      JOIN unnest(${filings.map((f) => f.uidValidity)}::text[], ${filings.map((f) => f.uid)}::bigint[])
        AS w(uid_validity, uid) ON m.uid_validity = w.uid_validity AND m.uid = w.uid
      WHERE m.mailbox_id = ${mailboxId}`.execute(this.db);
    const byPlace = new Map(r.rows.map((row) => [`${row.uid_validity}:${row.uid}`, row.ref]));
    return filings.map((f) => byPlace.get(`${f.uidValidity}:${f.uid}`) ?? null);
  }

  /** The references among these that have a case. */
  async existingCases(refs: string[]): Promise<Set<string>> {
    const unique = [...new Set(refs)];
    if (unique.length === 0) return new Set();
    const r = await sql<{ ref: string }>`SELECT ref FROM cases WHERE ref = ANY(${unique}::text[])`.execute(
      this.db,
    );
    return new Set(r.rows.map((row) => row.ref));
  }

  /** Remembers which case a mail now filed at this place belongs to (for the filed-mail reconciliation). */
  async setLocated(
    entries: Array<{ path: string; uidValidity: string; uid: number; ref: string }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    // One row per place: ON CONFLICT cannot touch a row twice in one statement.
    entries = [...new Map(entries.map((e) => [`${e.path}\u0000${e.uidValidity}\u0000${e.uid}`, e])).values()];
    await sql`INSERT INTO located_mails (path, uid_validity, uid, ref)
      SELECT w.path, w.uid_validity, w.uid, w.ref
      FROM unnest(${entries.map((e) => e.path)}::text[], ${entries.map((e) => e.uidValidity)}::text[],
        ${entries.map((e) => e.uid)}::bigint[], ${entries.map((e) => e.ref)}::text[]) AS w(path, uid_validity, uid, ref)
      WHERE EXISTS (SELECT 1 FROM cases WHERE cases.ref = w.ref)
      ON CONFLICT (path, uid_validity, uid) DO UPDATE SET ref = EXCLUDED.ref`.execute(this.db);
  }

  async locatedRefs(path: string, uidValidity: string, uids: number[]): Promise<Array<string | null>> {
    if (uids.length === 0) return [];
    const r = await sql<{ uid: number; ref: string }>`SELECT uid, ref FROM located_mails
      WHERE path = ${path} AND uid_validity = ${uidValidity} AND uid = ANY(${uids}::bigint[])`.execute(
      this.db,
    );
    const byUid = new Map(r.rows.map((row) => [row.uid, row.ref]));
    return uids.map((uid) => byUid.get(uid) ?? null);
  }

  async refForContent(contentHash: string): Promise<string | null> {
    const r = await sql<{ ref: string }>`SELECT ref FROM case_contents
      WHERE content_hash = ${contentHash}`.execute(this.db);
    return r.rows[0]?.ref ?? null;
  }

  /** The next triage of these bytes opens a case that is not answered automatically (see createCase). */
  async markRecovered(contentHash: string): Promise<void> {
    const until = new Date(Date.now() + RECOVERED_TTL_MS);
    await sql`INSERT INTO recovered_contents (content_hash, until) VALUES (${contentHash}, ${until})
      ON CONFLICT (content_hash) DO UPDATE SET until = EXCLUDED.until`.execute(this.db);
  }

  /**
   * When this store began (its first start): filed mail that arrived earlier
   * was filed by something else, and is not checked for a case.
   */
  async storeEpoch(): Promise<Date> {
    const now = String(Date.now());
    await sql`INSERT INTO store_meta (key, value) VALUES ('epoch', ${now}) ON CONFLICT DO NOTHING`.execute(
      this.db,
    );
    const r = await sql<{ value: string }>`SELECT value FROM store_meta WHERE key = 'epoch'`.execute(this.db);
    return new Date(Number(r.rows[0]?.value ?? now));
  }

  async clearFilings(mailboxId: string, fields: string[]): Promise<void> {
    if (fields.length === 0) return;
    const places = fields.map((f) => f.split(':'));
    await sql`DELETE FROM filing_intents f
      USING unnest(${places.map((p) => p[0] ?? '')}::text[], ${places.map((p) => Number(p[1]))}::bigint[])
        AS w(uid_validity, uid)
      WHERE f.mailbox_id = ${mailboxId} AND f.uid_validity = w.uid_validity AND f.uid = w.uid`.execute(
      this.db,
    );
  }

  /** Open cases of a queue, oldest first. */
  async openRefs(route: 'priority' | 'standard', offset = 0, limit = 100): Promise<string[]> {
    const r = await sql<{ ref: string }>`SELECT ref FROM cases WHERE awaiting AND route = ${route}
      ORDER BY received_at, ref OFFSET ${offset} LIMIT ${limit}`.execute(this.db);
    return r.rows.map((row) => row.ref);
  }

  /** References of cases received in [from, to), oldest first. */
  async refsBetween(from: Date, to: Date): Promise<string[]> {
    const r = await sql<{ ref: string }>`SELECT ref FROM cases
      WHERE received_at >= ${from} AND received_at < ${to} ORDER BY received_at, ref`.execute(this.db);
    return r.rows.map((row) => row.ref);
  }
}
