import { type Kysely, sql } from 'kysely';
import { holdsPersonalData } from '../analysis/maskPersonalData.js';
import type { Database, Tables } from '../infra/database.js';
import type { CaseRecord } from './caseRecord.js';
import { columnsOf } from './caseStore.js';

export type ReleaseOutcome =
  /** Released now: its work item and, when one is due, its reply intent were written with it. */
  | { outcome: 'released'; record: CaseRecord; replyIntent: boolean }
  /** Not (or no longer) in quarantine: someone released it first; nothing was written. */
  | { outcome: 'not-quarantined'; record: CaseRecord | null };

/** Writes who did what on a case, in the caller's transaction or alone. */
export async function audit(
  db: Kysely<Tables>,
  actor: string,
  action: string,
  ref: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await sql`INSERT INTO audit_events (actor, action, ref, detail)
    VALUES (${actor}, ${action}, ${ref}, ${JSON.stringify(detail)}::jsonb)`.execute(db);
}

/**
 * A supervisor releases a quarantined case as a request: in one transaction,
 * the case takes its new analysis (`released`, routed priority or standard),
 * its first round trip, its work item and its reply intent (the outbox
 * dispatches them), and the decision goes in the audit trail. The row is
 * locked and its route read again: pressed twice, or by two people at once,
 * the second finds it released and writes nothing — one acknowledgement.
 */
export async function releaseQuarantined(
  db: Database,
  released: CaseRecord,
  actor: string,
  intents: { replies: boolean; inReplyTo: string | null },
): Promise<ReleaseOutcome> {
  return db.transaction().execute(async (tx) => {
    const r = await sql<{
      route: string;
    }>`SELECT route FROM cases WHERE ref = ${released.ref} FOR UPDATE`.execute(tx);
    const row = r.rows[0];
    if (!row) return { outcome: 'not-quarantined', record: null };
    if (row.route !== 'quarantine') return { outcome: 'not-quarantined', record: null };
    await tx
      .updateTable('cases')
      .set({ ...columnsOf(released), updated_at: sql`now()` } as never)
      .where('ref', '=', released.ref)
      .execute();
    await sql`INSERT INTO case_rounds (ref, round, started_at, due_at)
      VALUES (${released.ref}, 1, ${new Date(released.roundStartedAt)},
        ${released.sla ? new Date(released.sla.dueAt) : null})
      ON CONFLICT DO NOTHING`.execute(tx);
    await sql`INSERT INTO outbox (ref, kind) VALUES (${released.ref}, 'work')
      ON CONFLICT (ref, kind) DO NOTHING`.execute(tx);
    const replyIntent =
      intents.replies &&
      released.reply !== 'none' &&
      released.replySuppressed === null &&
      released.replyState === null;
    if (replyIntent) {
      // Kept for threading only when it carries nothing that looks personal (as createCase does).
      const inReplyTo = intents.inReplyTo && !holdsPersonalData(intents.inReplyTo) ? intents.inReplyTo : null;
      await sql`INSERT INTO outbox (ref, kind, payload)
        VALUES (${released.ref}, 'reply', ${JSON.stringify({ inReplyTo })}::jsonb)
        ON CONFLICT (ref, kind) DO NOTHING`.execute(tx);
    }
    await audit(tx, actor, 'libération de quarantaine', released.ref, {
      route: released.route,
      acknowledgement: replyIntent,
    });
    return { outcome: 'released', record: released, replyIntent };
  });
}

/** A supervisor confirms the quarantine: the case stays as it is; the decision and its author are kept. */
export async function confirmQuarantine(db: Database, ref: string, actor: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const r = await sql<{ route: string }>`SELECT route FROM cases WHERE ref = ${ref} FOR UPDATE`.execute(tx);
    if (r.rows[0]?.route !== 'quarantine') return false;
    await audit(tx, actor, 'quarantaine confirmée', ref);
    return true;
  });
}
