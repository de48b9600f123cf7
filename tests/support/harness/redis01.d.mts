import type { Redis } from 'ioredis';
import type { CaseRecord, MailRef, ReplyState } from '../../../src/cases/caseRecord.js';
import type { FiledAt } from '../../../src/cases/caseStore.js';

export interface Seeded01Case {
  /** As 0.1 stored it: follow-ups inside, reply state apart (null here). */
  record: CaseRecord;
  reply: ReplyState | null;
  filed: FiledAt | null;
  /** Other places of the same bytes (second deliveries). */
  duplicates: MailRef[];
}

export interface Cdas01 {
  id: string;
  name: string;
  address: string;
}

export function loadCdas(): Cdas01[];

export interface Synthetic01Options {
  count: number;
  from: Date;
  to: Date;
  seed?: number;
  mailboxId?: string;
  uidValidity?: string;
  cdas?: Cdas01[];
  openShare?: number;
}

export function synthetic01Cases(options: Synthetic01Options): Seeded01Case[];

export function synthetic01Stream(options: Synthetic01Options): Generator<Seeded01Case>;

export function keys01(prefix: string): {
  case(ref: string): string;
  mail(m: MailRef): string;
  hash(contentHash: string): string;
  sequence(year: number): string;
  open(route: string): string;
  all(): string;
  filings(mailboxId: string): string;
  reply(ref: string): string;
  filed(ref: string): string;
  located(path: string, uidValidity: string, uid: number): string;
  epoch(): string;
};

export function seed01(
  redis: Redis,
  prefix: string,
  entries: Iterable<Seeded01Case>,
  options?: { epoch?: Date | null; sequenceSlack?: number; pendingFilings?: number; batch?: number },
): Promise<{ highest: Map<number, number>; count: number }>;
