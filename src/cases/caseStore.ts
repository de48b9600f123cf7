import type { Redis } from 'ioredis';
import { type RedisKeys, redisKeys } from '../infra/redisKeys.js';
import type { Logger } from '../log.js';
import { CaseJournal, type JournalEntry } from './caseJournal.js';
import { type CaseRecord, type MailRef, type ReplyState, readReplyState } from './caseRecord.js';

/** A pending move of one mail, written with its case, done by the mailbox's intake. */
export interface Filing {
  uidValidity: string;
  uid: number;
  folder: FolderKey;
  flagged: boolean;
  /** The case whose own mail this is: its filed place is remembered (for reprocess). */
  ownRef?: string;
  /** When the filing was asked for (ms): the mail moves only once what was written then is durable. */
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
  /** A new case, with a new reference. */
  | { outcome: 'created'; ref: string }
  /** This mail (mailbox, UIDVALIDITY, UID) already has a case: nothing was written. */
  | { outcome: 'existing'; ref: string }
  /** Same bytes as a mail that already has a case (resync, duplicate delivery): linked to it, no new case. */
  | { outcome: 'duplicate'; ref: string };

const createOutcomes: ReadonlySet<string> = new Set<CreateOutcome['outcome']>([
  'created',
  'existing',
  'duplicate',
]);

const REF_PLACEHOLDER = '__CDAP_REF__';

/** How far past the highest known number the sequence jumps when Redis went back in time. */
export const SEQUENCE_JUMP = 1000;

/**
 * One atomic step: allocate the yearly reference, store the case, index it,
 * remember the mail and its content, and queue its filing. Either all of it
 * happens or none, so a worker killed at any point leaves no half case.
 *
 * ARGV[9] is the highest number this process issued or saw for the year: a
 * counter at or below it means Redis lost its latest writes (restart from an
 * older append-only file, failover to a late replica). Handing out that number
 * again would give one reference — and one reply Message-ID — to two
 * requests, so the sequence jumps well past it instead.
 *
 * KEYS: [1] mail place → ref, [2] content hash → ref, [3] the year's sequence, [4] the
 *   mailbox's filing hash, [5] all cases (sorted by reception).
 * ARGV: [1] year, [2] case JSON (ref as placeholder), [3] retention (ms), [4] case key prefix,
 *   [5] filing field (uidValidity:uid), [6] reception time (ms, the score), [7] open-cases
 *   sorted set or '', [8] filing JSON (ref as placeholder), [9] sequence floor.
 * Returns {'existing', ref} (this mail has its case), {'duplicate', ref} (the same bytes under
 *   another UID: filed beside the first), or {'created', ref, regressed number or 0}.
 */
const createCaseScript = `
local existing = redis.call('GET', KEYS[1])
if existing then return {'existing', existing} end
local sameContent = redis.call('GET', KEYS[2])
if sameContent then
  -- Same bytes, same analysis, same folder: this copy is filed beside the first.
  redis.call('SET', KEYS[1], sameContent, 'PX', ARGV[3])
  redis.call('HSET', KEYS[4], ARGV[5], (string.gsub(ARGV[8], '${REF_PLACEHOLDER}', '')))
  return {'duplicate', sameContent}
end
local n = redis.call('INCR', KEYS[3])
local regressed = 0
local floor = tonumber(ARGV[9])
if n <= floor then
  regressed = n
  n = floor + ${SEQUENCE_JUMP}
  redis.call('SET', KEYS[3], n)
end
local ref = 'CDAP-' .. ARGV[1] .. '-' .. string.format('%06d', n)
local json = string.gsub(ARGV[2], '${REF_PLACEHOLDER}', ref)
redis.call('SET', ARGV[4] .. ref, json, 'PX', ARGV[3])
redis.call('SET', KEYS[1], ref, 'PX', ARGV[3])
redis.call('SET', KEYS[2], ref, 'PX', ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[6], ref)
if ARGV[7] ~= '' then redis.call('ZADD', ARGV[7], ARGV[6], ref) end
redis.call('HSET', KEYS[4], ARGV[5], (string.gsub(ARGV[8], '${REF_PLACEHOLDER}', ref)))
return {'created', ref, regressed}
`;

const PENDING = '"status":"pending"';

/**
 * Redis's reply state is behind the journal's when it is missing, or still
 * 'pending' (written before the send) while the journal holds the outcome:
 * left so, the reply would be sent again once the pending grace period ends.
 */
function replyBehind(current: string | null | undefined, journaled: string | undefined): boolean {
  if (!journaled) return false;
  return !current || (current.includes(PENDING) && !journaled.includes(PENDING));
}
const REPLY_BEHIND_LUA = `(not current or (string.find(current, '${PENDING}', 1, true) and not string.find(ARGV[9], '${PENDING}', 1, true)))`;

/**
 * Writes a journal case back as it was created, under its own reference, if
 * its key vanished; and its reply state, if that vanished. Keys another write
 * has meanwhile taken (NX) are left alone.
 *
 * KEYS: [1] case, [2] mail place, [3] content hash, [4] the year's sequence, [5] all cases,
 *   [6] the mailbox's filing hash, [7] reply state.
 * ARGV: [1] case JSON, [2] ref, [3] retention (ms), [4] score, [5] open-cases sorted set or '',
 *   [6] filing field, [7] filing JSON or '', [8] the case's sequence number, [9] reply JSON or ''.
 * Returns {case restored 0|1, reply state restored 0|1}.
 */
const restoreCaseScript = `
local restored = 0
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX')
  redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3], 'NX')
  redis.call('ZADD', KEYS[5], ARGV[4], ARGV[2])
  if ARGV[5] ~= '' then redis.call('ZADD', ARGV[5], ARGV[4], ARGV[2]) end
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[6], ARGV[6], ARGV[7]) end
  restored = 1
end
local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
if seq < tonumber(ARGV[8]) then redis.call('SET', KEYS[4], ARGV[8]) end
local reply = 0
if ARGV[9] ~= '' then
  local current = redis.call('GET', KEYS[7])
  if ${REPLY_BEHIND_LUA} then
    redis.call('SET', KEYS[7], ARGV[9], 'PX', ARGV[3])
    reply = 1
  end
end
return {restored, reply}
`;

/**
 * A reply state this process wrote lately, put back if Redis lost it or holds an older one
 * (see replyBehind), as long as the case itself exists.
 * KEYS: [1] case, [2] reply state. ARGV: [1] reply JSON, [2] retention (ms).
 * Returns 1 when written back, 0 otherwise.
 */
const restoreReplyScript = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = redis.call('GET', KEYS[2])
if ${REPLY_BEHIND_LUA.replaceAll('ARGV[9]', 'ARGV[1]')} then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Beyond appendfsync everysec's loss window (the last one to two seconds of writes). */
export const AUTO_DURABILITY_DELAY_MS = 2000;

/** How long a mail sent back to the inbox by the filed-mail reconciliation is known as recovered. */
const RECOVERED_TTL_MS = 7 * 86_400_000;

export interface CaseStoreOptions {
  log?: Logger;
  journal?: CaseJournal;
}

export type Keys = RedisKeys;

function filingField(uidValidity: string, uid: number): string {
  return `${uidValidity}:${uid}`;
}

function sequenceNumber(ref: string): { year: number; seq: number } | null {
  const m = /^CDAP-(\d{4})-(\d+)$/.exec(ref);
  return m ? { year: Number(m[1]), seq: Number(m[2]) } : null;
}

export class CaseStore {
  readonly keys: Keys;
  readonly journal: CaseJournal;
  private readonly log: Logger | null;
  /** Highest reference number issued or seen by this process, per year: the floor of the sequence. */
  private readonly highest = new Map<number, number>();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly retentionMs: number,
    options: CaseStoreOptions = {},
  ) {
    this.keys = redisKeys(prefix);
    this.journal = options.journal ?? new CaseJournal();
    this.log = options.log ?? null;
    redis.defineCommand('cdapCreateCase', { numberOfKeys: 5, lua: createCaseScript });
    redis.defineCommand('cdapRestoreCase', { numberOfKeys: 7, lua: restoreCaseScript });
    redis.defineCommand('cdapRestoreReply', { numberOfKeys: 2, lua: restoreReplyScript });
  }

