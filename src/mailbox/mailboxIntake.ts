import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { ImapFlow } from 'imapflow';
import { AUTO_DURABILITY_DELAY_MS, type CaseStore, type FolderKey } from '../cases/caseStore.js';
import type { Config } from '../config/schema.js';
import { describeImapFailure } from '../infra/errors.js';
import { failpoint } from '../infra/failpoint.js';
import { jitteredBackoff, jobId, type TriageJobData, triageJobOptions } from '../infra/queues.js';
import type { Logger } from '../log.js';
import { ensureFolders, type FolderPaths } from './folders.js';
import type { IntakeStateStore } from './intakeState.js';
import type { MailboxLease } from './mailboxLease.js';
import { INLINE_SOURCE_MAX_BYTES, type RawMailStore } from './rawMailStore.js';
import { reconcileFiled } from './reconcileFiled.js';
import { uidSets } from './uidSet.js';

export interface IntakeDeps {
  config: Pick<Config, 'folders' | 'intake'>;
  mailbox: { id: string; path: string };
  createClient: () => ImapFlow;
  triageQueue: Queue<TriageJobData>;
  caseStore: CaseStore;
  state: IntakeStateStore;
  lease: MailboxLease;
  rawMail: RawMailStore;
  log: Logger;
}

const FILING_POLL_MS = 300;
/** How long a filing waits for connected replicas to acknowledge the case before trying again later. */
const REPLICA_WAIT_MS = 1000;

// The keyword in plain, quoted-printable or UTF-8-read-as-latin1 form. Only an
// ordering hint for triage: the analyzer decides what is urgent.
const urgentHint = /urgence[\s\-_=]{0,6}d(?:e|é|=c3=a9|=c3=89|=e9|=c9|\xc3\xa9|\xc3\x89)finie/i;

// An RFC 2047 encoded word, as mail clients write a subject with accents.
const encodedWord = /=\?[^?\s]{1,40}\?([bq])\?([^?\s]{1,1000})\?=/gi;

