import type { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { type CaseRecord, hashMessageId } from '../cases/caseRecord.js';
import type { AnswerAdvice, CaseStore, RecordedAnswer, Settled } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import { describeImapFailure } from '../infra/errors.js';
import type { Logger } from '../log.js';
import { ensureFolders } from '../mailbox/folders.js';
import type { MailboxLease } from '../mailbox/mailboxLease.js';
import type { AnswerWatchMark } from './answerWatchMark.js';
import { readSentMail, type SentMail } from './readSentMail.js';

export interface AnswerWatcherDeps {
  config: Pick<Config, 'answers' | 'folders'>;
  createClient: () => ImapFlow;
  caseStore: CaseStore;
  db: Database;
  /** One watcher across replicas. */
  lease: MailboxLease;
  /** Where each look is marked done, and where triage asks for one now. */
  mark?: AnswerWatchMark;
  /** The answering practices an answer missed (rule ids), for the case page. */
  checkAnswer?: (text: string, record: CaseRecord) => AnswerAdvice[];
  /** Told of each answer recorded (the queues and the metrics follow it). */
  onAnswer?: (answer: RecordedAnswer, settled: Settled) => Promise<void>;
  log: Logger;
  now?: () => Date;
}

/** What one look at the mailbox found. */
/**
 * Names mail clients give the sent folder, for servers that mark none
 * special-use \Sent (the marked ones are read whatever their name).
 */
const usualSentNames = new Set([
  'sent',
  'sent items',
  'sent messages',
  'sent mail',
  'envoyés',
  'éléments envoyés',
  'messages envoyés',
]);

function lastName(m: { path: string; delimiter?: string }): string {
  return m.delimiter ? (m.path.split(m.delimiter).pop() ?? m.path) : m.path;
}

/** Sent mails read per folder and look; the rest waits for the next look. */
const SENT_BATCH = 500;

/** How often a waiting watcher checks whether triage asked for a look. */
const WAKE_CHECK_MS = 250;

export interface WatchResult {
  /** Sent mail read. */
  sent: number;
  /** Answers recorded (sent mail and \Answered flags). */
  answers: number;
  /** Sent mail that names no known case (written to someone else, or about a case retention deleted). */
  unmatched: number;
  /** Our own acknowledgements seen in a sent folder. */
  ours: number;
}

interface WatchPoint {
  uidValidity: string;
  lastUid: number;
  modseq: bigint | null;
}

/**
 * Sees the CAF's answers where technicians write them, without changing how
 * they work: their sent mail in the sent folders (matched to its case by
 * In-Reply-To/References, else by the reference in the subject), and the
 * \Answered flag their mail client sets on the filed request. Each folder's
 * position (last UID, last MODSEQ) is kept in PostgreSQL, so a restart
 * reads only what is new; a UIDVALIDITY change reads the folder again
 * (answers already recorded are recognised and add nothing).
 */
export class AnswerWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private warnedNoSent = false;
  private readonly now: () => Date;

  constructor(private readonly deps: AnswerWatcherDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  start(): void {
    let waited = 0;
    const tick = () => {
      if (this.stopped) return;
      this.running = (async () => {
        // Between looks, a request from triage (a follow-up waiting for them) starts one at once.
        const due = waited >= this.deps.config.answers.pollMs;
        const asked = !due && this.deps.mark ? await this.deps.mark.takeWake().catch(() => false) : false;
        if (due || asked) {
          waited = 0;
          await this.cycle();
        }
      })().finally(() => {
        this.running = null;
        if (this.stopped) return;
        waited += WAKE_CHECK_MS;
        this.timer = setTimeout(tick, WAKE_CHECK_MS);
      });
    };
    waited = this.deps.config.answers.pollMs;
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async cycle(): Promise<void> {
    try {
      const held = await this.deps.lease.holding(() => this.watchOnce());
      if (held.held && held.value.answers > 0) {
        this.deps.log.info({ event: 'answers.watched', ...held.value }, 'answers recorded');
      }
    } catch (err) {
      this.deps.log.warn(
        { event: 'answers.watch_failed', reason: describeImapFailure(err).message, err },
        'answer watch failed: next try at the next poll',
      );
    }
  }

  /** One look at the sent folders and the filed folders. A missing sent folder is said once per process. */
  async watchOnce(): Promise<WatchResult> {
    const result: WatchResult = { sent: 0, answers: 0, unmatched: 0, ours: 0 };
    const startedAt = this.now();
    const client = this.deps.createClient();
    client.on('error', () => {});
    await client.connect();
    try {
      const list = await client.list();
      const configured = this.deps.config.answers.sentFolders;
      const sentFolders = configured.length
        ? configured.filter((path) => list.some((m) => m.path === path))
        : list
            .filter((m) => m.specialUse === '\\Sent' || usualSentNames.has(lastName(m).toLowerCase()))
            .map((m) => m.path);
      if (sentFolders.length === 0 && !this.warnedNoSent) {
        this.warnedNoSent = true;
        this.deps.log.warn(
          { event: 'answers.no_sent_folder' },
          configured.length
            ? 'none of answers.sentFolders exists: the answers technicians send are not seen'
            : 'no sent folder found: set answers.sentFolders to see the answers technicians send',
        );
      }
      for (const path of sentFolders) await this.readSentFolder(client, path, result);
      const folders = await ensureFolders(client, this.deps.config.folders);
      for (const path of [folders.priority, folders.standard, folders.errors]) {
        await this.readAnsweredFlags(client, path, result);
      }
      // The look succeeded: what the freshness gauge reads, on every replica, and what triage waits for.
      await this.saveWatchPoint('cycle', { uidValidity: '', lastUid: 0, modseq: null });
      await this.deps.mark?.watched(startedAt);
    } finally {
      await client.logout().catch(() => client.close());
    }
    return result;
  }

  private async watchPoint(path: string): Promise<WatchPoint | null> {
    const r = await sql<{ uid_validity: string; last_uid: string; modseq: string | null }>`
      SELECT uid_validity, last_uid, modseq FROM answer_watch WHERE path = ${path}`.execute(this.deps.db);
    const row = r.rows[0];
    if (!row) return null;
    return {
      uidValidity: row.uid_validity,
      lastUid: Number(row.last_uid),
      modseq: row.modseq === null ? null : BigInt(row.modseq),
    };
  }

  private async saveWatchPoint(path: string, point: WatchPoint): Promise<void> {
    await sql`INSERT INTO answer_watch (path, uid_validity, last_uid, modseq, updated_at)
      VALUES (${path}, ${point.uidValidity}, ${point.lastUid}, ${point.modseq?.toString() ?? null}, now())
      ON CONFLICT (path) DO UPDATE SET uid_validity = EXCLUDED.uid_validity, last_uid = EXCLUDED.last_uid,
        modseq = EXCLUDED.modseq, updated_at = now()`.execute(this.deps.db);
  }

  private async readSentFolder(client: ImapFlow, path: string, result: WatchResult): Promise<void> {
    const lock = await client.getMailboxLock(path, { readOnly: true });
    try {
      const box = client.mailbox;
      if (!box) return;
      const uidValidity = String(box.uidValidity);
      const saved = await this.watchPoint(`sent:${path}`);
      const point: WatchPoint =
        saved && saved.uidValidity === uidValidity ? saved : { uidValidity, lastUid: 0, modseq: null };
      const firstRead = !(saved && saved.uidValidity === uidValidity);
      if (box.exists === 0 || box.uidNext <= point.lastUid + 1) {
        point.lastUid = Math.max(point.lastUid, box.uidNext - 1);
        await this.saveWatchPoint(`sent:${path}`, point);
        return;
      }
      // A folder read for the first time (or renumbered) may hold years of sent mail: only
      // what is recent enough to answer a case still waiting is read.
      const since = firstRead ? await this.deps.caseStore.oldestAwaitingReceivedAt() : null;
      const found = firstRead
        ? await client.search(
            { since: new Date((since ?? this.now()).getTime() - 86_400_000) },
            { uid: true },
          )
        : await client.search({ uid: `${point.lastUid + 1}:*` }, { uid: true });
      const uids = (found || []).filter((uid) => uid > point.lastUid).sort((a, b) => a - b);
      const batch = uids.slice(0, SENT_BATCH);
      const max = this.deps.config.answers.maxAnswerBytes;
      const messages = batch.length
        ? await client.fetchAll(
            batch.join(','),
            { uid: true, size: true, internalDate: true, headers: true },
            { uid: true },
          )
        : [];
      for (const m of messages.sort((a, b) => a.uid - b.uid)) {
        result.sent++;
        // A large sent mail (attachments) is matched on its headers alone.
        const source =
          (m.size ?? 0) <= max
            ? ((await client.fetchOne(String(m.uid), { source: true }, { uid: true })) || null)?.source
            : undefined;
        const parsed = await simpleParser(source ?? m.headers ?? Buffer.alloc(0), {
          skipHtmlToText: false,
          skipImageLinks: true,
        });
        const internal = m.internalDate ? new Date(m.internalDate) : this.now();
        await this.recordSent(readSentMail(parsed, internal), result);
        point.lastUid = Math.max(point.lastUid, m.uid);
      }
      // All of it read: what is older than the window is left behind for good.
      if (batch.length === uids.length) point.lastUid = Math.max(point.lastUid, box.uidNext - 1);
      await this.saveWatchPoint(`sent:${path}`, point);
    } finally {
      lock.release();
    }
  }

  /** The case a sent mail answers: one of its thread's Message-IDs, else the reference in its subject. */
  private async caseOf(mail: SentMail): Promise<string | null> {
    const known = await this.deps.caseStore.existingCases(mail.threadRefs);
    const byOurs = mail.threadRefs.find((ref) => known.has(ref));
    if (byOurs) return byOurs;
    const byThread = await this.deps.caseStore.refForMessageIds(mail.threadIds.map(hashMessageId));
    if (byThread) return byThread;
    if (
      mail.subjectRef &&
      (await this.deps.caseStore.existingCases([mail.subjectRef])).has(mail.subjectRef)
    ) {
      return mail.subjectRef;
    }
    return null;
  }

  private async recordSent(mail: SentMail, result: WatchResult): Promise<void> {
    if (mail.ours) {
      result.ours++;
      return;
    }
    const ref = await this.caseOf(mail);
    if (!ref) {
      result.unmatched++;
      return;
    }
    const record = await this.deps.caseStore.get(ref);
    if (!record) return;
    // Matched on its headers alone (too large to read): its text is not checked.
    const findings = mail.text ? this.deps.checkAnswer?.(mail.text, record) : undefined;
    const messageIdHash = mail.messageId ? hashMessageId(mail.messageId) : null;
    const answer: RecordedAnswer = {
      at: mail.date,
      channel: 'sent-folder',
      by: mail.from,
      // Without a Message-ID, the date and sender say which mail it was.
      sourceKey: messageIdHash ?? `sent:${mail.date.toISOString()}:${mail.from ?? ''}`,
      messageIdHash,
      findings,
    };
    const settled = await this.deps.caseStore.recordAnswer(ref, answer);
    if (settled?.recorded) {
      result.answers++;
      await this.deps.onAnswer?.(answer, settled);
    }
  }

  /**
   * \Answered on filed mail: with CONDSTORE, only what changed since the last
   * look (CHANGEDSINCE); without it, the flags of the whole folder. A flag on
   * a mail of an earlier round trip answers nothing new.
   */
  private async readAnsweredFlags(client: ImapFlow, path: string, result: WatchResult): Promise<void> {
    const lock = await client.getMailboxLock(path, { readOnly: true });
    try {
      const box = client.mailbox;
      if (!box || box.exists === 0) return;
      const uidValidity = String(box.uidValidity);
      const key = `flags:${path}`;
      const saved = await this.watchPoint(key);
      const same = saved !== null && saved.uidValidity === uidValidity;
      const highest = box.highestModseq ?? null;
      if (same && highest !== null && saved.modseq !== null && highest <= saved.modseq) return;
      // With CONDSTORE, only what changed since the last look; else (or the first time) the
      // server lists the answered mails itself, which is far less than every mail's flags.
      const answered =
        same && highest !== null && saved.modseq !== null
          ? (
              await client.fetchAll(
                '1:*',
                { uid: true, flags: true },
                { uid: true, changedSince: saved.modseq },
              )
            )
              .filter((m) => m.flags?.has('\\Answered'))
              .map((m) => m.uid)
          : (await client.search({ answered: true }, { uid: true })) || [];
      if (answered.length) {
        const refs = await this.deps.caseStore.locatedRefs(path, uidValidity, answered);
        // Only a case still waiting can take an answer from a flag: one query sorts them out.
        const waiting = await this.deps.caseStore.awaitingAmong(refs.filter((r): r is string => r !== null));
        const at = this.now();
        for (let i = 0; i < answered.length; i++) {
          const ref = refs[i];
          if (!ref || !waiting.has(ref)) continue;
          if (await this.recordFlag(ref, path, uidValidity, answered[i] as number, at)) result.answers++;
        }
      }
      await this.saveWatchPoint(key, { uidValidity, lastUid: 0, modseq: highest });
    } finally {
      lock.release();
    }
  }

  private async recordFlag(
    ref: string,
    path: string,
    uidValidity: string,
    uid: number,
    at: Date,
  ): Promise<boolean> {
    const record = await this.deps.caseStore.get(ref);
    if (!record || record.status === 'enregistré') return false;
    // The mail flagged belongs to a round trip: the request, or a follow-up. A flag on a mail
    // older than the current round answered an earlier one (already recorded, or closed).
    const receivedAt = await this.deps.caseStore.mailReceivedAt(ref, path, uidValidity, uid);
    if (receivedAt && receivedAt.getTime() < new Date(record.roundStartedAt).getTime()) return false;
    if (record.answeredAt) return false; // this round trip has its answer already
    const answer: RecordedAnswer = {
      at,
      channel: 'answered-flag',
      by: null,
      sourceKey: `flag:${path}:${uidValidity}:${uid}`,
      actor: 'boîte aux lettres',
    };
    const settled = await this.deps.caseStore.recordAnswer(ref, answer);
    if (!settled?.recorded) return false;
    await this.deps.onAnswer?.(answer, settled);
    return true;
  }
}