  private noteSeen(ref: string): void {
    const n = sequenceNumber(ref);
    if (n && n.seq > (this.highest.get(n.year) ?? 0)) this.highest.set(n.year, n.seq);
  }

  async createCase(record: Omit<CaseRecord, 'ref'>, filing: Filing): Promise<CreateOutcome> {
    const mailKey = this.keys.mail(record.mail);
    const hashKey = this.keys.hash(record.contentHash);
    // This process made a case for this mail lately and Redis lost it: put it
    // back first, so the mail finds its case instead of getting a second one.
    const journaled = this.journal.find(mailKey, hashKey);
    if (journaled) await this.restore(journaled);
    if (
      record.reply !== 'none' &&
      record.replySuppressed === null &&
      (await this.redis.exists(this.keys.recovered(record.contentHash))) === 1
    ) {
      // Its first case was lost with Redis data: whether it was answered is
      // unknown, and answering twice is worse than a technician answering.
      record = { ...record, replySuppressed: 'recovered' };
      this.log?.warn(
        { event: 'cases.recovered_without_reply', mailbox: record.mail.mailboxId },
        'mail whose case was lost triaged again: no automatic reply',
      );
    }
    const received = new Date(record.receivedAt);
    const year = received.getUTCFullYear();
    const open = record.status === 'open' ? this.keys.open(record.route) : '';
    const json = JSON.stringify({ ref: REF_PLACEHOLDER, ...record });
    const floor = this.highest.get(year) ?? 0;
    const filingJson = (ref: string) =>
      JSON.stringify({ folder: filing.folder, flagged: filing.flagged, ownRef: ref, at: Date.now() });
    const reply = (await (
      this.redis as unknown as {
        cdapCreateCase(...args: Array<string | number>): Promise<[string, string, number?]>;
      }
    ).cdapCreateCase(
      mailKey,
      hashKey,
      this.keys.sequence(year),
      this.keys.filings(record.mail.mailboxId),
      this.keys.all(),
      String(year),
      json,
      String(this.retentionMs),
      this.keys.case(''),
      filingField(filing.uidValidity, filing.uid),
      String(received.getTime()),
      open,
      filingJson(REF_PLACEHOLDER),
      String(floor),
    )) as [string, string, number?];
    const [answer, ref, regressed] = reply;
    if (!createOutcomes.has(answer)) throw new Error(`createCase script answered '${answer}'`);
    const outcome = answer as CreateOutcome['outcome'];
    this.noteSeen(ref);
    if (outcome === 'created') {
      if (regressed) {
        this.log?.error(
          { event: 'cases.sequence_regressed', year, counter: regressed, floor, ref },
          'Redis lost its latest writes: reference sequence jumped past every number already issued',
        );
      }
      const n = sequenceNumber(ref);
      this.journal.noteCreated({
        ref,
        year,
        seq: n?.seq ?? 0,
        caseKey: this.keys.case(ref),
        json: json.replace(REF_PLACEHOLDER, ref),
        mailKey,
        hashKey,
        sequenceKey: this.keys.sequence(year),
        allKey: this.keys.all(),
        openKey: open,
        score: received.getTime(),
        filingsKey: this.keys.filings(record.mail.mailboxId),
        filingField: filingField(filing.uidValidity, filing.uid),
        filing: { folder: filing.folder, flagged: filing.flagged, ownRef: ref },
      });
    }
    return { outcome, ref };
  }

