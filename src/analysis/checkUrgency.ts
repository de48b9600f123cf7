import { DECREASE, MONTH_NAME, MONTHS, NON_PAYMENT, NUMBER, numberValue } from './textPatterns.js';
import type { PrestationCode } from './types.js';

/**
 * The convention's definition of urgency (I.2, "Les situations urgentes"):
 * any interruption or strong decrease of RSA or AAH; for any other benefit,
 * payment interrupted for (at least) three months.
 */
export interface UrgencyCheck {
  substantiated: boolean;
  reason: string;
}

export interface UrgencyCheckInput {
  /** Folded own text: subject and body without quotes. */
  folded: string;
  /** Benefits named in the prestation rubric (empty when absent). */
  rubricPrestations: PrestationCode[];
  /** Folded motif value, when given. */
  motif: string | null;
  /** The mail's date, for "depuis le 05/07" and "depuis juillet". */
  mailDate: Date | null;
  urgentUnpaidMonths: number;
}

const MINIMA = /\b(?:rsa|aah)\b|revenu\s+de\s+solidarite|adultes?\s+handicape/;

const monthIndex = new Map<string, number>(MONTHS.map((m, i) => [m, i]));

function sentences(folded: string): string[] {
  // A sentence ends at . ! ? ; or a blank line; a single newline inside a
  // rubric value does not end it, but a new rubric line does.
  return folded.split(/[.!?;]+(?:\s|$)|\n\s*\n|\n(?=[ \t]*[-*•]?[ \t]*[a-z()' ]{3,40}:)/);
}

/** Months elapsed from (year, month[, day]) to the mail's date. */
function monthsSince(mailDate: Date, year: number, month: number, day: number | null): number {
  const whole = (mailDate.getUTCFullYear() - year) * 12 + (mailDate.getUTCMonth() - month);
  if (day === null) return whole;
  return whole + (mailDate.getUTCDate() - day) / 30;
}

/** The year of a month given without one: the latest such month not after the mail. */
function inferYear(mailDate: Date, month: number, day: number | null): number {
  const y = mailDate.getUTCFullYear();
  const m = mailDate.getUTCMonth();
  if (month < m || (month === m && (day === null || day <= mailDate.getUTCDate()))) return y;
  return y - 1;
}

function fullYear(token: string | undefined): number | null {
  if (!token) return null;
  const n = Number.parseInt(token, 10);
  return token.length === 2 ? 2000 + n : n;
}

const since =
  "(?:depuis|a\\s+partir\\s+d[eu']|a\\s+compter\\s+d[eu']|des|dernier\\s+(?:versement|paiement|virement)[^.\\n]{0,30}?)";
const durationPattern = new RegExp(
  `\\b(?:depuis\\s+)?(?:plus\\s+de\\s+|pres\\s+de\\s+|environ\\s+|maintenant\\s+|deja\\s+)?(${NUMBER})\\s+(mois|mensualites|echeances|semaines?|jours|ans?|annees?)\\b`,
  'g',
);
const sinceNumericDate = new RegExp(
  `${since}\\s*(?:le\\s+|la\\s+date\\s+du\\s+)?(\\d{1,2})[/.-](\\d{1,2})(?:[/.-](\\d{4}|\\d{2}))?\\b`,
  'g',
);
const sinceMonth = new RegExp(
  `${since}\\s*(?:le\\s+|la\\s+)?(?:mois\\s+d['e]\\s*|(?:1er|\\d{1,2})\\s+|debut\\s+|fin\\s+|mi-?\\s*)?(${MONTH_NAME})(?:\\s+(\\d{4}))?`,
  'g',
);
const monthName = new RegExp(`\\b${MONTH_NAME}\\b`, 'g');
const oneYear =
  /\bdepuis\s+(?:plus\s+d'|pres\s+d'|environ\s+)?(?:un|1)\s+an\b|\bdepuis\s+l'annee\s+derniere\b/;

/** The longest unpaid period (in months) a sentence states, or 0. */
function statedMonths(sentence: string, mailDate: Date | null): number {
  let best = 0;
  for (const m of sentence.matchAll(durationPattern)) {
    const n = numberValue(m[1] ?? '');
    const unit = m[2] ?? '';
    const months = unit.startsWith('semaine')
      ? n / 4.35
      : unit === 'jours'
        ? n / 30.4
        : unit.startsWith('an')
          ? n * 12
          : n;
    best = Math.max(best, months);
  }
  if (oneYear.test(sentence)) best = Math.max(best, 12);
  if (mailDate) {
    for (const m of sentence.matchAll(sinceNumericDate)) {
      const day = Number.parseInt(m[1] ?? '', 10);
      const month = Number.parseInt(m[2] ?? '', 10) - 1;
      if (day < 1 || day > 31 || month < 0 || month > 11) continue;
      const year = fullYear(m[3]) ?? inferYear(mailDate, month, day);
      best = Math.max(best, monthsSince(mailDate, year, month, day));
    }
    for (const m of sentence.matchAll(sinceMonth)) {
      const month = monthIndex.get(m[1] ?? '') ?? -1;
      if (month < 0) continue;
      const year = fullYear(m[2]) ?? inferYear(mailDate, month, null);
      best = Math.max(best, monthsSince(mailDate, year, month, null));
    }
  }
  // "juillet, août et septembre n'ont pas été versés": one month per name.
  const named = new Set(Array.from(sentence.matchAll(monthName), (m) => m[0]));
  if (named.size >= 2) best = Math.max(best, named.size);
  return best;
}

export function checkUrgency(input: UrgencyCheckInput): UrgencyCheck {
  const parts = sentences(input.folded);
  const motifIsNonPayment = input.motif !== null && NON_PAYMENT.test(input.motif);
  const motifIsDecrease = input.motif !== null && DECREASE.test(input.motif);
  const minimaInRubric = input.rubricPrestations.some((code) => code === 'RSA' || code === 'AAH');
  const anyCut = (s: string) => NON_PAYMENT.test(s) || DECREASE.test(s);

  // (a) RSA or AAH interrupted or decreased.
  const minimaCut =
    (minimaInRubric && (motifIsNonPayment || motifIsDecrease || parts.some(anyCut))) ||
    parts.some((s) => MINIMA.test(s) && anyCut(s));
  if (minimaCut) {
    return {
      substantiated: true,
      reason: 'Interruption ou baisse du RSA ou de l’AAH : cela correspond à la définition de l’urgence.',
    };
  }

  // (b) Another benefit interrupted or decreased for at least N months
  // ("une rupture ou une diminution de versement depuis 3 mois").
  let months = 0;
  for (const s of parts) {
    if (anyCut(s) || motifIsNonPayment || motifIsDecrease)
      months = Math.max(months, statedMonths(s, input.mailDate));
  }
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
