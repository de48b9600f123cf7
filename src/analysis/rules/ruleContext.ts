import type { SituationSignals } from '../detectSituations.js';
import type {
  AttachmentInfo,
  Fact,
  Finding,
  PrestationCode,
  Rubrics,
  Urgency,
  UrgencySource,
} from '../types.js';

/** What every lint rule may read: the analysis so far, nothing else. */
export interface RuleContext {
  /** Folded own text (subject + body, quotes removed), for vocabulary rules. */
  own: string;
  rubrics: Rubrics;
  /** Folded rubric values (null when absent or empty). */
  folded: {
    motif: string | null;
    prestations: string | null;
    commentaire: string | null;
    specificites: string | null;
  };
  /** Benefits named by the prestation rubric. */
  rubricPrestations: PrestationCode[];
  urgencySource: UrgencySource | null;
  urgency: Urgency;
  /** Dates, durations and amounts of the request with their role (readFacts). */
  facts: readonly Fact[];
  situations: SituationSignals;
  multipleSituations: boolean;
  attachments: AttachmentInfo[];
  /** The convention's three months, as configured. */
  urgentUnpaidMonths: number;
}

export type Rule = (ctx: RuleContext) => Finding[];
