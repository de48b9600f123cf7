import type { Redis } from 'ioredis';
import { sql, type Transaction } from 'kysely';
import type { Database, Tables } from '../infra/database.js';
import type { Logger } from '../log.js';
import type { CaseRecord, CaseStatus, MailRef, ReplyState } from './caseRecord.js';
import { columnsOf, type FiledAt } from './caseStore.js';

/**
 * `cdap-triage migrate-from-redis`: the cases of a 0.1 deployment, kept as
 * JSON in Redis (src/cases/caseStore.ts at b0828e3), copied into the
 * PostgreSQL tables. Re-runnable: every insert is ON CONFLICT DO NOTHING and a
 * case already in PostgreSQL is left as it is, so a second run adds nothing.
 * Redis is only read (SCAN and MGET, never KEYS): its keys stay until the
 * operator deletes them.
 */

export interface MigrationOptions {
  /** Cases per read and per transaction. */
  batchSize?: number;
  /** Read Redis and count, write nothing. */
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
  log?: Logger;
}

export interface MigrationReport {
  prefix: string;
  dryRun: boolean;
  /** Case keys read from Redis. */
  casesRead: number;
  /** Copied by this run (in a dry run: would be). */
  casesCopied: number;
  /** Already in PostgreSQL, the same mail: left as they are. */
  casesPresent: number;
  /** Their reference is taken in PostgreSQL by another mail's case: not copied. */
  conflicts: string[];
  /** Case keys whose JSON could not be read: not copied. */
  unreadable: string[];
  followUps: number;
  replyStates: number;
  filedPlaces: number;
  /** Mail places (own, second copies, follow-ups) and contents newly linked to their case. */
  mailPlaces: number;
  contents: number;
  located: number;
  filings: number;
  /** The yearly sequences after the run, so new references follow the migrated ones. */
  sequences: Array<{ year: number; last: number }>;
  epoch: Date | null;
  seconds: number;
}

const DEFAULT_BATCH = 500;

type Tx = Transaction<Tables>;

/** SCAN patterns are globs: a prefix is matched literally. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key matching `<prefix>:<kind>:*`, in batches of about `size`, each key once. */
async function* scanKeys(redis: Redis, pattern: string, size: number): AsyncGenerator<string[]> {
  const seen = new Set<string>();
  let cursor = '0';
  let pending: string[] = [];
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', Math.max(size, 1000));
    cursor = next;
    for (const key of found) {
      // SCAN may return a key twice while the keyspace is rehashed.
      if (seen.has(key)) continue;
      seen.add(key);
      pending.push(key);
    }
    while (pending.length >= size) {
      yield pending.slice(0, size);
      pending = pending.slice(size);
    }
  } while (cursor !== '0');
  if (pending.length) yield pending;
}

/** Each batch of case keys with their reply states and filed places, read in one MGET. */
async function* caseBatches(
  redis: Redis,
  prefix: string,
  size: number,
): AsyncGenerator<{ refs: string[]; values: Array<string | null> }> {
  for await (const keys of scanKeys(redis, `${globEscape(prefix)}:case:*`, size)) {
    const refs = keys.map((k) => k.slice(`${prefix}:case:`.length));
    const values = await redis.mget([
      ...keys,
      ...refs.map((r) => `${prefix}:reply:${r}`),
      ...refs.map((r) => `${prefix}:filed:${r}`),
    ]);
    yield { refs, values };
  }
}

/** The next item is read from Redis while the current one is written to PostgreSQL. */
async function* readAhead<T>(source: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = source.next();
  for (;;) {
    const r = await next;
    if (r.done) return;
    next = source.next();
    // Awaited at the next turn; until then a failure must not count as unhandled.
    next.catch(() => {});
    yield r.value;
  }
}

/** A case as 0.1 kept it: `open`, `handled` (marked treated in the dashboard) or `recorded`. */
export type LegacyCase = Omit<CaseRecord, 'status'> & { status: string; handledAt?: string | null };