  /** Writes a journal case (and its reply state) back where they vanished; true when anything was written. */
  private async restore(entry: JournalEntry): Promise<boolean> {
    const reply = this.journal.reply(entry.ref);
    const filing = entry.filed ? '' : JSON.stringify({ ...entry.filing, at: Date.now() });
    const [restored, replyRestored] = (await (
      this.redis as unknown as { cdapRestoreCase(...args: Array<string | number>): Promise<[number, number]> }
    ).cdapRestoreCase(
      entry.caseKey,
      entry.mailKey,
      entry.hashKey,
      entry.sequenceKey,
      entry.allKey,
      entry.filingsKey,
      this.keys.reply(entry.ref),
      entry.json,
      entry.ref,
      String(this.retentionMs),
      String(entry.score),
      entry.openKey,
      entry.filingField,
      filing,
      String(entry.seq),
      reply?.json ?? '',
    )) as [number, number];
    if (restored === 1) {
      this.journal.noteRestored(entry.ref);
      this.log?.error(
        { event: 'cases.restored', ref: entry.ref, replyState: reply ? 'restored' : 'none' },
        'case lost by Redis written again from this process’s journal, same reference',
      );
    } else if (replyRestored === 1) {
      this.log?.error(
        { event: 'cases.reply_state_restored', ref: entry.ref },
        'reply state lost by Redis written again from this process’s journal',
      );
    }
    return restored === 1 || replyRestored === 1;
  }

