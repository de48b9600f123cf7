// What the bench reads of the service's state, straight from Redis and the
// IMAP server, the way an operator would check that nothing was lost.

import pg from 'pg';
import { hashMessageId } from '../../dist/cases/caseRecord.js';
import {
  benchDatabase,
  databaseSchema,
  fatal,
  imapClient,
  serviceSetup,
  sleep,
  startService,
  waitUntil,
} from './servers.mjs';

export const FOLDERS = [
  'CDAP.Prioritaire',
  'CDAP.Standard',
  'CDAP.Quarantaine',
  'CDAP.Ignore',
  'CDAP.Erreurs',
];

/** Settings every measure runs with, so that one address getting many replies is not suppressed. */
export function benchConfig({ maxMessagesPerSecond, extra = {} } = {}) {
  return {
    replies: {
      perRecipientPerHour: 1_000_000,
      perRecipientPerDay: 1_000_000,
      sameSubjectPerDay: 1_000_000,
      ...extra.replies,
    },
    smtp: { ...(maxMessagesPerSecond ? { maxMessagesPerSecond } : {}), ...extra.smtp },
    ...(extra.intake ? { intake: extra.intake } : {}),
    ...(extra.triage ? { triage: extra.triage } : {}),
    // Two processes on one machine must not fight for the dashboard's port; 0 = any free port.
    http: { port: 0 },
  };
}

/** The intake finished its first check of the mailbox. */
export async function waitIntakeReady(redis, prefix, services, timeoutMs = 30_000) {
  await waitUntil('the intake to check the mailbox', timeoutMs, async () => {
    for (const s of services) if (s.exit) throw fatal(s.describeExit());
    return redis.hget(`${prefix}:intake:default`, 'lastCheckAt');
  });
}

/** Jobs not yet done in a BullMQ queue (waiting, active, delayed, prioritized, paused), and failed ones. */
export async function queueCounts(redis, prefix, queue) {
  const k = (s) => `${prefix}:${queue}:${s}`;
  const [[, wait], [, active], [, delayed], [, prioritized], [, paused], [, failed]] = await redis
    .multi()
    .llen(k('wait'))
    .llen(k('active'))
    .zcard(k('delayed'))
    .zcard(k('prioritized'))
    .llen(k('paused'))
    .zcard(k('failed'))
    .exec();
  return { pending: wait + active + delayed + prioritized + paused, delayed, failed };
}

export async function countKeys(redis, pattern) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

