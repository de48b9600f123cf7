import { describe, expect, it } from 'vitest';
import type { MigrationReport } from '../cases/migrateFromRedis.js';
import { migrationSummary } from './migrateFromRedis.js';

const NBSP = '\u00a0';

function report(change: Partial<MigrationReport>): MigrationReport {
  return {
    prefix: 'cdap',
    dryRun: false,
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
    seconds: 1.25,
    ...change,
  };
}

describe('migrationSummary', () => {
  it('agrees every count (0 and 1 singular) and says what comes next', () => {
    const text = migrationSummary(
      report({
        casesRead: 2,
        casesCopied: 1,
        casesPresent: 1,
        followUps: 1,
        replyStates: 2,
        sequences: [{ year: 2026, last: 41 }],
      }),
      'redis://:secret@127.0.0.1:6379',
    );
    expect(text).toContain(`2${NBSP}dossiers lus dans Redis ;`);
    expect(text).toContain(`1${NBSP}dossier copié dans PostgreSQL ;`);
    expect(text).toContain(`1${NBSP}dossier déjà présent, laissé tel quel ;`);
    expect(text).toContain(`1${NBSP}suite, 2${NBSP}états de réponse, 0${NBSP}lieu de classement`);
    expect(text).toContain('Prochaines références : CDAP-2026-000042.');
    expect(text).toContain("--scan --pattern 'cdap:case:*'");
    // The password of the Redis URL is not printed.
    expect(text).not.toContain('secret');
  });

  it('a second run: nothing copied, nothing listed with them', () => {
    const text = migrationSummary(report({ casesRead: 3, casesPresent: 3 }), 'redis://127.0.0.1:6379');
    expect(text).toContain(`0${NBSP}dossier copié dans PostgreSQL ;`);
    expect(text).toContain(`3${NBSP}dossiers déjà présents, laissés tels quels.`);
    expect(text).not.toContain('avec eux');
  });

  it('names the cases left out', () => {
    const text = migrationSummary(
      report({
        casesRead: 2,
        conflicts: ['CDAP-2026-000001', 'CDAP-2026-000002'],
        unreadable: ['CDAP-2025-000009'],
      }),
      'redis://127.0.0.1:6379',
    );
    expect(text).toContain(`2${NBSP}dossiers de Redis non copiés : leur référence est déjà prise`);
    expect(text).toContain(`1${NBSP}dossier illisible dans Redis, non copié : CDAP-2025-000009.`);
  });

  it('a dry run says it wrote nothing', () => {
    const text = migrationSummary(
      report({ dryRun: true, casesRead: 5, casesCopied: 5 }),
      'redis://127.0.0.1:6379',
    );
    expect(text).toContain('Essai à blanc (rien n’a été écrit)');
    expect(text).toContain(`5${NBSP}dossiers seraient copiés ;`);
    expect(text).not.toContain('unlink');
  });
});
