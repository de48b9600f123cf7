/**
 * What this process wrote to Redis about recent cases, kept in its own memory.
 *
 * Redis with `appendfsync everysec` loses up to the last second or two of
 * writes when it dies (killed, host reset, failover to a late replica). While
 * this process survives, it still knows what it wrote: the journal puts a
 * vanished case back under the SAME reference — so the re-triage of its mail
 * finds it instead of opening a second case, and its reply state comes back so
 * the reply is not sent twice. It holds only what the case keys hold (no
 * personal data beyond the case record itself) and forgets it after `windowMs`,
 * by which time Redis has long written it to disk.
 */

/** Everything the create-case step wrote, to write it again. */
export interface JournalEntry {
  ref: string;
  year: number;
  seq: number;
  caseKey: string;
  json: string;
  mailKey: string;
  hashKey: string;
  sequenceKey: string;
  allKey: string;
  openKey: string;
  score: number;
  filingsKey: string;
  filingField: string;
  /** The filing as created; written again (with a new time) when the mail was not filed yet. */
  filing: { folder: string; flagged: boolean; ownRef?: string };
  filed: boolean;
  createdAt: number;
}

interface ReplyEntry {
  key: string;
  json: string;
  at: number;
}

/** 90 s: far beyond `appendfsync everysec`'s loss window, and beyond a replica's usual lag. */
export const JOURNAL_WINDOW_MS = 90_000;
/** How often the service compares the journal with Redis. */
export const JOURNAL_CHECK_MS = 2000;

export class CaseJournal {
  private readonly cases = new Map<string, JournalEntry>();
  private readonly byMail = new Map<string, string>();
  private readonly byHash = new Map<string, string>();
  private readonly replies = new Map<string, ReplyEntry>();

  constructor(
    readonly windowMs = JOURNAL_WINDOW_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  noteCreated(entry: Omit<JournalEntry, 'filed' | 'createdAt'>): void {
    this.prune();
    this.cases.set(entry.ref, { ...entry, filed: false, createdAt: this.clock() });
    this.byMail.set(entry.mailKey, entry.ref);
    this.byHash.set(entry.hashKey, entry.ref);
  }

  /** The mail was moved out of the inbox: a restore must not ask to file it again. */
  noteFiled(ref: string): void {
    const entry = this.cases.get(ref);
    if (entry) entry.filed = true;
  }

  /** Put back in Redis: its writes need a new window to reach the disk. */
  noteRestored(ref: string): void {
    const entry = this.cases.get(ref);
    if (!entry) return;
    this.cases.delete(ref);
    this.cases.set(ref, { ...entry, createdAt: this.clock() });
  }

  noteReply(ref: string, key: string, json: string): void {
    this.replies.set(ref, { key, json, at: this.clock() });
  }

  /** The journal's case for this mail (by its place or its bytes), if this process made it lately. */
  find(mailKey: string, hashKey: string): JournalEntry | null {
    this.prune();
    const ref = this.byMail.get(mailKey) ?? this.byHash.get(hashKey);
    return ref ? (this.cases.get(ref) ?? null) : null;
  }

  entry(ref: string): JournalEntry | null {
    return this.cases.get(ref) ?? null;
  }

  reply(ref: string): ReplyEntry | null {
    return this.replies.get(ref) ?? null;
  }

  entries(): JournalEntry[] {
    this.prune();
    return [...this.cases.values()];
  }

  replyEntries(): Array<ReplyEntry & { ref: string }> {
    this.prune();
    return [...this.replies].map(([ref, r]) => ({ ref, ...r }));
  }

  private prune(): void {
    const before = this.clock() - this.windowMs;
    for (const [ref, entry] of this.cases) {
      if (entry.createdAt >= before) break; // Map keeps insertion order: the rest are younger.
      this.cases.delete(ref);
      if (this.byMail.get(entry.mailKey) === ref) this.byMail.delete(entry.mailKey);
      if (this.byHash.get(entry.hashKey) === ref) this.byHash.delete(entry.hashKey);
    }
    for (const [ref, reply] of this.replies) {
      if (reply.at < before) this.replies.delete(ref);
    }
  }
}
