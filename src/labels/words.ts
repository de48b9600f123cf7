import type { MotifCategory } from '../analysis/categorizeMotif.js';
import type {
  MailKind,
  PrestationCode,
  ReplyDecision,
  Route,
  RuleId,
  Severity,
  Urgency,
  UrgencySource,
} from '../analysis/types.js';
import type { CaseStatus, ReplyReasonCode, ReplyStatus, ReplySuppression } from '../cases/caseRecord.js';
import type { SlaStatus } from '../cases/computeSla.js';
import type { RateLimitName } from '../replies/replyRateLimit.js';

/**
 * Every word a person reads for a value the code keeps as an identifier: the
 * command line, the dashboard and the replies say the same thing the same way.
 * Identifiers (routes, rule ids, reasons) are for machines, logs and metrics;
 * what people read comes from here. Lower case: a caller that starts a
 * sentence or a heading with one capitalises it (see `capitalise`).
 */

/** The technicians' queue a mail goes to (its IMAP folder is named after it). */
export const routeLabels: Record<Route, string> = {
  priority: 'prioritaire',
  standard: 'standard',
  quarantine: 'quarantaine',
  ignored: 'ignoré',
};

/** The two queues technicians work from, as their headings name them. */
export const queueLabels: Record<'priority' | 'standard', string> = {
  priority: 'file prioritaire',
  standard: 'file standard',
};

export const kindLabels: Record<MailKind, string> = {
  'cdap-form': 'formulaire CDAP Mon Compte Partenaire',
  direct: 'message direct',
  'auto-reply': 'réponse automatique',
  bounce: 'avis de non-remise',
  bulk: 'envoi en nombre (liste, lettre d’information)',
};

/** The nature of a request, as the yearly review counts it ("flux et nature des mails"). */
export const motifLabels: Record<MotifCategory, string> = {
  'non-paiement': 'non-paiement',
  baisse: 'baisse du montant versé',
  explication: 'demande d’explication',
  'changement-situation': 'changement de situation',
  document: 'document ou démarche',
  autre: 'autre demande',
  'non-indique': 'non indiqué',
};

/** Benefits in words first, the acronym after: the convention asks answers to avoid bare acronyms (BP-reply). */
export const prestationLabels: Record<PrestationCode, string> = {
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

/**
 * A benefit after "non-paiement", "baisse", "dernier versement": "de" joined
 * to its article, no acronym. Housing aid is named in general (the CDAS
 * often writes APL for any of the three).
 */
export const ofPrestation: Record<PrestationCode, string> = {
  RSA: 'du revenu de solidarité active',
  AAH: 'de l’allocation aux adultes handicapés',
  APL: 'de l’aide au logement',
  PPA: 'de la prime d’activité',
  ASF: 'de l’allocation de soutien familial',
  AF: 'des allocations familiales',
  ALF: 'de l’allocation de logement familiale',
  ALS: 'de l’allocation de logement sociale',
  CF: 'du complément familial',
  PAJE: 'de la prestation d’accueil du jeune enfant',
  AEEH: 'de l’allocation d’éducation de l’enfant handicapé',
  ARS: 'de l’allocation de rentrée scolaire',
  AJPP: 'de l’allocation journalière de présence parentale',
  PreParE: 'de la prestation partagée d’éducation de l’enfant',
  CMG: 'du complément de libre choix du mode de garde',
};

/** Where the keyword URGENCE DEFINIE was found ("mot-clé trouvé dans …"). */
export const urgencySourceLabels: Record<UrgencySource, string> = {
  organisme: 'le champ « Nom de votre organisme »',
  subject: 'l’objet',
  body: 'le texte du message',
};

/** Whether an urgency meets the convention's definition; null: its text could not be read (too large). */
export function urgencyCheckLabel(check: Urgency['check']): string {
  if (check === 'substantiated') return 'justifiée';
  if (check === 'unsubstantiated') return 'non justifiée';
  return 'non vérifiée';
}

export const severityLabels: Record<Severity, string> = {
  error: 'à corriger',
  warning: 'attention',
  info: 'conseil',
};

/** The good practice a finding is about, in a few words (the finding's message says the rest). */
export const ruleLabels: Record<RuleId, string> = {
  'rubric-missing': 'rubrique absente',
  'rubric-empty': 'rubrique vide',
  'multiple-situations': 'plusieurs situations dans un message',
  'urgency-keyword-placement': 'mot-clé URGENCE DEFINIE mal placé',
  'urgency-unsubstantiated': 'urgence non justifiée',
  'vocabulary-suspension': '« suspension » au lieu de « non-paiement »',
  'dates-missing': 'dates manquantes',
  'prestation-unknown': 'prestation non reconnue',
  'attachments-channel': 'pièces jointes à la boîte des documents',
  'family-event-social-service': 'événement familial : service social',
  'specificity-documents-recipient': 'personne accompagnée : courriers au CDAS',
};

/** The analysis's decision about answering. */
export const replyDecisionLabels: Record<ReplyDecision, string> = {
  ack: 'accusé de réception',
  'ack-with-feedback': 'accusé de réception avec remarques sur la forme',
  none: 'aucune réponse',
};

/** The same, for a narrow table column. */
export const replyDecisionShortLabels: Record<ReplyDecision, string> = {
  ack: 'accusé',
  'ack-with-feedback': 'accusé + remarques',
  none: '—',
};

/** Where the reply of a case stands. */
export const replyStatusLabels: Record<ReplyStatus, string> = {
  sent: 'envoyée',
  shadow: 'préparée (mode essai, non envoyée)',
  suppressed: 'non envoyée',
  failed: 'échec d’envoi',
  pending: 'en cours d’envoi',
};

/** Why no reply goes out although the analysis asked for one. */
export const replySuppressionLabels: Record<ReplySuppression, string> = {
  backfill: 'rattrapage',
  reprocess: 'réanalyse',
  recovered: 'dossier reconstitué',
};

export const rateLimitLabels: Record<RateLimitName, string> = {
  'per-recipient-hour': 'trop de réponses à cette adresse dans l’heure',
  'per-recipient-day': 'trop de réponses à cette adresse dans la journée',
  'same-subject-day': 'même objet trop souvent dans la journée',
};

/** Why a reply ended as it did (or waits). */
export const replyReasonLabels: Record<ReplyReasonCode, string> = {
  ...replySuppressionLabels,
  'no-reply-decided': 'aucune réponse prévue',
  'recipient-not-allowed': 'adresse de réponse non autorisée',
  'rate-limited': 'limite d’envoi atteinte',
  template: 'erreur dans le modèle de réponse',
  refused: 'refusée par le serveur d’envoi',
  uncertain: 'connexion perdue deux fois après l’envoi',
  sending: 'envoi commencé',
  retry: 'nouvel essai prévu',
};

export const caseStatusLabels: Record<CaseStatus, string> = {
  nouveau: 'nouveau',
  'pris en charge': 'pris en charge',
  répondu: 'répondu',
  clos: 'clos',
  enregistré: 'enregistré (pas de réponse attendue)',
};

export const slaLabels: Record<SlaStatus, string> = {
  overdue: 'en retard',
  'due-soon': 'échéance proche',
  'on-time': 'dans les délais',
  none: '—',
};

/** First letter in capitals, for a label that starts a sentence or a heading. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
