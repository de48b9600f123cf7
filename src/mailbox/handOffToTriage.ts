import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { ImapFlow } from 'imapflow';
import type { Config } from '../config/schema.js';
import { failpoint } from '../infra/failpoint.js';
import { jobId, type TriageJobData, triageJobOptions } from '../infra/queues.js';
import type { Logger } from '../log.js';
import type { IntakeStateStore } from './intakeState.js';
import { looksUrgent, URGENT_HINT_BYTES } from './looksUrgent.js';
import { INLINE_SOURCE_MAX_BYTES, type RawMailStore } from './rawMailStore.js';
import { uidSets } from './uidSet.js';

export interface HandOffDeps {
  config: { intake: Pick<Config['intake'], 'batchSize' | 'maxDownloadBytes'> };
  mailbox: { id: string };
  triageQueue: Queue<TriageJobData>;
  state: IntakeStateStore;
  rawMail: RawMailStore;
  log: Logger;
}

/** What intake knows of a mail before downloading it. */
export interface MessageMeta {
  uid: number;
  size: number;
  internalDate: Date;
  messageId: string | null;
}

// Bound the memory a backlog batch takes, whatever the mail sizes.
const BATCH_MAX_BYTES = 32 * 1024 * 1024;

/** Size, arrival and Message-ID of the mail in a UID range, those below minUid left out. */
export async function fetchMetas(client: ImapFlow, range: string, minUid: number): Promise<MessageMeta[]> {
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

/** The same for a list of UIDs. */
export async function fetchMetasOf(client: ImapFlow, uids: number[]): Promise<MessageMeta[]> {
  const metas: MessageMeta[] = [];
  for (const set of uidSets(uids)) metas.push(...(await fetchMetas(client, set, 0)));
  return metas;
}

/**
 * Downloads mail and hands it to the triage queue in UID order, in bounded batches; `advance`
 * moves the intake position past each batch once it is in Redis.
 */
export async function handOffToTriage(
  deps: HandOffDeps,
  client: ImapFlow,
  uidValidity: string,
  metas: MessageMeta[],
  advance: boolean,
): Promise<void> {
  const { mailbox, config, state, triageQueue } = deps;
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
      for await (const m of client.fetch(oversized.join(','), { uid: true, headers: true }, { uid: true })) {
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
        rawKey = deps.rawMail.key(id);
        const stored = await streamToStore(deps.rawMail, client, meta.uid, rawKey);
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
    deps.log.info(
      { event: 'intake.handed_over', mailbox: mailbox.id, count: jobs.length, lastUid: last.uid },
      'mail handed to triage',
    );
  }
}

/** Streams one large mail from the server into Redis, hashing it on the way. */
async function streamToStore(
  rawMail: RawMailStore,
  client: ImapFlow,
  uid: number,
  key: string,
): Promise<{ contentHash: string; urgent: boolean } | null> {
  const download = await client.download(String(uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
  if (!download.content) return null; // expunged meanwhile
  await rawMail.begin(key);
  const hash = createHash('sha256');
  let head = Buffer.alloc(0);
  for await (const chunk of download.content as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (head.length < URGENT_HINT_BYTES) head = Buffer.concat([head, chunk]);
    await rawMail.append(key, chunk);
  }
  return { contentHash: hash.digest('hex'), urgent: looksUrgent(head) };
}
