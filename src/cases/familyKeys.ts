import { createHash, createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { FamilyIds } from '../analysis/types.js';
import type { Database } from '../infra/database.js';

/**
 * The family's keys: an HMAC-SHA256, with a secret known only to the service
 * (CDAP_FAMILY_KEY), of each allocataire number and NIR a request names. Two
 * cases about the same family share a key; the numbers themselves are never
 * written anywhere, and without the secret a key cannot be tried against a
 * list of numbers. The kind prefix keeps a 7-digit number from meeting a NIR.
 */
export function familyKeysOf(ids: FamilyIds | undefined, secret: string): string[] {
  if (!secret || !ids) return [];
  const key = (kind: string, value: string) =>
    createHmac('sha256', secret).update(`${kind}:${value}`).digest('hex').slice(0, 32);
  return [
    ...new Set([
      ...ids.allocataireNumbers.map((n) => key('allocataire', n)),
      ...ids.nirs.map((n) => key('nir', n)),
    ]),
  ];
}

/**
 * The secret of the local demo, derived from the demo's own fixed setting so
 * that its history links from one run to the next. Never for a real mailbox.
 */
export function demoFamilySecret(seed: string): string {
  return createHash('sha256').update(`cdap-triage demo family key:${seed}`).digest('hex');
}

/** One case of a family's history, as the case page lists it. */
export interface FamilyCase {
  ref: string;
  receivedAt: string;
  status: string;
  route: string;
  /** Hours from reception to the first answer; null while unanswered. */
  answerHours: number | null;
  roundTrips: number;
  /** Received before the case being read. */
  earlier: boolean;
}

/**
 * The other cases of the same family: those sharing one of its keys, and the
 * ones those share a key with (a mail naming both the allocataire number and
 * the NIR joins a case naming one to a case naming the other). Newest first.
 */
export async function familyHistory(db: Database, ref: string, limit = 50): Promise<FamilyCase[]> {
  const r = await sql<{
    ref: string;
    received_at: Date;
    status: string;
    route: string;
    first_answered_at: Date | null;
    round_trips: number;
    earlier: boolean;
  }>`
    WITH self AS (SELECT ref, received_at, family_keys FROM cases WHERE ref = ${ref}),
    near AS (
      SELECT c.ref, c.family_keys FROM cases c, self
      WHERE c.family_keys && self.family_keys AND c.ref <> self.ref),
    far AS (
      SELECT c.ref FROM cases c, self
      WHERE c.family_keys && (SELECT coalesce(array_agg(k), '{}') FROM near, unnest(near.family_keys) k)
        AND c.ref <> self.ref)
    SELECT c.ref, c.received_at, c.status, c.route, c.first_answered_at, c.round_trips,
      c.received_at < self.received_at AS earlier
    FROM cases c, self
    WHERE c.ref IN (SELECT ref FROM near UNION SELECT ref FROM far)
    ORDER BY c.received_at DESC, c.ref DESC
    LIMIT ${limit}`.execute(db);
  return r.rows.map((row) => ({
    ref: row.ref,
    receivedAt: row.received_at.toISOString(),
    status: row.status,
    route: row.route,
    answerHours: row.first_answered_at
      ? (row.first_answered_at.getTime() - row.received_at.getTime()) / 3_600_000
      : null,
    roundTrips: row.round_trips,
    earlier: row.earlier,
  }));
}