function decodeWords(head: string): string {
  let decoded = '';
  for (const m of head.matchAll(encodedWord)) {
    const [, encoding = '', text = ''] = m;
    decoded +=
      encoding.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('latin1')
        : text
            .replace(/_/g, ' ')
            .replace(/=([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    decoded += ' ';
  }
  return decoded;
}

export function looksUrgent(source: Buffer): boolean {
  // The keyword sits in the headers or the first text part: no need to read attachments.
  const head = source.subarray(0, 256 * 1024).toString('latin1');
  if (urgentHint.test(head)) return true;
  // An encoded subject hides the keyword from a plain scan; encoded words sit in the headers.
  const headers = head.slice(0, Math.max(0, head.search(/\r?\n\r?\n/)) || head.length);
  return headers.includes('=?') && urgentHint.test(decodeWords(headers));
}
// Bound the memory a backlog batch takes, whatever the mail sizes.
const BATCH_MAX_BYTES = 32 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Reconnection delay: 500 ms doubling to intake.maxBackoffMs, jittered (replicas that lost the server together do not return together). */
export function backoffDelay(attempt: number, maxMs: number): number {
  return jitteredBackoff(attempt + 1, 500, maxMs);
}

interface MessageMeta {
  uid: number;
  size: number;
  internalDate: Date;
  messageId: string | null;
}

/**
 * Watches one mailbox: IDLE for new mail plus a periodic reconciliation,
 * hands each new mail to the triage queue before anything changes on the
 * server, and later files triaged mail into its folder. Only the replica
 * that holds the mailbox's lease runs it.
 *
 * Events: `connected`, `cycle` (after each successful check), `fatal` (a
 * configuration error that retrying will not fix, on the first connection).
 */
export class MailboxIntake extends EventEmitter {
  private stopped = false;
  private client: ImapFlow | null = null;
  private folderPaths: FolderPaths | null = null;
  private cycleRunning = false;
  private cycleAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private loopDone: Promise<void> | null = null;
  private everConnected = false;
  /** Set by the reconciliation timer and on connect: look for mail left behind in the inbox. */
  private rescanDue = false;
  private wake: (() => void) | null = null;
  /** Resolved at each connection (the Redis behind may have changed): see config intake.filingDelayMs. */
  private filingDelayMs = AUTO_DURABILITY_DELAY_MS;
  private reconcilingFiled = false;
  /** True while this replica holds the lease and a usable connection. */
  active = false;

  constructor(private readonly deps: IntakeDeps) {
    super();
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    if (client) {
      try {
        await Promise.race([client.logout(), sleep(2000)]);
      } catch {
        client.close();
      }
    }
    await this.loopDone;
    try {
      await this.deps.lease.release();
    } catch {
      // Redis down: the lease expires by itself.
    }
  }

  private get log(): Logger {
    return this.deps.log;
  }

  private async holdLease(): Promise<boolean> {
    const { lease } = this.deps;
    return (await lease.renew()) || (await lease.acquire());
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let delay: number;
      try {
        if (!(await this.holdLease())) {
          // Another replica watches this mailbox; look again when its lease could have expired.
          delay = Math.max(1000, this.deps.config.intake.leaseTtlMs / 3);
          await this.pause(delay);
          continue;
        }
        const started = Date.now();
        await this.session();
        if (Date.now() - started > 30_000) attempt = 0;
      } catch (err) {
        const failure = describeImapFailure(err);
        this.log.error(
          {
            event: 'intake.connection_failed',
            mailbox: this.deps.mailbox.id,
            attempt,
            reason: failure.message,
          },
          'mailbox connection failed',
        );
        if (failure.permanent && !this.everConnected) {
          this.emit('fatal', new Error(failure.message, { cause: err }));
        }
      }
      if (this.stopped) break;
      attempt++;
      delay = backoffDelay(attempt, this.deps.config.intake.maxBackoffMs);
      this.log.info({ event: 'intake.reconnect_scheduled', mailbox: this.deps.mailbox.id, delayMs: delay });
      await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One connection, from connect to close. Resolves when the connection ends. */
  private async session(): Promise<void> {
    const { mailbox, config } = this.deps;
    const client = this.deps.createClient();
    client.on('error', (err: Error) => {
      this.log.warn(
        { event: 'intake.imap_error', mailbox: mailbox.id, reason: describeImapFailure(err).message },
        'IMAP connection error',
      );
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    this.client = client;
    const timers: NodeJS.Timeout[] = [];
    // Renewed from the first moment: connecting, listing folders and opening
    // the mailbox can outlast the lease, and another replica would start too.
    timers.push(
      setInterval(
        () => {
          this.deps.lease
            .renew()
            .then((held) => {
              if (!held) {
                this.log.warn(
                  { event: 'intake.lease_lost', mailbox: mailbox.id },
                  'another replica took the mailbox',
                );
                client.close();
              }
            })
            .catch(() => {
              // Redis unreachable: keep the connection; intake cycles pause by themselves.
            });
        },
        Math.max(500, config.intake.leaseTtlMs / 3),
      ),
    );
    try {
      await client.connect();
      this.everConnected = true;
      this.folderPaths = await ensureFolders(client, config.folders);
      await client.mailboxOpen(mailbox.path);
      this.filingDelayMs = await this.resolveFilingDelay();
      this.active = true;
      this.rescanDue = true;
      this.log.info({ event: 'intake.connected', mailbox: mailbox.id }, 'watching mailbox');
      this.emit('connected');

      client.on('exists', () => this.requestCycle());
      timers.push(
        setInterval(() => {
          this.rescanDue = true;
          this.requestCycle();
          this.checkFiledSoon();
        }, config.intake.reconcileIntervalMs),
      );
      this.checkFiledSoon();
      timers.push(
        setInterval(() => {
          const dueBefore = Date.now() - this.filingDelayMs;
          this.deps.caseStore
            .pendingFilings(mailbox.id)
            .then((pending) => pending.some((p) => (p.at ?? 0) <= dueBefore) && this.requestCycle())
            .catch(() => {});
        }, FILING_POLL_MS),
      );
      timers.push(setInterval(() => this.watchdog(client), config.intake.watchdogIntervalMs));
      this.requestCycle();
      if (!this.stopped) await closed;
    } finally {
      this.active = false;
      for (const t of timers) clearInterval(t);
      this.client = null;
      if (client.usable) client.close();
    }
  }

  private async resolveFilingDelay(): Promise<number> {
    const { delayMs, appendfsync } = await this.deps.caseStore
      .durabilityDelayMs(this.deps.config.intake.filingDelayMs)
      .catch(() => ({ delayMs: AUTO_DURABILITY_DELAY_MS, appendfsync: null }));
    this.log.info(
      { event: 'intake.filing_delay', mailbox: this.deps.mailbox.id, appendfsync, delayMs },
      'mail leaves the inbox this long after its case is written',
    );
    return delayMs;
  }

  /** Filed mail whose case Redis lost goes back to the inbox (see reconcileFiled); one run at a time. */
  private checkFiledSoon(): void {
    if (this.reconcilingFiled || this.stopped) return;
    this.reconcilingFiled = true;
    const { config, mailbox, caseStore, log } = this.deps;
    reconcileFiled({ config, mailbox, caseStore, log, createClient: this.deps.createClient })
      .then((r) => {
        if (r.returned > 0) this.requestCycle();
      })
      .catch((err) => {
        if (this.stopped) return; // its connections closed under it
        log.warn(
          { event: 'intake.filed_check_failed', mailbox: mailbox.id, reason: (err as Error).message },
          'check of filed mail failed, will retry',
        );
      })
      .finally(() => {
        this.reconcilingFiled = false;
      });
  }

  /** A connection that died silently (no RST, no data) is found by a NOOP that never returns. */
  private async watchdog(client: ImapFlow): Promise<void> {
    if (this.cycleRunning || !client.usable) return;
    const timeoutMs = this.deps.config.intake.watchdogTimeoutMs;
    const ok = await Promise.race([
      client.noop().then(
        () => true,
        () => false,
      ),
      sleep(timeoutMs).then(() => false),
    ]);
    if (!ok && client.usable) {
      this.log.warn(
        { event: 'intake.watchdog_timeout', mailbox: this.deps.mailbox.id, timeoutMs },
        'IMAP silent',
      );
      client.close();
    }
  }

  requestCycle(): void {
    if (this.stopped || !this.client) return;
    if (this.cycleRunning) {
      this.cycleAgain = true;
      return;
    }
    this.cycleRunning = true;
    void this.runCycles();
  }

  private async runCycles(): Promise<void> {
    try {
      do {
        this.cycleAgain = false;
        await this.cycle();
      } while (this.cycleAgain && !this.stopped);
      this.emit('cycle');
    } catch (err) {
      // Redis or IMAP failed mid-cycle: nothing was moved that was not triaged; try again shortly.
      this.log.warn(
        { event: 'intake.cycle_failed', mailbox: this.deps.mailbox.id, reason: (err as Error).message },
        'mailbox check failed, will retry',
      );
      if (!this.retryTimer && !this.stopped) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.requestCycle();
        }, 2000);
      }
    } finally {
      this.cycleRunning = false;
    }
  }

  private async cycle(): Promise<void> {
    const client = this.client;
    if (!client?.usable) return;
    const { mailbox, state } = this.deps;
    const lock = await client.getMailboxLock(mailbox.path);
    try {
      const info = client.mailbox;
      if (!info) return;
      const uidValidity = String(info.uidValidity);
      const known = await state.get(mailbox.id);
      if (known && known.uidValidity !== uidValidity) {
        // The mailbox was recreated: look at every mail again; triage recognises
        // the ones it already has by their content and opens no new case.
        this.log.warn(
          {
            event: 'intake.uidvalidity_changed',
            mailbox: mailbox.id,
            before: known.uidValidity,
            after: uidValidity,
          },
          'UIDVALIDITY changed: full resync',
        );
      }
      const from = known && known.uidValidity === uidValidity ? known.lastUid + 1 : 1;
      if (info.exists > 0 && this.rescanDue && from > 1) await this.rescan(client, uidValidity, from);
      this.rescanDue = false;
      if (info.exists > 0) await this.handOver(client, uidValidity, from);
      else if (!known || known.uidValidity !== uidValidity)
        await state.set(mailbox.id, { uidValidity, lastUid: 0 });
      await this.fileTriaged(client, uidValidity);
      await state.markChecked(mailbox.id, new Date());
    } finally {
      lock.release();
    }
  }

  /**
   * Mail below the intake position is still in the inbox only while it is
   * being triaged. Anything else there was left behind — its triage job failed
   * or was lost with Redis data (a restart from the append-only file), or its
   * filing was — and is handed over again; triage recognises what it already
   * knows, so nothing is done twice.
   */
  private async rescan(client: ImapFlow, uidValidity: string, from: number): Promise<void> {
    const { mailbox, caseStore, triageQueue } = this.deps;
    const behind: number[] = [];
    for await (const m of client.fetch(`1:${from - 1}`, { uid: true }, { uid: true })) {
      if (m.uid < from) behind.push(m.uid);
    }
    const again: number[] = [];
    for (const uid of behind) {
      const job = await triageQueue.getJob(jobId('mail', mailbox.id, uidValidity, uid));
      if (job) {
        if (!(await job.isFailed())) continue; // in flight
        // Failed for good (its raw mail lost with Redis data, say): start it afresh.
        await job.remove();
      }
      const ref = await caseStore.refForMail({ mailboxId: mailbox.id, uidValidity, uid });
      if (ref && (await caseStore.hasFiling(mailbox.id, uidValidity, uid))) continue; // about to be filed
      again.push(uid);
    }
    if (again.length === 0) return;
    this.log.warn(
      { event: 'intake.rescan_found', mailbox: mailbox.id, count: again.length },
      'mail left in the inbox handed over again',
    );
    await this.handOverUids(client, uidValidity, again);
  }

  /** New mail (UID ≥ from) to the triage queue, in UID order, in bounded batches. */
  private async handOver(client: ImapFlow, uidValidity: string, from: number): Promise<void> {
    // "N:*" also returns the last message when N is above every UID: filter.
    const metas = await this.fetchMetas(client, `${from}:*`, from);
    if (metas.length) await this.enqueue(client, uidValidity, metas, true);
  }

  private async handOverUids(client: ImapFlow, uidValidity: string, uids: number[]): Promise<void> {
    const metas: MessageMeta[] = [];
    for (const set of uidSets(uids)) metas.push(...(await this.fetchMetas(client, set, 0)));
    await this.enqueue(client, uidValidity, metas, false);
  }

  private async fetchMetas(client: ImapFlow, range: string, minUid: number): Promise<MessageMeta[]> {
    const metas: MessageMeta[] = [];
    const query = { uid: true, size: true, internalDate: true, envelope: true } as const;
    for await (const m of client.fetch(range, query, { uid: true })) {
      if (m.uid < minUid) continue;
      metas.push({
        uid: m.uid,
        size: m.size ?? 0,
        internalDate: m.internalDate ? new Date(m.internalDate) : new Date(),
        messageId: m.envelope?.messageId ?? null,
      });
    }
    return metas;
  }

  /** Downloads and hands over mail in bounded batches; `advance` moves the intake position past them. */
  private async enqueue(
    client: ImapFlow,
    uidValidity: string,
    metas: MessageMeta[],
    advance: boolean,
  ): Promise<void> {
    const { mailbox, config, state, triageQueue } = this.deps;
    metas.sort((a, b) => a.uid - b.uid);
    let i = 0;
    while (i < metas.length) {
      const batch: MessageMeta[] = [];
      let bytes = 0;
      while (i < metas.length && batch.length < config.intake.batchSize) {
        const meta = metas[i] as MessageMeta;
        const counted = meta.size <= config.intake.maxDownloadBytes ? meta.size : 0;
        if (batch.length > 0 && bytes + counted > BATCH_MAX_BYTES) break;
        batch.push(meta);
        bytes += counted;
        i++;
      }
      // Small mail in one FETCH; large mail streamed piece by piece straight into Redis.
      const small = batch.filter((m) => m.size <= INLINE_SOURCE_MAX_BYTES).map((m) => m.uid);
      const sources = new Map<number, Buffer>();
      if (small.length > 0) {
        // BODY.PEEK[]: a person's \Seen flag is left as it was.
        for await (const m of client.fetch(small.join(','), { uid: true, source: true }, { uid: true })) {
          if (m.source) sources.set(m.uid, m.source);
        }
      }
      // Too large to download: its headers alone say who writes, about what, and whether it is urgent.
      const oversized = batch.filter((m) => m.size > config.intake.maxDownloadBytes).map((m) => m.uid);
      const headersOnly = new Map<number, Buffer>();
      if (oversized.length > 0) {
        for await (const m of client.fetch(
          oversized.join(','),
          { uid: true, headers: true },
          { uid: true },
        )) {
          if (m.headers) headersOnly.set(m.uid, m.headers);
        }
      }
      const jobs = [];
      for (const meta of batch) {
        const oversize = meta.size > config.intake.maxDownloadBytes;
        const id = jobId('mail', mailbox.id, uidValidity, meta.uid);
        let contentHash: string;
        let source: string | null = null;
        let rawKey: string | null = null;
        let urgent = false;
        if (oversize) {
          contentHash = createHash('sha256')
            .update(`oversize:${meta.messageId ?? `${mailbox.id}:${uidValidity}:${meta.uid}`}:${meta.size}`)
            .digest('hex');
          const head = headersOnly.get(meta.uid);
          if (head) {
            source = head.toString('latin1');
            urgent = looksUrgent(head);
          }
        } else if (meta.size <= INLINE_SOURCE_MAX_BYTES) {
          const raw = sources.get(meta.uid);
          if (!raw) continue; // expunged between the two fetches
          contentHash = createHash('sha256').update(raw).digest('hex');
          source = raw.toString('latin1');
          urgent = looksUrgent(raw);
        } else {
          rawKey = this.deps.rawMail.key(id);
          const stored = await this.streamToStore(client, meta.uid, rawKey);
          if (!stored) continue;
          ({ contentHash, urgent } = stored);
        }
        const data: TriageJobData = {
          mailboxId: mailbox.id,
          uidValidity,
          uid: meta.uid,
          size: meta.size,
          internalDate: meta.internalDate.toISOString(),
          contentHash,
          source,
          rawKey,
          oversize,
        };
        jobs.push({
          name: 'mail',
          data,
          // A backlog of a thousand mails must not keep an urgent one waiting.
          opts: triageJobOptions(id, urgent),
        });
      }
      // Handed to Redis before the intake position moves: a crash here means the
      // same job ids again, which BullMQ and the case store both ignore.
      if (jobs.length) await triageQueue.addBulk(jobs);
      failpoint('intake.after-handover');
      const last = batch[batch.length - 1] as MessageMeta;
      if (advance) await state.set(mailbox.id, { uidValidity, lastUid: last.uid });
      this.log.info(
        { event: 'intake.handed_over', mailbox: mailbox.id, count: jobs.length, lastUid: last.uid },
        'mail handed to triage',
      );
    }
  }

  /** Streams one large mail from the server into Redis, hashing it on the way. */
  private async streamToStore(
    client: ImapFlow,
    uid: number,
    key: string,
  ): Promise<{ contentHash: string; urgent: boolean } | null> {
    const { rawMail } = this.deps;
    const download = await client.download(String(uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
    if (!download.content) return null; // expunged meanwhile
    await rawMail.begin(key);
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    for await (const chunk of download.content as AsyncIterable<Buffer>) {
      hash.update(chunk);
      if (head.length < 256 * 1024) head = Buffer.concat([head, chunk]);
      await rawMail.append(key, chunk);
    }
    return { contentHash: hash.digest('hex'), urgent: looksUrgent(head) };
  }

  /**
   * Moves triaged mail to its folder, batched by UID set; urgent mail is flagged first.
   *
   * A mail leaves the inbox only once its case is durable: the filing waits
   * `filingDelayMs` after the case was written (Redis has fsynced it by then),
   * WAITs for connected replicas, and checks right before the MOVE that the
   * case is still there. A mail whose case Redis lost stays in the inbox, where
   * the rescan hands it to triage again — it is never filed out of sight.
   */
  private async fileTriaged(client: ImapFlow, uidValidity: string): Promise<void> {
    const { mailbox, caseStore, config } = this.deps;
    const pending = await caseStore.pendingFilings(mailbox.id);
    if (pending.length === 0 || !this.folderPaths) return;
    // Stale entries (an older UIDVALIDITY) name UIDs that no longer mean anything here.
    const stale = pending.filter((p) => p.uidValidity !== uidValidity);
    const dueBefore = Date.now() - this.filingDelayMs;
    const due = pending.filter((p) => p.uidValidity === uidValidity && (p.at ?? 0) <= dueBefore);
    if (due.length === 0) {
      await caseStore.clearFilings(
        mailbox.id,
        stale.map((p) => p.field),
      );
      return;
    }
    const replicas = await caseStore.connectedReplicas();
    if (replicas > 0) {
      const acknowledged = await caseStore.waitForReplicas(replicas, REPLICA_WAIT_MS);
      if (acknowledged < replicas) {
        this.log.warn(
          { event: 'intake.filing_waits_for_replicas', mailbox: mailbox.id, replicas, acknowledged },
          'replicas have not acknowledged the cases yet: filing later',
        );
        return;
      }
    }
    const refs = await caseStore.casesToFile(mailbox.id, due);
    const current = due.filter((_, i) => refs[i] !== null);
    const withheld = due.length - current.length;
    if (withheld > 0) {
      this.log.error(
        { event: 'intake.filing_withheld', mailbox: mailbox.id, count: withheld },
        'case lost by Redis before its mail was filed: the mail stays in the inbox to be triaged again',
      );
    }
    const refOf = new Map(due.map((p, i) => [p.uid, refs[i] ?? null]));
    const flagged = current.filter((p) => p.flagged).map((p) => p.uid);
    if (flagged.length) {
      const info = client.mailbox;
      const keywordsAllowed = info ? info.permanentFlags?.has('\\*') : false;
      const flags = keywordsAllowed ? ['\\Flagged', config.folders.urgentKeyword] : ['\\Flagged'];
      for (const set of uidSets(flagged)) await client.messageFlagsAdd(set, flags, { uid: true });
    }
    const byFolder = new Map<FolderKey, number[]>();
    for (const p of current) byFolder.set(p.folder, [...(byFolder.get(p.folder) ?? []), p.uid]);
    for (const [folder, uids] of byFolder) {
      const path = this.folderPaths[folder];
      for (const set of uidSets(uids)) {
        const moved = await client.messageMove(set, path, { uid: true });
        // Remember where each mail went (UIDPLUS): its case, for the filed-mail
        // reconciliation; a case's own mail, so `reprocess` can read it again.
        const uidMap = moved ? moved.uidMap : undefined;
        if (!moved || !uidMap || moved.uidValidity === undefined) continue;
        const located: Array<{ path: string; uidValidity: string; uid: number; ref: string }> = [];
        for (const [from, to] of uidMap) {
          const ref = refOf.get(from);
          if (ref) located.push({ path, uidValidity: String(moved.uidValidity), uid: to, ref });
        }
        await caseStore.setLocated(located);
        for (const p of current) {
          const target = p.folder === folder && p.ownRef ? uidMap.get(p.uid) : undefined;
          if (target !== undefined && p.ownRef) {
            await caseStore.setFiledAt(p.ownRef, {
              path,
              uidValidity: String(moved.uidValidity),
              uid: target,
            });
          }
        }
      }
    }
    failpoint('intake.after-move');
    await caseStore.clearFilings(
      mailbox.id,
      [...stale, ...due].map((p) => p.field),
    );
    this.log.info(
      {
        event: 'intake.filed',
        mailbox: mailbox.id,
        count: current.length,
        folders: Object.fromEntries([...byFolder].map(([f, u]) => [f, u.length])),
      },
      'mail filed',
    );
  }
}
