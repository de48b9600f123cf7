import { describeFacts } from '../analysis/describeFacts.js';
import type { CaseRecord } from '../cases/caseRecord.js';
import { agree, formatDate } from '../labels/formats.js';
import { capitalise, motifLabels, prestationLabels, severityLabels } from '../labels/words.js';

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

/** What the reply templates may show: built from the case only, never from the incoming mail's text. */
export function replyView(c: CaseRecord, signature: string): ReplyView {
  const feedback = c.reply === 'ack-with-feedback';
  const rubricFinding =
    c.lint.some((f) => f.rule === 'rubric-missing' && f.severity === 'error') ||
    c.lint.some((f) => f.rule === 'rubric-empty');
  return {
    ref: c.ref,
    receivedOn: formatDate(c.receivedAt),
    dueOn: c.sla ? formatDate(c.sla.dueAt) : null,
    urgent: c.urgent,
    minima: c.urgencyCheck === 'substantiated' && c.prestations.some((p) => p === 'RSA' || p === 'AAH'),
    motif: motifLabels[c.motif],
    prestationsLabel: agree(c.prestations.length, 'prestation'),
    prestations: c.prestations.length
      ? c.prestations.map((p) => prestationLabels[p]).join(', ')
      : 'non indiquée',
    cdas: c.cdas?.name ?? null,
    facts: describeFacts(c.facts ?? [], new Date(c.receivedAt)),
    feedback,
    tips: !feedback && c.lint.length > 0,
    multipleSituations: c.multipleSituations,
    showModel: rubricFinding,
    findings: c.lint.map((f) => ({ label: capitalise(severityLabels[f.severity]), message: f.message })),
    signature,
  };
}
