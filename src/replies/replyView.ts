import type { MotifCategory } from '../analysis/categorizeMotif.js';
import { describeFacts } from '../analysis/describeFacts.js';
import type { PrestationCode } from '../analysis/types.js';
import type { CaseRecord } from '../cases/caseRecord.js';

/** Benefits in words first, as the convention asks answers to avoid bare acronyms. */
const prestationNames: Record<PrestationCode, string> = {
  RSA: 'revenu de solidarité active (RSA)',
  AAH: 'allocation aux adultes handicapés (AAH)',
  APL: 'aide personnalisée au logement (APL)',
  PPA: 'prime d’activité',
  ASF: 'allocation de soutien familial (ASF)',
  AF: 'allocations familiales',
  ALF: 'allocation de logement familiale (ALF)',
  ALS: 'allocation de logement sociale (ALS)',
  CF: 'complément familial',
  PAJE: 'prestation d’accueil du jeune enfant (PAJE)',
  AEEH: 'allocation d’éducation de l’enfant handicapé (AEEH)',
  ARS: 'allocation de rentrée scolaire',
  AJPP: 'allocation journalière de présence parentale (AJPP)',
  PreParE: 'prestation partagée d’éducation de l’enfant (PreParE)',
  CMG: 'complément de libre choix du mode de garde',
};

const motifLabels: Record<MotifCategory, string> = {
  'non-paiement': 'non-paiement',
  baisse: 'baisse du montant versé',
  explication: 'demande d’explication',
  'changement-situation': 'changement de situation',
  document: 'document ou démarche',
  autre: 'autre demande',
  'non-indique': 'non indiqué',
};

const severityLabels = { error: 'À corriger', warning: 'Attention', info: 'Conseil' } as const;

export interface ReplyView {
  ref: string;
  receivedOn: string;
  dueOn: string | null;
  urgent: boolean;
  /** RSA or AAH concerned: the CAF asks for the unblocking at once (BP-urgent 4). */
  minima: boolean;
  motif: string;
  /** « prestation » or « prestations », as many as were recognised. */
  prestationsLabel: string;
  prestations: string;
  cdas: string | null;
  /** What was read of dates and amounts, one line per benefit, so the CDAS can spot a misreading. */
  facts: string[];
  feedback: boolean;
  tips: boolean;
  multipleSituations: boolean;
  showModel: boolean;
  findings: Array<{ label: string; message: string }>;
  signature: string;
}

const dateFormat = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'full' });

export function formatDateFr(iso: string): string {
  return dateFormat.format(new Date(iso));
}

/** What the reply templates may show: built from the case only, never from the incoming mail's text. */
export function replyView(c: CaseRecord, signature: string): ReplyView {
  const feedback = c.reply === 'ack-with-feedback';
  const rubricFinding =
    c.lint.some((f) => f.rule === 'rubric-missing' && f.severity === 'error') ||
    c.lint.some((f) => f.rule === 'rubric-empty');
  return {
    ref: c.ref,
    receivedOn: formatDateFr(c.receivedAt),
    dueOn: c.sla ? formatDateFr(c.sla.dueAt) : null,
    urgent: c.urgent,
    minima: c.urgencyCheck === 'substantiated' && c.prestations.some((p) => p === 'RSA' || p === 'AAH'),
    motif: motifLabels[c.motif],
    prestationsLabel: c.prestations.length > 1 ? 'prestations' : 'prestation',
    prestations: c.prestations.length
      ? c.prestations.map((p) => prestationNames[p]).join(', ')
      : 'non indiquée',
    cdas: c.cdas?.name ?? null,
    facts: describeFacts(c.facts ?? [], new Date(c.receivedAt)),
    feedback,
    tips: !feedback && c.lint.length > 0,
    multipleSituations: c.multipleSituations,
    showModel: rubricFinding,
    findings: c.lint.map((f) => ({ label: severityLabels[f.severity], message: f.message })),
    signature,
  };
}