/** One query in the schema of a measure's records (its prefix), on the run's database. */
export async function queryRecords(prefix, text, values = []) {
  const client = new pg.Client({
    connectionString: benchDatabase.url,
    options: `-c search_path=${databaseSchema(prefix)}`,
  });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Every case of a measure as stored in PostgreSQL (record, reply state, follow-ups). */
export async function allCases(_redis, prefix) {
  const rows = await queryRecords(
    prefix,
    `SELECT c.ref, c.record, c.reply_state,
       (SELECT count(*)::int FROM follow_ups f WHERE f.ref = c.ref) AS follow_ups
     FROM cases c ORDER BY c.received_at, c.ref`,
  ).catch((err) => {
    // No table yet: the service never started with this prefix.
    if (err.code === '42P01') return [];
    throw err;
  });
  return rows.map((r) => ({
    ...r.record,
    ref: r.ref,
    replyState: r.reply_state,
    followUps: Array.from({ length: r.follow_ups }),
  }));
}

/** The case of a mail (its place in the mailbox), or null when it has none yet. */
export async function caseOfMail(prefix, mail) {
  const rows = await queryRecords(
    prefix,
    'SELECT ref FROM case_mails WHERE mailbox_id = $1 AND uid_validity = $2 AND uid = $3',
    [mail.mailboxId, mail.uidValidity, mail.uid],
  ).catch(() => []);
  return rows[0]?.ref ?? null;
}

/** Filings asked for and not done yet. */
export async function pendingFilings(prefix) {
  const rows = await queryRecords(prefix, 'SELECT count(*)::int AS n FROM filing_intents').catch(() => [
    { n: -1 },
  ]);
  return rows[0]?.n ?? -1;
}

/** When a case entered its technicians' queue: the BullMQ job's timestamp (job id = case ref). */
export async function queuedAt(redis, prefix, route, ref) {
  const ts = await redis.hget(`${prefix}:${route}:${ref}`, 'timestamp');
  return ts ? Number(ts) : null;
}

export async function folderCounts(client) {
  const counts = {};
  for (const path of ['INBOX', ...FOLDERS]) {
    try {
      counts[path] = (await client.status(path, { messages: true })).messages ?? 0;
    } catch {
      counts[path] = 0; // not created: nothing was filed there
    }
  }
  return counts;
}

/**
 * Polls until every mail was handed over, triaged, answered and filed, noting
 * when each stage ended. Resolves with those times, or with `timedOut` set.
 */
export async function waitForDrain({
  redis,
  prefix,
  imap,
  expectedMails,
  services,
  timeoutMs,
  everyMs = 100,
  onTick,
}) {
  const client = imapClient(imap);
  await client.connect();
  const ends = { handedOver: null, triaged: null, replied: null, filed: null };
  const deadline = Date.now() + timeoutMs;
  let timedOut = false;
  let last = null;
  try {
    for (;;) {
      const now = Date.now();
      for (const s of services) {
        if (s.exit) throw fatal(s.describeExit());
      }
      const lastUid = Number((await redis.hget(`${prefix}:intake:default`, 'lastUid')) ?? 0);
      const triage = await queueCounts(redis, prefix, 'triage');
      const notify = await queueCounts(redis, prefix, 'notify');
      const inbox = (await client.status('INBOX', { messages: true })).messages ?? 0;
      last = { lastUid, triage, notify, inbox };
      onTick?.(last);
      if (lastUid >= expectedMails) ends.handedOver ??= now;
      if (ends.handedOver && triage.pending === 0) ends.triaged ??= now;
      // Reply jobs are all added once triage is done; retries would sit in delayed.
      if (ends.triaged && notify.pending === 0) ends.replied ??= now;
      if (ends.handedOver && inbox === 0) ends.filed ??= now;
      if (ends.triaged && ends.replied && ends.filed) break;
      if (now > deadline) {
        timedOut = true;
        break;
      }
      await sleep(everyMs);
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return { ends, timedOut, last };
}

/**
 * Everything that should hold once the flow is done, counted independently of
 * the service's own bookkeeping where possible: the IMAP folders, the cases,
 * the replies the SMTP sink accepted.
 */
export async function verifyFlow({ redis, prefix, imap, expectedMails, sink, messageIds }) {
  const client = imapClient(imap);
  await client.connect();
  let folders;
  try {
    folders = await folderCounts(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
  const filed = FOLDERS.reduce((n, f) => n + folders[f], 0);
  const mailKeys = (await queryRecords(prefix, 'SELECT count(*)::int AS n FROM case_mails'))[0]?.n ?? 0;
  const cases = await allCases(redis, prefix);
  // Cases keep the Message-ID as a hash: map each hash back to the mail we appended.
  const ours = new Map(messageIds.map((id) => [hashMessageId(id), id]));
  const byRoute = {};
  let replyDue = 0;
  let replySent = 0;
  let replyFailed = 0;
  const suppressed = {};
  let repliesAtSink = 0;
  let duplicateReplies = 0;
  let lastReplyAt = 0;
  const notSent = [];
  for (const c of cases) {
    byRoute[c.route] = (byRoute[c.route] ?? 0) + 1;
    if (c.reply !== 'none' && !c.replySuppressed) {
      replyDue++;
      const status = c.replyState?.status ?? null;
      if (status === 'sent') replySent++;
      else if (status === 'suppressed') {
        // Decided by the reply stage itself (e.g. recipient not allowed): an outcome, not a loss.
        const reason = c.replyState.reasonCode ?? c.replyState.reason ?? 'unknown';
        suppressed[reason] = (suppressed[reason] ?? 0) + 1;
      } else {
        if (status === 'failed') replyFailed++;
        notSent.push({
          ref: c.ref,
          status,
          reason: c.replyState?.reasonCode ?? null,
          detail: c.replyState?.reason ?? null,
        });
      }
    }
    const original = c.messageIdHash ? ours.get(c.messageIdHash) : undefined;
    const times = original ? sink.byInReplyTo.get(original) : undefined;
    if (times) {
      repliesAtSink++;
      duplicateReplies += times.length - 1;
      lastReplyAt = Math.max(lastReplyAt, ...times);
    }
  }
  const followUps = cases.reduce((n, c) => n + c.followUps.length, 0);
  const triageFailed = (await queueCounts(redis, prefix, 'triage')).failed;
  const notifyFailed = (await queueCounts(redis, prefix, 'notify')).failed;
  const lastTriagedAt = cases.reduce((t, c) => Math.max(t, Date.parse(c.triagedAt)), 0);
  const problems = [];
  if (folders.INBOX !== 0) problems.push(`${folders.INBOX} mail(s) still in INBOX`);
  if (filed !== expectedMails) problems.push(`${filed} mail(s) filed in CDAP.* instead of ${expectedMails}`);
  if (mailKeys !== expectedMails) problems.push(`${mailKeys} mail(s) triaged instead of ${expectedMails}`);
  if (notSent.length) problems.push(`${notSent.length} reply(ies) due but not sent (${replyFailed} failed)`);
  if (repliesAtSink !== replySent)
    problems.push(`${replySent} replies recorded sent, ${repliesAtSink} reached the SMTP sink`);
  if (triageFailed) problems.push(`${triageFailed} triage job(s) failed`);
  if (notifyFailed) problems.push(`${notifyFailed} reply job(s) failed`);
  return {
    ok: problems.length === 0,
    problems,
    folders,
    filed,
    triaged: mailKeys,
    cases: cases.length,
    followUps,
    byRoute,
    replies: {
      due: replyDue,
      sent: replySent,
      suppressed,
      atSink: repliesAtSink,
      duplicates: duplicateReplies,
      notSent: notSent.slice(0, 5),
    },
    lastReplyAt,
    lastTriagedAt,
    casesList: cases,
  };
}

/**
 * One `cdap-triage run` process of a measure, on the measure's own mailbox and
 * prefix. Returns the process and its settings (recorded with the results).
 */
export async function startMeasureService(ctx, { name, prefix, dovecot }) {
  const setup = await serviceSetup({
    workDir: ctx.workDir,
    name,
    redisUrl: ctx.redisUrl,
    prefix,
    imap: dovecot,
    smtp: ctx.sink,
    config: benchConfig(),
    overrides: ctx.configOverrides,
    env: ctx.serviceEnv,
  });
  const service = startService(ctx.cleanup, {
    setup,
    logFile: `${ctx.workDir}/service-${name}.log`,
    cpuProfDir: ctx.cpuProfDir,
    label: name,
  });
  return { service, settings: setup.settings };
}
