import { unpaidMonths } from './readFacts.js';
import type { Fact, PrestationCode } from './types.js';

/**
 * The convention's definition of urgency (I.2, "Les situations urgentes"):
 * any interruption or strong decrease of RSA or AAH; for any other benefit,
 * payment interrupted for (at least) three months. It reasons on the facts
 * read from the request (readFacts), so that a date of opening of rights is
 * never taken for the start of a non-payment, and a cut of one benefit is not
 * charged to another named in the same sentence.
 */
export interface UrgencyCheck {
  substantiated: boolean;
  reason: string;
}

export interface UrgencyCheckInput {
  facts: readonly Fact[];
  /** Benefits named in the prestation rubric (empty when absent). */
  rubricPrestations: PrestationCode[];
  /** The motif says non-payment or decrease. */
  motifIsCut: boolean;
  mailDate: Date | null;
  urgentUnpaidMonths: number;
}

const isMinimum = (code: PrestationCode | undefined) => code === 'RSA' || code === 'AAH';
const isCut = (fact: Fact) =>
  fact.kind === 'non-payment' || fact.kind === 'decrease' || fact.kind === 'last-payment';

export function checkUrgency(input: UrgencyCheckInput): UrgencyCheck {
  const cuts = input.facts.filter(isCut);
  const minimaInRubric = input.rubricPrestations.some(isMinimum);

  // (a) RSA or AAH interrupted or decreased. A cut whose benefit is not named
  // belongs to the rubric's benefits; without any cut written, the motif speaks.
  // A cut that names its benefit ("mais baisse de l'APL") outweighs the rubric's list.
  const named = cuts.filter((f) => f.prestation !== undefined);
  const minimaCut =
    named.length > 0
      ? named.some((f) => isMinimum(f.prestation))
      : minimaInRubric && (cuts.length > 0 || input.motifIsCut);
  if (minimaCut) {
    return {
      substantiated: true,
      reason: 'Interruption ou baisse du RSA ou de l’AAH : cela correspond à la définition de l’urgence.',
    };
  }

  // (b) Another benefit interrupted or decreased for at least N months
  // ("une rupture ou une diminution de versement depuis 3 mois").
  let months = 0;
  for (const fact of cuts) months = Math.max(months, unpaidMonths(fact, input.mailDate));
  if (months >= input.urgentUnpaidMonths) {
    return {
      substantiated: true,
      reason: `Prestation non versée ou diminuée depuis environ ${Math.floor(months)} mois (au moins ${input.urgentUnpaidMonths} mois) : cela correspond à la définition de l’urgence.`,
    };
  }
  const what =
    months > 0
      ? `le non-paiement indiqué dure depuis environ ${Math.max(1, Math.floor(months))} mois, moins de ${input.urgentUnpaidMonths} mois`
      : `le message ne montre ni une interruption ou une baisse du RSA ou de l’AAH, ni une autre prestation non versée depuis au moins ${input.urgentUnpaidMonths} mois`;
  return { substantiated: false, reason: `Urgence non justifiée : ${what}.` };
}