/** A 0.1 case as this version keeps it: its status in the lifecycle, "handled" an answer given from the dashboard. */
export function withLifecycle(legacy: LegacyCase): CaseRecord {
  const { handledAt, ...rest } = legacy;
  const answeredAt = handledAt ?? null;
  const statuses: Record<string, CaseStatus> = {
    open: 'nouveau',
    handled: 'répondu',
    recorded: 'enregistré',
  };
  return {
    ...rest,
    status: statuses[legacy.status] ?? (legacy.status as CaseStatus),
    answeredAt,
    firstAnsweredAt: answeredAt,
    answeredBy: null,
    answerChannel: answeredAt ? 'dashboard' : null,
    roundTrips: 1,
    roundStartedAt: legacy.receivedAt,
    assignee: null,
    takenAt: null,
    closedAt: null,
    closedBy: null,
  };
}

function sequenceOf(ref: string): { year: number; seq: number } | null {
  const m = /^CDAP-(\d{4})-(\d+)$/.exec(ref);
  return m ? { year: Number(m[1]), seq: Number(m[2]) } : null;
}

/** `<mailbox>:<uidvalidity>:<uid>`, the mailbox id possibly holding ':'. */
function placeOf(rest: string): { head: string; uidValidity: string; uid: number } | null {
  const m = /^(.*):([^:]+):(\d+)$/.exec(rest);
  return m ? { head: m[1] as string, uidValidity: m[2] as string, uid: Number(m[3]) } : null;
}

/**
 * 0.1 knew which bytes each follow-up had only through its `hash:` key, which
 * names no mail: the follow-up row gets a marker unique to its mail instead
 * (the real hashes go to case_contents, where duplicates are recognised).
 */
function followUpMarker(mail: MailRef): string {
  return `0.1:${mail.mailboxId}:${mail.uidValidity}:${mail.uid}`;
}

interface Parsed {
  ref: string;
  year: number;
  seq: number;
  record: CaseRecord;
  reply: ReplyState | null;
  filed: FiledAt | null;
}

async function missingTable<T>(run: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // A dry run on a database never migrated: nothing is there yet.
    if ((err as { code?: string }).code === '42P01') return fallback;
    throw err;
  }
}

