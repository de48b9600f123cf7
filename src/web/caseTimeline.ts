import type { CaseRecord } from '../cases/caseRecord.js';
import type { AuditEvent, StoredAnswer } from '../cases/caseStore.js';
import { type AnswerChannel, type CaseStatus, isAwaiting } from '../cases/lifecycle.js';

/** One line of a case's timeline, in time order. */
export interface TimelineEntry {
  at: string;
  /** What happened, in French. */
  text: string;
  /** Who: a person's login, a work address, or the service. */
  actor: string | null;
}

export const answerChannelLabels: Record<AnswerChannel, string> = {
  'sent-folder': 'vue dans les messages envoyés',
  'answered-flag': 'vue au drapeau « répondu » du message classé',
  dashboard: 'indiquée dans le tableau de bord',
};

/**
 * The case's life as a technician reads it: reception, follow-ups, answers,
 * and each action or change of status kept in the audit trail.
 */
export function caseTimeline(c: CaseRecord, answers: StoredAnswer[], audit: AuditEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    { at: c.receivedAt, text: 'Demande reçue du CDAS', actor: null },
    ...c.followUps.map((f) => ({ at: f.receivedAt, text: 'Relance reçue du CDAS', actor: null })),
    ...answers.map((a) => ({
      at: a.at,
      text: `Réponse de la CAF, ${answerChannelLabels[a.channel]}`,
      actor: a.by,
    })),
  ];
  for (const e of audit) {
    if (e.action === 'statut') {
      // Answers, takings and closings have their own lines: a status line says only a reopening.
      const trips = Number(e.detail.roundTrips ?? 1);
      const from = e.detail.from as CaseStatus | undefined;
      const to = e.detail.to as CaseStatus | undefined;
      if (from && to && !isAwaiting(from) && isAwaiting(to)) {
        entries.push({ at: e.at, text: `Rouvert par la relance : ${trips}e aller-retour`, actor: null });
      }
    } else if (e.action === 'file') {
      entries.push({ at: e.at, text: 'Passé en file prioritaire (URGENCE DEFINIE)', actor: e.actor });
    } else if (e.action === 'libération de quarantaine') {
      entries.push({ at: e.at, text: 'Libéré de la quarantaine comme demande', actor: e.actor });
    } else if (e.action === 'quarantaine confirmée') {
      entries.push({ at: e.at, text: 'Quarantaine confirmée', actor: e.actor });
    } else if (e.action === 'prise en charge') {
      entries.push({ at: e.at, text: 'Pris en charge', actor: e.actor });
    } else if (e.action === 'attribution') {
      const to = typeof e.detail.to === 'string' ? e.detail.to : null;
      const text =
        to === null ? 'Rendu\u00a0: plus attribué' : to === e.actor ? 'Pris en charge' : `Attribué à ${to}`;
      entries.push({ at: e.at, text, actor: e.actor });
    } else if (e.action === 'note') {
      entries.push({ at: e.at, text: 'Note interne ajoutée', actor: e.actor });
    } else if (e.action === 'clôture' || e.action === 'clôture automatique') {
      entries.push({
        at: e.at,
        text: e.action === 'clôture' ? 'Clos' : 'Clos automatiquement après la réponse',
        actor: e.action === 'clôture' ? e.actor : null,
      });
    }
  }
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}
