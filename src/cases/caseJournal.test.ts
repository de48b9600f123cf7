import { describe, expect, it } from 'vitest';
import { CaseJournal, type JournalEntry } from './caseJournal.js';

function entry(ref: string, uid: number): Omit<JournalEntry, 'filed' | 'createdAt'> {
  return {
    ref,
    year: 2026,
    seq: uid,
    caseKey: `p:case:${ref}`,
    json: '{}',
    mailKey: `p:mail:default:1:${uid}`,
    hashKey: `p:hash:h${uid}`,
    sequenceKey: 'p:refseq:2026',
    allKey: 'p:cases:all',
    openKey: '',
    score: 0,
    filingsKey: 'p:filing:default',
    filingField: `1:${uid}`,
    filing: { folder: 'standard', flagged: false, ownRef: ref },
  };
}

describe('case journal', () => {
  it('finds a recent case by its mail or its bytes, and forgets it after the window', () => {
    let now = 0;
    const journal = new CaseJournal(90_000, () => now);
    journal.noteCreated(entry('CDAP-2026-000001', 1));
    now = 60_000;
    journal.noteCreated(entry('CDAP-2026-000002', 2));
    expect(journal.find('p:mail:default:1:1', 'none')?.ref).toBe('CDAP-2026-000001');
    expect(journal.find('none', 'p:hash:h2')?.ref).toBe('CDAP-2026-000002');
    now = 100_000;
    expect(journal.find('p:mail:default:1:1', 'p:hash:h1')).toBeNull();
    expect(journal.entries().map((e) => e.ref)).toEqual(['CDAP-2026-000002']);
  });

  it('a restored case gets a new window, and a filed one is not filed again', () => {
    let now = 0;
    const journal = new CaseJournal(90_000, () => now);
    journal.noteCreated(entry('CDAP-2026-000001', 1));
    journal.noteFiled('CDAP-2026-000001');
    now = 80_000;
    journal.noteRestored('CDAP-2026-000001');
    now = 150_000;
    expect(journal.entries().map((e) => [e.ref, e.filed])).toEqual([['CDAP-2026-000001', true]]);
  });
});
