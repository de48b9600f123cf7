/**
 * The analyzer's contract: one raw mail in, one `Analysis` out.
 * Every later stage (routing, replies, web) reads only this shape.
 */

export type MailKind = 'cdap-form' | 'direct' | 'auto-reply' | 'bounce' | 'bulk';

export type Route = 'priority' | 'standard' | 'quarantine' | 'ignored';

export type ReplyDecision = 'ack' | 'ack-with-feedback' | 'none';

export type Severity = 'error' | 'warning' | 'info';

export type RuleId =
  | 'rubric-missing'
  | 'rubric-empty'
  | 'multiple-situations'
  | 'urgency-keyword-placement'
  | 'urgency-unsubstantiated'
  | 'vocabulary-suspension'
  | 'dates-missing'
  | 'prestation-unknown'
  | 'attachments-channel'
  | 'family-event-social-service'
  | 'specificity-documents-recipient';

export type RubricName = 'motif' | 'prestations' | 'commentaire' | 'specificites';

export type PrestationCode =
  | 'RSA'
  | 'AAH'
  | 'APL'
  | 'PPA'
  | 'ASF'
  | 'AF'
  | 'ALF'
  | 'ALS'
  | 'CF'
  | 'PAJE'
  | 'AEEH'
  | 'ARS'
  | 'AJPP'
  | 'PreParE'
  | 'CMG';

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** What the CDAS worker reads, in French. */
  message: string;
  /** Which rubric a rubric rule is about. */
  rubric?: RubricName;
}

export interface Rubric {
  present: boolean;
  /** The value as written, trimmed; null when absent or empty. */
  value: string | null;
}

export type Rubrics = Record<RubricName, Rubric>;

export interface FormFields {
  organisme: string | null;
  nomPrenom: string | null;
  adresseElectronique: string | null;
  numeroAllocataire: string | null;
}

/**
 * The numbers naming the family a request is about, normalised (see
 * readFamilyIds). In memory only: never stored, logged or queued; triage
 * keeps their keyed hashes to link a family's cases.
 */
export interface FamilyIds {
  /** Digits only. */
  allocataireNumbers: string[];
  /** 13 characters (2A/2B in capitals), without the key. */
  nirs: string[];
}

export interface CdasRef {
  id: string;
  name: string;
  /** How it was recognised: the sender's address, or the organisme field. */
  matchedBy: 'address' | 'organisme';
}

export interface Sender {
  /** The address the request comes from (the form's address for relay mail). */
  address: string | null;
  allowed: boolean;
  cdas: CdasRef | null;
  /** `form` when the address was read from the CDAP form of a relay mail. */
  via: 'form' | 'from';
  /**
   * Why the sender's or the reply address cannot be used — several mailboxes,
   * a group, an unreadable address — in French; the mail is then quarantined
   * and never answered. Null when both are one clean mailbox (or absent).
   */
  problem: string | null;
}

export type UrgencySource = 'organisme' | 'subject' | 'body';

export interface Urgency {
  source: UrgencySource | null;
  /** null when the mail is not flagged urgent. */
  check: 'substantiated' | 'unsubstantiated' | null;
  /** Why, in French; null when the mail is not flagged urgent. */
  reason: string | null;
}

export interface AttachmentInfo {
  filename: string | null;
  contentType: string;
  size: number;
  /** An image embedded in the HTML (a signature logo), not a document sent. */
  inline: boolean;
}

/** The DMARC verdict on the From domain, when sender verification is on. */
export interface Authentication {
  /** pass, fail, none, temperror, permerror… as the verifier said; null when not verified. */
  dmarc: string | null;
  source: 'authentication-results' | 'mailauth' | null;
}

/**
 * The role of a date, duration or amount of the request (BP-send 2: opening of
 * rights, start of the non-payment, start and end of a period).
 */
export type FactKind =
  | 'rights-opening'
  | 'non-payment'
  | 'last-payment'
  | 'decrease'
  | 'period-start'
  | 'period-end'
  | 'other';

export interface Fact {
  kind: FactKind;
  /** ISO date YYYY-MM-DD; the year of a date written without one is the latest not after the mail. */
  date?: string;
  /** `month` or `year` when only that was written ("depuis juillet", "en 2019"): the rest is implied. */
  precision?: 'day' | 'month' | 'year';
  /** A duration as written ("depuis trois mois"), in months. */
  months?: number;
  /** Amounts of a decrease, in euros. */
  before?: number;
  after?: number;
  prestation?: PrestationCode;
  /** The words read, a few only: dates and benefits, never the family's identifiers. */
  text: string;
}

export interface Analysis {
  messageId: string | null;
  subject: string | null;
  /** ISO time of the mail (Date header, else the received time given by the caller). */
  date: string | null;
  kind: MailKind;
  /** True when the MIME could not be read; the mail still routes to `standard`. */
  unreadable: boolean;
  unreadableReason: string | null;
  sender: Sender;
  /** Where an answer would go: form address for relay mail, else Reply-To, else From. */
  replyTo: string | null;
  inReplyTo: string | null;
  references: string[];
  fields: FormFields;
  /** The family's allocataire numbers and NIRs (in memory only, see FamilyIds). */
  family: FamilyIds;
  rubrics: Rubrics;
  prestations: PrestationCode[];
  urgent: boolean;
  urgency: Urgency;
  /** Dates, durations and amounts of the request, each with its role and benefit. */
  facts: Fact[];
  multipleSituations: boolean;
  attachments: AttachmentInfo[];
  authentication: Authentication;
  lint: Finding[];
  route: Route;
  /** Why this route, in a few words (for technicians and the quarantine folder). */
  routeReason: string;
  reply: ReplyDecision;
}