export async function migrateFromRedis(
  redis: Redis,
  db: Database,
  prefix: string,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const started = Date.now();
  const size = options.batchSize ?? DEFAULT_BATCH;
  const dryRun = options.dryRun ?? false;
  const log = options.log;
  const p = globEscape(prefix);
  const report: MigrationReport = {
    prefix,
    dryRun,
    casesRead: 0,
    casesCopied: 0,
    casesPresent: 0,
    conflicts: [],
    unreadable: [],
    followUps: 0,
    replyStates: 0,
    filedPlaces: 0,
    mailPlaces: 0,
    contents: 0,
    located: 0,
    filings: 0,
    sequences: [],
    epoch: null,
    seconds: 0,
  };

  let phaseStart = Date.now();
  const phase = (name: string, rows: number) => {
    log?.info({ event: 'migrate.phase', phase: name, rows, ms: Date.now() - phaseStart }, 'phase done');
    phaseStart = Date.now();
  };

  // The counters first: a service already running on PostgreSQL must not hand
  // out a reference that a case still to be copied holds.
  const counters = new Map<number, number>();
  for await (const batch of scanKeys(redis, `${p}:refseq:*`, size)) {
    const values = await redis.mget(batch);
    batch.forEach((key, i) => {
      const year = Number(key.slice(key.lastIndexOf(':') + 1));
      const n = Number(values[i]);
      if (Number.isInteger(year) && Number.isFinite(n) && n > 0) counters.set(year, n);
    });
  }
  if (!dryRun) await raiseSequences(db, counters);

  const total = await redis.zcard(`${prefix}:cases:all`);
  options.onProgress?.(0, total);
  for await (const { refs, values } of readAhead(caseBatches(redis, prefix, size))) {
    const parsed: Parsed[] = [];
    refs.forEach((ref, i) => {
      const json = values[i];
      // Expired between SCAN and MGET: past retention, nothing to keep.
      if (!json) return;
      report.casesRead++;
      const n = sequenceOf(ref);
      try {
        const record = withLifecycle(JSON.parse(json) as LegacyCase);
        if (!n || !record.mail || !record.contentHash || !record.receivedAt) throw new Error('not a case');
        const reply = values[refs.length + i];
        const filed = values[2 * refs.length + i];
        parsed.push({
          ref,
          ...n,
          record: { ...record, ref, followUps: record.followUps ?? [] },
          reply: reply ? (JSON.parse(reply) as ReplyState) : null,
          filed: filed ? (JSON.parse(filed) as FiledAt) : null,
        });
      } catch (err) {
        report.unreadable.push(ref);
        log?.warn({ event: 'migrate.unreadable_case', ref, err }, 'case key not readable: not copied');
      }
    });
    if (parsed.length) {
      if (dryRun) await countBatch(db, parsed, report);
      else await db.transaction().execute((tx) => copyBatch(tx, parsed, report));
    }
    options.onProgress?.(report.casesRead, Math.max(total, report.casesRead));
  }
  phase('cases', report.casesCopied);
  if (dryRun) {
    report.sequences = [...counters].map(([year, last]) => ({ year, last })).sort((a, b) => a.year - b.year);
    report.seconds = (Date.now() - started) / 1000;
    return report;
  }

  // What hangs off a case that was not copied is not linked to the case PostgreSQL has under its reference.
  const leftOut = new Set([...report.conflicts, ...report.unreadable]);

  // Second copies and follow-ups: every mail place 0.1 knew, linked to its case.
  for await (const keys of scanKeys(redis, `${p}:mail:*`, size * 4)) {
    const refs = await redis.mget(keys);
    const rows: Array<{ mailbox: string; uidValidity: string; uid: number; ref: string }> = [];
    keys.forEach((key, i) => {
      const place = placeOf(key.slice(`${prefix}:mail:`.length));
      const ref = refs[i];
      if (place && ref && !leftOut.has(ref))
        rows.push({ mailbox: place.head, uidValidity: place.uidValidity, uid: place.uid, ref });
    });
    if (rows.length === 0) continue;
    const r = await sql<{ n: number }>`
      WITH w AS (SELECT * FROM unnest(${rows.map((x) => x.mailbox)}::text[],
          ${rows.map((x) => x.uidValidity)}::text[], ${rows.map((x) => x.uid)}::bigint[],
          ${rows.map((x) => x.ref)}::text[]) AS w(mailbox_id, uid_validity, uid, ref)),
      ins AS (
        INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
        SELECT w.mailbox_id, w.uid_validity, w.uid, w.ref,
          CASE
            WHEN (c.mailbox_id, c.uid_validity, c.uid) = (w.mailbox_id, w.uid_validity, w.uid) THEN 'own'
            WHEN EXISTS (SELECT 1 FROM follow_ups f WHERE f.ref = w.ref AND f.mailbox_id = w.mailbox_id
              AND f.uid_validity = w.uid_validity AND f.uid = w.uid) THEN 'follow-up'
            ELSE 'duplicate'
          END
        FROM w JOIN cases c ON c.ref = w.ref
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(db);
    report.mailPlaces += r.rows[0]?.n ?? 0;
  }
  phase('mails', report.mailPlaces);

  // The bytes of every mail seen (follow-ups included): the same mail under another UID is recognised.
  for await (const keys of scanKeys(redis, `${p}:hash:*`, size * 4)) {
    const refs = await redis.mget(keys);
    const rows = keys
      .map((key, i) => ({ hash: key.slice(`${prefix}:hash:`.length), ref: refs[i] }))
      .filter((x): x is { hash: string; ref: string } => Boolean(x.ref) && !leftOut.has(x.ref as string));
    if (rows.length === 0) continue;
    const r = await sql<{ n: number }>`
      WITH ins AS (
        INSERT INTO case_contents (content_hash, ref)
        SELECT w.content_hash, w.ref
        FROM unnest(${rows.map((x) => x.hash)}::text[], ${rows.map((x) => x.ref)}::text[]) AS w(content_hash, ref)
        JOIN cases c ON c.ref = w.ref
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(db);
    report.contents += r.rows[0]?.n ?? 0;
  }
  phase('contents', report.contents);

  // Where filed mail lies, for the filed-mail reconciliation.
  for await (const keys of scanKeys(redis, `${p}:located:*`, size * 4)) {
    const refs = await redis.mget(keys);
    const rows: Array<{ path: string; uidValidity: string; uid: number; ref: string }> = [];
    keys.forEach((key, i) => {
      const place = placeOf(key.slice(`${prefix}:located:`.length));
      const ref = refs[i];
      if (place && ref && !leftOut.has(ref))
        rows.push({ path: place.head, uidValidity: place.uidValidity, uid: place.uid, ref });
    });
    if (rows.length === 0) continue;
    const r = await sql<{ n: number }>`
      WITH ins AS (
        INSERT INTO located_mails (path, uid_validity, uid, ref)
        SELECT w.path, w.uid_validity, w.uid, w.ref
        FROM unnest(${rows.map((x) => x.path)}::text[], ${rows.map((x) => x.uidValidity)}::text[],
          ${rows.map((x) => x.uid)}::bigint[], ${rows.map((x) => x.ref)}::text[]) AS w(path, uid_validity, uid, ref)
        JOIN cases c ON c.ref = w.ref
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(db);
    report.located += r.rows[0]?.n ?? 0;
  }
  phase('located', report.located);

  // Moves still to do: the new intake does them.
  for await (const keys of scanKeys(redis, `${p}:filing:*`, size)) {
    for (const key of keys) {
      const mailboxId = key.slice(`${prefix}:filing:`.length);
      let cursor = '0';
      do {
        const [next, flat] = await redis.hscan(key, cursor, 'COUNT', size);
        cursor = next;
        const rows: Array<{
          uidValidity: string;
          uid: number;
          folder: string;
          flagged: boolean;
          ownRef: string | null;
          at: Date;
        }> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const [uidValidity = '', uid = ''] = (flat[i] as string).split(':');
          try {
            const f = JSON.parse(flat[i + 1] as string) as {
              folder: string;
              flagged: boolean;
              ownRef?: string;
              at?: number;
            };
            if (!/^\d+$/.test(uid) || !f.folder || (f.ownRef && leftOut.has(f.ownRef))) continue;
            // A filing written before filings carried their time is as old as can be (as in 0.1).
            rows.push({
              uidValidity,
              uid: Number(uid),
              folder: f.folder,
              flagged: Boolean(f.flagged),
              ownRef: f.ownRef ?? null,
              at: new Date(f.at ?? 0),
            });
          } catch {
            log?.warn({ event: 'migrate.unreadable_filing', mailbox: mailboxId }, 'filing not readable');
          }
        }
        if (rows.length === 0) continue;
        const r = await sql<{ n: number }>`
          WITH ins AS (
            INSERT INTO filing_intents (mailbox_id, uid_validity, uid, folder, flagged, own_ref, asked_at)
            SELECT ${mailboxId}, w.uid_validity, w.uid, w.folder, w.flagged, w.own_ref, w.asked_at
            FROM unnest(${rows.map((x) => x.uidValidity)}::text[], ${rows.map((x) => x.uid)}::bigint[],
              ${rows.map((x) => x.folder)}::text[], ${rows.map((x) => x.flagged)}::boolean[],
              ${rows.map((x) => x.ownRef)}::text[], ${rows.map((x) => x.at)}::timestamptz[])
              AS w(uid_validity, uid, folder, flagged, own_ref, asked_at)
            ON CONFLICT DO NOTHING RETURNING 1)
          SELECT count(*)::int AS n FROM ins`.execute(db);
        report.filings += r.rows[0]?.n ?? 0;
      } while (cursor !== '0');
    }
  }

  phase('filings', report.filings);
  // Past every number copied, whatever the counters said.
  await sql`INSERT INTO ref_sequences (year, last)
    SELECT year, max(seq) FROM cases GROUP BY year
    ON CONFLICT (year) DO UPDATE SET last = GREATEST(ref_sequences.last, EXCLUDED.last)`.execute(db);
  const seqs = await sql<{
    year: number;
    last: number;
  }>`SELECT year, last FROM ref_sequences ORDER BY year`.execute(db);
  report.sequences = seqs.rows;

  // The store began when 0.1 began: filed mail older than that is not checked for a case.
  const epoch = Number(await redis.get(`${prefix}:epoch`));
  if (Number.isFinite(epoch) && epoch > 0) {
    await sql`INSERT INTO store_meta (key, value) VALUES ('epoch', ${String(epoch)})
      ON CONFLICT (key) DO UPDATE SET value = CASE
        WHEN EXCLUDED.value::bigint < store_meta.value::bigint THEN EXCLUDED.value ELSE store_meta.value END`.execute(
      db,
    );
  }
  const e = await sql<{ value: string }>`SELECT value FROM store_meta WHERE key = 'epoch'`.execute(db);
  report.epoch = e.rows[0] ? new Date(Number(e.rows[0].value)) : null;
  if (report.casesCopied > 0) {
    // After a bulk load: statistics for the planner and the visibility map for index-only
    // scans now, rather than when autovacuum gets to it, in the middle of the first day's work.
    for (const table of [
      'cases',
      'case_mails',
      'case_contents',
      'follow_ups',
      'located_mails',
      'case_rounds',
      'answers',
    ]) {
      await sql`VACUUM (ANALYZE) ${sql.table(table)}`.execute(db);
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  log?.info(
    {
      event: 'migrate.done',
      copied: report.casesCopied,
      present: report.casesPresent,
      conflicts: report.conflicts.length,
      unreadable: report.unreadable.length,
      seconds: report.seconds,
    },
    'cases copied from Redis',
  );
  return report;
}

async function raiseSequences(db: Database, counters: Map<number, number>): Promise<void> {
  if (counters.size === 0) return;
  const entries = [...counters];
  await sql`INSERT INTO ref_sequences (year, last)
    SELECT * FROM unnest(${entries.map(([y]) => y)}::int[], ${entries.map(([, n]) => n)}::int[])
    ON CONFLICT (year) DO UPDATE SET last = GREATEST(ref_sequences.last, EXCLUDED.last)`.execute(db);
}

/** Sorts the cases of a batch not copied: the same case already there, or another one under its reference. */
async function sortSkipped(db: Database | Tx, skipped: Parsed[], report: MigrationReport): Promise<void> {
  if (skipped.length === 0) return;
  const r = await missingTable(
    () =>
      sql<{ ref: string; mailbox_id: string; uid_validity: string; uid: number }>`
        SELECT ref, mailbox_id, uid_validity, uid FROM cases
        WHERE ref = ANY(${skipped.map((s) => s.ref)}::text[])`.execute(db),
    { rows: [] },
  );
  const there = new Map(r.rows.map((row) => [row.ref, row]));
  for (const s of skipped) {
    const row = there.get(s.ref);
    const m = s.record.mail;
    if (!row) continue;
    if (row.mailbox_id === m.mailboxId && row.uid_validity === m.uidValidity && row.uid === m.uid) {
      report.casesPresent++;
    } else {
      report.conflicts.push(s.ref);
    }
  }
}

async function countBatch(db: Database, parsed: Parsed[], report: MigrationReport): Promise<void> {
  const before = report.casesPresent + report.conflicts.length;
  await sortSkipped(db, parsed, report);
  const skipped = report.casesPresent + report.conflicts.length - before;
  report.casesCopied += parsed.length - skipped;
}

/**
 * The SQL type of each column a case row gets, columnsOf's included: a column
 * added there and not here fails the type check instead of being left out.
 */
const CASE_COLUMNS = {
  ref: 'text',
  year: 'integer',
  seq: 'integer',
  mailbox_id: 'text',
  uid_validity: 'text',
  uid: 'bigint',
  content_hash: 'text',
  received_at: 'timestamptz',
  triaged_at: 'timestamptz',
  route: 'text',
  status: 'text',
  kind: 'text',
  urgent: 'boolean',
  urgency_check: 'text',
  cdas_id: 'text',
  cdas_name: 'text',
  motif: 'text',
  prestations: 'text[]',
  rules: 'text[]',
  unreadable: 'boolean',
  multiple_situations: 'boolean',
  lint_errors: 'integer',
  lint_warnings: 'integer',
  backfill: 'boolean',
  due_at: 'timestamptz',
  answered_at: 'timestamptz',
  message_id_hash: 'text',
  round_trips: 'integer',
  round_started_at: 'timestamptz',
  first_answered_at: 'timestamptz',
  answered_by: 'text',
  answer_channel: 'text',
  assignee: 'text',
  taken_at: 'timestamptz',
  closed_at: 'timestamptz',
  closed_by: 'text',
  record: 'jsonb',
  reply_state: 'jsonb',
  filed_path: 'text',
  filed_uid_validity: 'text',
  filed_uid: 'bigint',
} as const satisfies Record<keyof ReturnType<typeof columnsOf>, string> &
  Partial<Record<keyof Tables['cases'], string>>;

const caseColumnNames = Object.keys(CASE_COLUMNS);
// JSON strings (record, reply_state) arrive as text and are parsed once, by PostgreSQL.
const recordsetColumns = sql.raw(
  Object.entries(CASE_COLUMNS)
    .map(([name, type]) => `${name} ${type === 'jsonb' ? 'text' : type}`)
    .join(', '),
);
const selectColumns = sql.raw(
  Object.entries(CASE_COLUMNS)
    .map(([name, type]) => (type === 'jsonb' ? `${name}::jsonb` : name))
    .join(', '),
);

async function copyBatch(tx: Tx, parsed: Parsed[], report: MigrationReport): Promise<void> {
  // Those already there are not sent at all: a second run only reads.
  const there = await sql<{ ref: string }>`SELECT ref FROM cases
    WHERE ref = ANY(${parsed.map((c) => c.ref)}::text[])`.execute(tx);
  const present = new Set(there.rows.map((r) => r.ref));
  const fresh = parsed.filter((c) => !present.has(c.ref));
  const copiedRefs = new Set<string>();
  if (fresh.length) {
    const rows = fresh.map((c) => ({
      ref: c.ref,
      year: c.year,
      seq: c.seq,
      mailbox_id: c.record.mail.mailboxId,
      uid_validity: c.record.mail.uidValidity,
      uid: c.record.mail.uid,
      content_hash: c.record.contentHash,
      received_at: c.record.receivedAt,
      triaged_at: c.record.triagedAt ?? c.record.receivedAt,
      ...columnsOf(c.record),
      reply_state: c.reply ? JSON.stringify(c.reply) : null,
      filed_path: c.filed?.path ?? null,
      filed_uid_validity: c.filed?.uidValidity ?? null,
      filed_uid: c.filed?.uid ?? null,
    }));
    // One parameter for the whole batch: PostgreSQL reads the rows from JSON.
    const inserted = await sql<{ ref: string }>`
      INSERT INTO cases (${sql.raw(caseColumnNames.join(', '))})
      SELECT ${selectColumns} FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${recordsetColumns})
      ON CONFLICT DO NOTHING RETURNING ref`.execute(tx);
    for (const r of inserted.rows) copiedRefs.add(r.ref);
  }
  const copied = parsed.filter((c) => copiedRefs.has(c.ref));
  await sortSkipped(
    tx,
    parsed.filter((c) => !copiedRefs.has(c.ref)),
    report,
  );
  report.casesCopied += copied.length;
  if (copied.length === 0) return;
  report.replyStates += copied.filter((c) => c.reply).length;
  // Their round trip, and the answer 0.1 knew of: "Marquer comme traité" in the dashboard.
  const requests = copied.filter((c) => c.record.route === 'priority' || c.record.route === 'standard');
  if (requests.length) {
    await sql`INSERT INTO case_rounds (ref, round, started_at, due_at, answered_at)
      SELECT * FROM unnest(${requests.map((c) => c.ref)}::text[], ${requests.map(() => 1)}::int[],
        ${requests.map((c) => c.record.receivedAt)}::timestamptz[],
        ${requests.map((c) => c.record.sla?.dueAt ?? null)}::timestamptz[],
        ${requests.map((c) => c.record.answeredAt)}::timestamptz[])
      ON CONFLICT DO NOTHING`.execute(tx);
    const answered = requests.filter((c) => c.record.answeredAt);
    await sql`INSERT INTO answers (ref, source_key, answered_at, channel)
      SELECT ref, 'dashboard:1', at, 'dashboard'
      FROM unnest(${answered.map((c) => c.ref)}::text[], ${answered.map((c) => c.record.answeredAt)}::timestamptz[])
        AS w(ref, at)
      ON CONFLICT DO NOTHING`.execute(tx);
  }
  report.filedPlaces += copied.filter((c) => c.filed).length;

  const places = copied.flatMap((c) => [
    { ...c.record.mail, ref: c.ref, role: 'own' },
    ...c.record.followUps.map((f) => ({ ...f.mail, ref: c.ref, role: 'follow-up' })),
  ]);
  await sql`INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
    SELECT * FROM unnest(${places.map((x) => x.mailboxId)}::text[], ${places.map((x) => x.uidValidity)}::text[],
      ${places.map((x) => x.uid)}::bigint[], ${places.map((x) => x.ref)}::text[], ${places.map((x) => x.role)}::text[])
    ON CONFLICT DO NOTHING`.execute(tx);
  await sql`INSERT INTO case_contents (content_hash, ref)
    SELECT * FROM unnest(${copied.map((c) => c.record.contentHash)}::text[], ${copied.map((c) => c.ref)}::text[])
    ON CONFLICT DO NOTHING`.execute(tx);
  const followUps = copied.flatMap((c) =>
    c.record.followUps.map((f) => ({ ref: c.ref, receivedAt: new Date(f.receivedAt), mail: f.mail })),
  );
  if (followUps.length) {
    // In the order 0.1 listed them: the case page shows them by reception, then by insertion.
    const r = await sql<{ n: number }>`
      WITH ins AS (
        INSERT INTO follow_ups (ref, received_at, mailbox_id, uid_validity, uid, content_hash)
        SELECT ref, received_at, mailbox_id, uid_validity, uid, content_hash
        FROM unnest(${followUps.map((f) => f.ref)}::text[], ${followUps.map((f) => f.receivedAt)}::timestamptz[],
          ${followUps.map((f) => f.mail.mailboxId)}::text[], ${followUps.map((f) => f.mail.uidValidity)}::text[],
          ${followUps.map((f) => f.mail.uid)}::bigint[], ${followUps.map((f) => followUpMarker(f.mail))}::text[])
          WITH ORDINALITY AS w(ref, received_at, mailbox_id, uid_validity, uid, content_hash, n)
        ORDER BY n
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT count(*)::int AS n FROM ins`.execute(tx);
    report.followUps += r.rows[0]?.n ?? 0;
  }
}
