import type { Redis } from 'ioredis';
import type { Route } from '../analysis/types.js';
import type { CaseRecord, MailRef, ReplyState } from './caseRecord.js';

/** A pending move of one mail, written with its case, done by the mailbox's intake. */
export interface Filing {
  uidValidity: string;
  uid: number;
  folder: FolderKey;
  flagged: boolean;
  /** The case whose own mail this is: its filed place is remembered (for reprocess). */
  ownRef?: string;
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

const REF_PLACEHOLDER = '__CDAP_REF__';

/**
 * One atomic step: allocate the yearly reference, store the case, index it,
 * remember the mail and its content, and queue its filing. Either all of it
 * happens or none, so a worker killed at any point leaves no half case.
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
local ref = 'CDAP-' .. ARGV[1] .. '-' .. string.format('%06d', n)
local json = string.gsub(ARGV[2], '${REF_PLACEHOLDER}', ref)
redis.call('SET', ARGV[4] .. ref, json, 'PX', ARGV[3])
redis.call('SET', KEYS[1], ref, 'PX', ARGV[3])
redis.call('SET', KEYS[2], ref, 'PX', ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[6], ref)
if ARGV[7] ~= '' then redis.call('ZADD', ARGV[7], ARGV[6], ref) end
redis.call('HSET', KEYS[4], ARGV[5], (string.gsub(ARGV[8], '${REF_PLACEHOLDER}', ref)))
return {'created', ref}
`;

export interface Keys {
  case(ref: string): string;
  mail(mail: MailRef): string;
  hash(contentHash: string): string;
  sequence(year: number): string;
  open(route: Route): string;
  all(): string;
  filings(mailboxId: string): string;
  reply(ref: string): string;
  filed(ref: string): string;
}

export function keysFor(prefix: string): Keys {
  return {
    case: (ref) => `${prefix}:case:${ref}`,
    mail: (m) => `${prefix}:mail:${m.mailboxId}:${m.uidValidity}:${m.uid}`,
    hash: (h) => `${prefix}:hash:${h}`,
    sequence: (year) => `${prefix}:refseq:${year}`,
    open: (route) => `${prefix}:cases:open:${route}`,
    all: () => `${prefix}:cases:all`,
    filings: (mailboxId) => `${prefix}:filing:${mailboxId}`,
    reply: (ref) => `${prefix}:reply:${ref}`,
    filed: (ref) => `${prefix}:filed:${ref}`,
  };
}

function filingField(uidValidity: string, uid: number): string {
  return `${uidValidity}:${uid}`;
}

export class CaseStore {
  readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly retentionMs: number,
  ) {
    this.keys = keysFor(prefix);
    redis.defineCommand('cdapCreateCase', { numberOfKeys: 5, lua: createCaseScript });
  }

  async createCase(record: Omit<CaseRecord, 'ref'>, filing: Filing): Promise<CreateOutcome> {
    const received = new Date(record.receivedAt);
    const open = record.status === 'open' ? this.keys.open(record.route) : '';
    const json = JSON.stringify({ ref: REF_PLACEHOLDER, ...record });
    const reply = (await (
      this.redis as unknown as { cdapCreateCase(...args: Array<string | number>): Promise<[string, string]> }
    ).cdapCreateCase(
      this.keys.mail(record.mail),
      this.keys.hash(record.contentHash),
      this.keys.sequence(received.getUTCFullYear()),
      this.keys.filings(record.mail.mailboxId),
      this.keys.all(),
      String(received.getUTCFullYear()),
      json,
      String(this.retentionMs),
      this.keys.case(''),
      filingField(filing.uidValidity, filing.uid),
      String(received.getTime()),
      open,
      JSON.stringify({ folder: filing.folder, flagged: filing.flagged, ownRef: REF_PLACEHOLDER }),
    )) as [CreateOutcome['outcome'], string];
    return { outcome: reply[0], ref: reply[1] } as CreateOutcome;
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
      const json = values[i];
      if (!json) continue;
      const reply = values[refs.length + i];
      const record = JSON.parse(json) as CaseRecord;
      out.push(reply ? { ...record, replyState: JSON.parse(reply) as ReplyState } : record);
    }
    return out;
  }

  /**
   * One SET, not a read-modify-write of the case: the moment between the SMTP
   * server accepting a reply and this record is the only one in which a crash
   * makes the reply go twice, so it is kept as short as a Redis round trip.
   */
  async setReplyState(ref: string, state: ReplyState): Promise<void> {
    await this.redis.set(this.keys.reply(ref), JSON.stringify(state), 'PX', this.retentionMs);
  }

  async clearFailedReply(ref: string): Promise<void> {
    const state = await this.getReplyState(ref);
    if (state?.status === 'failed') await this.redis.del(this.keys.reply(ref));
  }

  async getReplyState(ref: string): Promise<ReplyState | null> {
    const json = await this.redis.get(this.keys.reply(ref));
    return json ? (JSON.parse(json) as ReplyState) : null;
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
      JSON.stringify({ folder: filing.folder, flagged: filing.flagged, ownRef: filing.ownRef }),
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
      const { folder, flagged, ownRef } = JSON.parse(json) as {
        folder: FolderKey;
        flagged: boolean;
        ownRef?: string;
      };
      return { field, uidValidity, uid: Number(uid), folder, flagged, ownRef };
    });
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