  /**
   * The periodic check of the journal: every recent case (and reply state)
   * this process wrote and Redis no longer has is written back. Returns how
   * many were.
   */
  async restoreVanished(): Promise<number> {
    const entries = this.journal.entries();
    const replies = this.journal.replyEntries().filter((r) => !this.journal.entry(r.ref));
    if (entries.length === 0 && replies.length === 0) return 0;
    const pipeline = this.redis.pipeline();
    for (const e of entries) pipeline.exists(e.caseKey).get(this.keys.reply(e.ref));
    for (const r of replies) pipeline.exists(this.keys.case(r.ref)).get(r.key);
    const found = ((await pipeline.exec()) ?? []).map(([err, value]) => {
      if (err) throw err;
      return value as number | string | null;
    });
    let written = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as JournalEntry;
      const caseThere = found[2 * i] === 1;
      const reply = found[2 * i + 1] as string | null;
      if (!caseThere || replyBehind(reply, this.journal.reply(e.ref)?.json)) {
        if (await this.restore(e)) written++;
      }
    }
    for (let j = 0; j < replies.length; j++) {
      const r = replies[j] as (typeof replies)[number];
      const at = 2 * entries.length + 2 * j;
      if (found[at] === 1 && replyBehind(found[at + 1] as string | null, r.json)) {
        if (await this.restoreReply(r.ref, r.json)) written++;
      }
    }
    return written;
  }

  private async restoreReply(ref: string, json: string): Promise<boolean> {
    const set = (await (
      this.redis as unknown as { cdapRestoreReply(...args: string[]): Promise<number> }
    ).cdapRestoreReply(this.keys.case(ref), this.keys.reply(ref), json, String(this.retentionMs))) as number;
    if (set === 1) {
      this.log?.error(
        { event: 'cases.reply_state_restored', ref },
        'reply state lost by Redis written again from this process’s journal',
      );
    }
    return set === 1;
  }

  async refForMail(mail: MailRef): Promise<string | null> {
    return this.redis.get(this.keys.mail(mail));
  }

  async get(ref: string): Promise<CaseRecord | null> {
    return (await this.getMany([ref]))[0] ?? null;
  }

  /** Cases with their reply state, which lives in its own key (see setReplyState). */
  async getMany(refs: string[]): Promise<CaseRecord[]> {
    if (refs.length === 0) return [];
    const values = await this.redis.mget([
      ...refs.map((r) => this.keys.case(r)),
      ...refs.map((r) => this.keys.reply(r)),
    ]);
    const out: CaseRecord[] = [];
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as string;
      let json = values[i];
      let reply = values[refs.length + i];
      const journaled = this.journal.entry(ref);
      const journaledReply = this.journal.reply(ref);
      // Lost by Redis a moment ago, known here: answer from the journal and write it back, so a
      // reply job handed out again by a rolled-back queue sees the reply already went.
      const behind = replyBehind(reply, journaledReply?.json) && Boolean(json || journaled);
      if ((!json && journaled) || behind) {
        if (journaled) await this.restore(journaled);
        else await this.restoreReply(ref, journaledReply?.json ?? '');
        json ??= journaled?.json ?? null;
        if (behind) reply = journaledReply?.json ?? null;
      }
      if (!json) continue;
      const record = JSON.parse(json) as CaseRecord;
      out.push(reply ? { ...record, replyState: readReplyState(reply) } : record);
    }
    return out;
  }

  /**
   * One SET, not a read-modify-write of the case: the moment between the SMTP
   * server accepting a reply and this record is the only one in which a crash
   * makes the reply go twice, so it is kept as short as a Redis round trip.
   */
  async setReplyState(ref: string, state: ReplyState): Promise<void> {
    const json = JSON.stringify(state);
    // Only outcomes whose loss would send the reply again: a lost 'failed' or
    // 'pending' only means another attempt, and an operator clearing a failed
    // reply (clearFailedReply) must not see it come back.
    if (state.status === 'sent' || state.status === 'shadow' || state.status === 'suppressed') {
      this.journal.noteReply(ref, this.keys.reply(ref), json);
    }
    await this.redis.set(this.keys.reply(ref), json, 'PX', this.retentionMs);
  }

  async clearFailedReply(ref: string): Promise<void> {
    const state = await this.getReplyState(ref);
    if (state?.status === 'failed') await this.redis.del(this.keys.reply(ref));
  }

  async getReplyState(ref: string): Promise<ReplyState | null> {
    const current = await this.redis.get(this.keys.reply(ref));
    const journaled = this.journal.reply(ref)?.json;
    const json = replyBehind(current, journaled) ? journaled : current;
    return json ? readReplyState(json) : null;
  }

  // WATCH belongs to the connection: updates from this process take turns on it.
  private updating: Promise<unknown> = Promise.resolve();

  /** Read-modify-write of one case; WATCH makes another replica's concurrent change retry instead of being lost. */
  update(ref: string, change: (c: CaseRecord) => CaseRecord | null): Promise<CaseRecord | null> {
    const run = this.updating.then(() => this.updateNow(ref, change));
    this.updating = run.catch(() => {});
    return run;
  }

  private async updateNow(
    ref: string,
    change: (c: CaseRecord) => CaseRecord | null,
  ): Promise<CaseRecord | null> {
    const key = this.keys.case(ref);
    for (let attempt = 0; attempt < 10; attempt++) {
      await this.redis.watch(key);
      const json = await this.redis.get(key);
      if (!json) {
        await this.redis.unwatch();
        return null;
      }
      const next = change(JSON.parse(json) as CaseRecord);
      if (next === null) {
        await this.redis.unwatch();
        return JSON.parse(json) as CaseRecord;
      }
      const result = await this.redis.multi().set(key, JSON.stringify(next), 'KEEPTTL').exec();
      if (result) return next;
    }
    throw new Error(`case ${ref} changed too often to be updated`);
  }

  /**
   * Files a later mail of the same request beside its case, and lists it on
   * the case once — by its content, so the same mail seen again after a
   * UIDVALIDITY change is not listed twice.
   */
  async attachFollowUp(
    ref: string,
    mail: MailRef,
    contentHash: string,
    receivedAt: Date,
    filing: Filing,
  ): Promise<boolean> {
    // Filing first: a crash before the claim files the mail on the retry all the same.
    await this.addFiling(mail.mailboxId, filing);
    await this.redis.set(this.keys.mail(mail), ref, 'PX', this.retentionMs, 'NX');
    const firstTime = await this.redis.set(this.keys.hash(contentHash), ref, 'PX', this.retentionMs, 'NX');
    if (firstTime === null) return false;
    await this.update(ref, (c) => ({
      ...c,
      followUps: [...c.followUps, { receivedAt: receivedAt.toISOString(), mail }],
    }));
    return true;
  }

  async addFiling(mailboxId: string, filing: Filing): Promise<void> {
    await this.redis.hset(
      this.keys.filings(mailboxId),
      filingField(filing.uidValidity, filing.uid),
      JSON.stringify({
        folder: filing.folder,
        flagged: filing.flagged,
        ownRef: filing.ownRef,
        at: filing.at ?? Date.now(),
      }),
    );
  }

  async setFiledAt(ref: string, at: FiledAt): Promise<void> {
    await this.redis.set(this.keys.filed(ref), JSON.stringify(at), 'PX', this.retentionMs);
  }

  async filedAt(ref: string): Promise<FiledAt | null> {
    const json = await this.redis.get(this.keys.filed(ref));
    return json ? (JSON.parse(json) as FiledAt) : null;
  }

  async hasFiling(mailboxId: string, uidValidity: string, uid: number): Promise<boolean> {
    return (await this.redis.hexists(this.keys.filings(mailboxId), filingField(uidValidity, uid))) === 1;
  }

  async pendingFilingCount(mailboxId: string): Promise<number> {
    return this.redis.hlen(this.keys.filings(mailboxId));
  }

  async pendingFilings(mailboxId: string): Promise<Array<Filing & { field: string }>> {
    const all = await this.redis.hgetall(this.keys.filings(mailboxId));
    return Object.entries(all).map(([field, json]) => {
      const [uidValidity = '', uid = '0'] = field.split(':');
      const { folder, flagged, ownRef, at } = JSON.parse(json) as {
        folder: FolderKey;
        flagged: boolean;
        ownRef?: string;
        at?: number;
      };
      // A filing written before filings carried their time is as old as can be.
      return { field, uidValidity, uid: Number(uid), folder, flagged, ownRef, at: at ?? 0 };
    });
  }

  /**
   * For each mail about to be filed, the case it belongs to — null when its
   * mail key or its case is gone (Redis lost them): such mail must stay in
   * the inbox, where the rescan hands it to triage again.
   */
  async casesToFile(mailboxId: string, filings: Filing[]): Promise<Array<string | null>> {
    if (filings.length === 0) return [];
    const refs = await this.redis.mget(
      filings.map((f) => this.keys.mail({ mailboxId, uidValidity: f.uidValidity, uid: f.uid })),
    );
    const present = await this.existingCases(refs.filter((r): r is string => r !== null));
    return refs.map((r) => (r !== null && present.has(r) ? r : null));
  }

  /** The references among these whose case key exists. */
  async existingCases(refs: string[]): Promise<Set<string>> {
    const unique = [...new Set(refs)];
    if (unique.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const r of unique) pipeline.exists(this.keys.case(r));
    const replies = (await pipeline.exec()) ?? [];
    return new Set(unique.filter((_, i) => replies[i]?.[1] === 1));
  }

  /** Remembers which case a mail now filed at this place belongs to (for the filed-mail reconciliation). */
  async setLocated(
    entries: Array<{ path: string; uidValidity: string; uid: number; ref: string }>,
  ): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const e of entries) {
      pipeline.set(this.keys.located(e.path, e.uidValidity, e.uid), e.ref, 'PX', this.retentionMs);
      this.journal.noteFiled(e.ref);
    }
    await pipeline.exec();
  }

  async locatedRefs(path: string, uidValidity: string, uids: number[]): Promise<Array<string | null>> {
    if (uids.length === 0) return [];
    return this.redis.mget(uids.map((uid) => this.keys.located(path, uidValidity, uid)));
  }

  async refForContent(contentHash: string): Promise<string | null> {
    return this.redis.get(this.keys.hash(contentHash));
  }

  /** The next triage of these bytes opens a case that is not answered automatically (see createCase). */
  async markRecovered(contentHash: string): Promise<void> {
    await this.redis.set(this.keys.recovered(contentHash), '1', 'PX', RECOVERED_TTL_MS);
  }

  /**
   * When this store began (its first start with this prefix): filed mail that
   * arrived earlier was filed by something else, and is not checked for a case.
   */
  async storeEpoch(): Promise<Date> {
    const key = this.keys.epoch();
    await this.redis.set(key, String(Date.now()), 'NX');
    return new Date(Number(await this.redis.get(key)));
  }

  /** Connected replicas, to WAIT for before a mail leaves the inbox. */
  async connectedReplicas(): Promise<number> {
    const info = await this.redis.info('replication');
    return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
  }

  /** WAIT: how many replicas acknowledged this connection's writes within timeoutMs. */
  async waitForReplicas(replicas: number, timeoutMs: number): Promise<number> {
    return (await this.redis.call('WAIT', replicas, timeoutMs)) as number;
  }

  /**
   * How long after a write it is on Redis's disk: the configured value, or with
   * 'auto' 0 under `appendfsync always` and AUTO_DURABILITY_DELAY_MS otherwise
   * (appendfsync everysec, or CONFIG forbidden).
   */
  async durabilityDelayMs(
    configured: number | 'auto',
  ): Promise<{ delayMs: number; appendfsync: string | null }> {
    if (typeof configured === 'number') return { delayMs: configured, appendfsync: null };
    const appendfsync = await this.appendfsync();
    return { delayMs: appendfsync === 'always' ? 0 : AUTO_DURABILITY_DELAY_MS, appendfsync };
  }

  /** The AOF fsync policy, or null where CONFIG is forbidden (managed Redis). */
  async appendfsync(): Promise<string | null> {
    try {
      const reply = (await this.redis.config('GET', 'appendfsync')) as string[];
      const appendonly = (await this.redis.config('GET', 'appendonly')) as string[];
      return appendonly[1] === 'yes' ? (reply[1] ?? null) : 'no-aof';
    } catch {
      return null;
    }
  }

  async clearFilings(mailboxId: string, fields: string[]): Promise<void> {
    if (fields.length) await this.redis.hdel(this.keys.filings(mailboxId), ...fields);
  }

  /** Open cases of a queue, oldest first. */
  async openRefs(route: 'priority' | 'standard', offset = 0, limit = 100): Promise<string[]> {
    return this.redis.zrange(this.keys.open(route), String(offset), String(offset + limit - 1));
  }

  /** References of cases received in [from, to), for the indicators. */
  async refsBetween(from: Date, to: Date): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.all(), from.getTime(), `(${to.getTime()}`);
  }

  async markHandled(ref: string, at: Date): Promise<CaseRecord | null> {
    const updated = await this.update(ref, (c) =>
      c.status === 'open' ? { ...c, status: 'handled', handledAt: at.toISOString() } : null,
    );
    if (updated) {
      await this.redis.zrem(this.keys.open('priority'), ref);
      await this.redis.zrem(this.keys.open('standard'), ref);
    }
    return updated;
  }

  /** After a case changed route (reprocess): its open-list entries follow. */
  async reindex(after: CaseRecord): Promise<void> {
    const score = new Date(after.receivedAt).getTime();
    await this.redis.zrem(this.keys.open('priority'), after.ref);
    await this.redis.zrem(this.keys.open('standard'), after.ref);
    if (after.status === 'open' && (after.route === 'priority' || after.route === 'standard')) {
      await this.redis.zadd(this.keys.open(after.route), score, after.ref);
    }
  }

  /** Drops index entries of cases past retention (their keys expired by themselves). */
  async pruneIndexes(now: Date): Promise<void> {
    const before = now.getTime() - this.retentionMs;
    await this.redis.zremrangebyscore(this.keys.all(), '-inf', before);
    await this.redis.zremrangebyscore(this.keys.open('priority'), '-inf', before);
    await this.redis.zremrangebyscore(this.keys.open('standard'), '-inf', before);
  }
}
