import { dayOfMonth, formatEuros, formatNumber, monthName, NBSP, NNBSP, plural } from '../labels/formats.js';
import { capitalise, ofPrestation } from '../labels/words.js';
import { parseIsoDate } from './readFacts.js';
import type { Fact, FactKind, PrestationCode } from './types.js';

/**
 * The facts of a request in French, for the technician's case page and the
 * reply (BP-reply 1: precise dates, no acronyms). One line per benefit, e.g.
 * "Non-paiement de l’aide au logement depuis le 14 juillet 2026, soit 4 mois et
 * 6 jours ; droits ouverts le 1er mars 2021". Pure: same facts, same lines.
 */

const order: FactKind[] = [
  'non-payment',
  'decrease',
  'last-payment',
  'period-start',
  'period-end',
  'rights-opening',
  'other',
];

/** "le 1er mars 2021", "le 14 juillet 2026"; "juillet 2026" when only the month was written. */
function dateWords(fact: Fact): { on: string; since: string } {
  const { y, m, d } = parseIsoDate(fact.date ?? '');
  if (fact.precision === 'year') return { on: `en ${y}`, since: `depuis ${y}` };
  const month = `${monthName(m)} ${y}`;
  if (fact.precision === 'month') return { on: `en ${month}`, since: `depuis ${month}` };
  const full = `le ${dayOfMonth(d)}${NBSP}${month}`;
  return { on: full, since: `depuis ${full}` };
}

/** "4 mois et 6 jours", "1 an et 2 mois", "3 semaines". */
export function elapsed(from: string, to: Date): string | null {
  const start = parseIsoDate(from);
  const end = { y: to.getUTCFullYear(), m: to.getUTCMonth() + 1, d: to.getUTCDate() };
  let months = (end.y - start.y) * 12 + (end.m - start.m);
  let days = end.d - start.d;
  if (days < 0) {
    months -= 1;
    // Days left in the start month, then the days of the end month.
    const startMonthLength = new Date(Date.UTC(start.y, start.m, 0)).getUTCDate();
    days += startMonthLength;
  }
  if (months < 0 || (months === 0 && days <= 0)) return null;
  const years = Math.floor(months / 12);
  const rest = months % 12;
  const parts: string[] = [];
  if (years > 0) parts.push(plural(years, 'an'));
  if (rest > 0) parts.push(`${rest}${NBSP}mois`);
  if (years === 0 && days > 0) parts.push(plural(days, 'jour'));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} et ${parts.at(-1)}` : (parts[0] ?? null);
}

function durationWords(months: number): string {
  if (months >= 12 && Number.isInteger(months / 12)) return plural(months / 12, 'an');
  if (months < 1) {
    const weeks = Math.max(1, Math.round(months * 4.35));
    return plural(weeks, 'semaine');
  }
  const whole = Math.round(months * 10) / 10;
  return `${formatNumber(whole, 1)}${NBSP}mois`;
}

interface Described extends Fact {
  /** End of the period a non-payment was read from ("du 1er juin au 30 septembre"). */
  until?: string;
}

/** A non-payment read from a period is said once, "du … au …", without the period's own lines. */
function withPeriods(facts: readonly Fact[]): Described[] {
  const out: Described[] = facts.map((f) => ({ ...f }));
  for (const cut of out) {
    if (cut.kind !== 'non-payment' || !cut.date || cut.months === undefined) continue;
    const start = out.findIndex((f) => f.kind === 'period-start' && f.date === cut.date);
    const end = out.findIndex((f, i) => f.kind === 'period-end' && i > start);
    if (start < 0 || end < 0) continue;
    cut.until = out[end]?.date;
    out.splice(end, 1);
    out.splice(start, 1);
  }
  return out;
}

function phrase(fact: Described, benefit: string, receivedAt: Date | null): string {
  const date = fact.date ? dateWords(fact) : null;
  const since = (d: string) => {
    const span = receivedAt && fact.date && fact.precision === 'day' ? elapsed(d, receivedAt) : null;
    return span ? `, soit ${span}` : '';
  };
  switch (fact.kind) {
    case 'non-payment': {
      const head = `non-paiement${benefit}`;
      if (date && fact.until) {
        const until = dateWords({ ...fact, date: fact.until });
        const from = date.on.startsWith('le ') ? `du ${date.on.slice(3)}` : `de ${date.on.slice(3)}`;
        const to = until.on.startsWith('le ') ? `au ${until.on.slice(3)}` : `à ${until.on.slice(3)}`;
        return `${head} ${from} ${to}, soit ${durationWords(fact.months ?? 0)}`;
      }
      if (date && fact.months !== undefined && fact.date) {
        const from = date.on.startsWith('le ') ? `du ${date.on.slice(3)}` : `de ${date.on.slice(3)}`;
        return `${head} pendant ${durationWords(fact.months)} à partir ${from}`;
      }
      if (date && fact.date) return `${head} ${date.since}${since(fact.date)}`;
      if (fact.months !== undefined) return `${head} depuis ${durationWords(fact.months)}`;
      return `${head}, sans date indiquée`;
    }
    case 'decrease': {
      const amounts =
        fact.before !== undefined && fact.after !== undefined
          ? ` de ${formatEuros(fact.before)} à ${formatEuros(fact.after)}`
          : fact.after !== undefined
            ? ` (${formatEuros(fact.after)})`
            : '';
      if (date) return `baisse${benefit}${amounts} ${date.since}`;
      if (fact.months !== undefined) return `baisse${benefit}${amounts} depuis ${durationWords(fact.months)}`;
      return `baisse${benefit}${amounts}`;
    }
    case 'last-payment':
      return date ? `dernier versement${benefit} reçu ${date.on}` : `dernier versement${benefit}`;
    case 'period-start':
      return date ? `début de période ${date.on}` : 'début de période';
    case 'period-end':
      return date ? `fin de période ${date.on}` : 'fin de période';
    case 'rights-opening':
      return `droits ouverts ${date ? date.on : '(date non indiquée)'}${benefit ? ` (${nameOf(benefit)})` : ''}`;
    default:
      return `date citée${NBSP}: ${date ? date.on.replace(/^(?:le|en) /, '') : 'non lue'}${benefit ? ` (${nameOf(benefit)})` : ''}`;
  }
}

/** "aide au logement" out of " de l’aide au logement". */
function nameOf(benefit: string): string {
  return benefit.trim().replace(/^(?:du|de la|de l’|des) /, '');
}

/**
 * The facts as French lines, one per benefit (facts whose benefit is not known
 * come last), most telling first: non-payment, decrease, last payment, period,
 * opening of rights. `receivedAt` gives "soit 4 mois et 6 jours".
 */
export function describeFacts(facts: readonly Fact[], receivedAt: Date | null): string[] {
  const groups = new Map<PrestationCode | undefined, Fact[]>();
  for (const fact of facts) {
    const list = groups.get(fact.prestation) ?? [];
    list.push(fact);
    groups.set(fact.prestation, list);
  }
  const lines: string[] = [];
  const keys = [...groups.keys()].sort((a, b) => (a === undefined ? 1 : b === undefined ? -1 : 0));
  for (const code of keys) {
    const list = withPeriods(groups.get(code) ?? []).sort(
      (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind),
    );
    const benefit = code ? ` ${ofPrestation[code]}` : '';
    let first = true;
    const parts: string[] = [];
    for (const fact of list) {
      // The benefit is named once per line, in its first phrase.
      parts.push(phrase(fact, first ? benefit : '', receivedAt));
      first = false;
    }
    lines.push(capitalise(parts.join(`${NNBSP}; `)));
  }
  return lines;
}
