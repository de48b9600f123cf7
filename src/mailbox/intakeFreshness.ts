import type { Config } from '../config/schema.js';
import type { IntakeStateStore } from './intakeState.js';

/** Seconds since each mailbox was last checked, by any replica; null: never. */
export type CheckAges = Record<string, number | null>;

/**
 * Past this age a mailbox's intake is stale: /readyz answers 503, CdapIntakeStale fires (the
 * gauge cdap_intake_stale_after_seconds exports it), and a failing intake logs at `error`.
 * Three reconciliations missed: one slow cycle is not an outage.
 */
export function staleAfterSeconds(intake: Pick<Config['intake'], 'reconcileIntervalMs'>): number {
  return (3 * intake.reconcileIntervalMs) / 1000;
}

/** Read from Redis: the same answer on every replica, whichever holds the lease. */
export async function checkAges(
  state: IntakeStateStore,
  mailboxes: Config['mailboxes'],
  now = Date.now(),
): Promise<CheckAges> {
  const ages: CheckAges = {};
  for (const m of mailboxes) {
    const last = await state.lastCheckAt(m.id);
    ages[m.id] = last ? Math.round((now - last.getTime()) / 1000) : null;
  }
  return ages;
}

/** Every mailbox was checked, within the limit. */
export function intakeFresh(ages: CheckAges, staleAfter: number): boolean {
  return Object.values(ages).every((age) => age !== null && age <= staleAfter);
}
