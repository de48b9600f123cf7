// The French locale alone: the package's index loads every language (twice the start-up time of `analyze`).
import type { ParsedComponents, Parser, Refiner } from 'chrono-node';
import * as chronoFr from 'chrono-node/fr';
import { foldText } from './foldText.js';
import { prestationsInText } from './normalizePrestations.js';
import { MONTH_NAME, MONTHS, NON_PAYMENT, NUMBER, numberValue } from './textPatterns.js';
import type { Fact, FactKind, PrestationCode } from './types.js';

/**
 * BP-send 2 asks for three kinds of dates: opening of rights, start of the
 * non-payment, start and end of a period. This reads the dates, durations and
 * amounts of the request, each with its role and the benefit it is about, so
 * that the urgency check never mistakes "droits ouverts depuis 2021" for years
 * unpaid. Works on folded text (see foldText); `text` of a fact is sliced from
 * the original at the same indexes.
 */
export interface FactsInput {
  /** Folded own text (subject, newline, body without quotes). */
  folded: string;
  /** The same text before folding, same length. */
  original: string;
  mailDate: Date | null;
  /** Benefits of the prestation rubric: the default subject of a fact that names none. */
  rubricPrestations: readonly PrestationCode[];
  /** The motif says non-payment or decrease: a bare "depuis <date>" is then the start of it. */
  aboutCut: boolean;
}

interface Span {
  start: number;
  end: number;
}

// A sentence ends at . ! ? ; or a line break; a date's dots ("05.11.2026") are followed by a digit.
const sentenceEnd = /[.!?;]+(?=\s|$)|\n/g;
// A clause turns on "mais", "alors que"…: the benefit and the cue on one side do not reach the other.
const clauseTurn =
  /,?\s+(?:mais|alors\s+que|tandis\s+que|cependant|par\s+contre|en\s+revanche|sauf\s+que)\s+|,\s+(?:et\s+)?(?=(?:l'|le\s|la\s|les\s)?(?:droits?|ouverture|versement|paiement|dernier|derniere)\b)|\s+-\s+/g;

function split(text: string, start: number, end: number, separator: RegExp): Span[] {
  const spans: Span[] = [];
  const part = text.slice(start, end);
  let from = 0;
  separator.lastIndex = 0;
  for (const m of part.matchAll(separator)) {
    if (m.index > from) spans.push({ start: start + from, end: start + m.index });
    from = m.index + m[0].length;
  }
  if (from < part.length) spans.push({ start: start + from, end });
  return spans;
}

/** A cut (non-payment or decrease) that the clause denies: "pas de baisse", "versé normalement". */
const deniedCut =
  /\b(?:pas|aucune?|sans|ni|jamais)\s+(?:eu\s+|connu\s+|subi\s+)?(?:de\s+|d'|d'une?\s+|la\s+moindre\s+)?(?:baisse|diminution|reduction|interruption|rupture|suspension|coupure|blocage|retard|probleme)s?\b|(?:n'|ne\s)(?:a|ont|est|sont|etait|ait)?\s*(?:pas|jamais|plus)\s+(?:ete\s+)?(?:interrompue?s?|suspendue?s?|coupee?s?|bloquee?s?|diminuee?s?|baissee?s?|reduite?s?)\b|\b(?:verse|versee|verses|versees|paye|payee|payes|payees|percue?s?|recue?s?)\s+(?:normalement|regulierement|correctement|sans\s+(?:souci|probleme|interruption)|chaque\s+mois|a\s+taux\s+plein)|\b(?:bien|toujours|normalement)\s+(?:verse|versee|verses|versees|percue?s?|payee?s?)\b|\bcontinue\s+d'etre\s+versee?s?/g;

/**
 * "n'a pas compris le montant du rappel reçu": the negation bears on another
 * verb, so the payment word further on is not denied.
 */
const deniedOtherVerb =
  /(?:n'|ne\s)(?:[a-z]+\s+){0,2}?(?:pas|plus|jamais)\s+(?!(?:ete|eu|encore|toujours|de|d'|du|la|le|les|l'|un|une|son|sa|ses|leur|leurs|rien|aucune?|verse|versee|verses|versees|percue?s?|recue?s?|touche|touchee?s?|payee?s?|viree?s?|arrivee?s?|tombee?s?|effectuee?s?|parvenue?s?|regle|reglee?s?)\b)[a-z]{3,}/g;

/** "n'a pas reçu la notification": a document not received is not a payment missing. */
const documentNotReceived =
  /(?:n'|ne\s)[^.\n]{0,30}?\b(?:pas|plus|jamais|rien)\b[^.\n]{0,20}?\b(?:recu|recue|recus|recues|recoit)\s+(?:de\s+|d'|la\s+|le\s+|les\s+|l'|un\s+|une\s+|son\s+|sa\s+|ses\s+|aucun\s+|aucune\s+)?(?:courrier|notification|lettre|document|attestation|reponse|mail|message|carte|formulaire|dossier|convocation|identifiant|code|avis)/g;

/** Words the convention's "non-paiement" takes beyond NON_PAYMENT: "n'est pas arrivé", "pas tombé". */
const missingPayment =
  /\b(?:versement|paiement|virement|mensualite|echeance)s?\b[^.\n]{0,40}?(?:n'|ne\s)[^.\n]{0,15}?\b(?:pas|plus|jamais)\s+(?:encore\s+)?(?:ete\s+)?(?:arrivee?s?|tombee?s?|effectuee?s?|parvenue?s?)\b|\bmanque\s+(?:le|les|la)\s+(?:versement|paiement|mensualite)/;
/** "n'a pas de prime d'activité depuis 4 mois": the benefit itself is missing (said of a named benefit only). */
const lacksBenefit =
  /(?:n'|ne\s)(?:a|ont|touche|touchent|percoit|percoivent|recoit|recoivent|beneficie|beneficient)\s+(?:plus|pas|rien|jamais)\s+(?:de\s+|d'|du\s+|la\s+|le\s+|l'|les\s+|sa\s+|son\s+|ses\s+)/;
const decrease =
  /\bbaisse|\bdiminu(?:e|ee|es|ees|tion|tions)\b|\breduction|\breduite?s?\b|\bpasse(?:e|s)?\s+de\s+\d/;
const rightsCue =
  /\bouverture\s+(?:de\s+|des\s+|du\s+)?(?:ses\s+|leurs\s+)?droits?|\bdroits?\s+(?:\w+\s+){0,2}(?:ouverts?|ouvertes?)\b|\bouverte?s?\s+(?:depuis|le|en|au|a\s+compter)\b|\bbeneficiaire\s+(?:de\s+(?:l'|la\s+|du\s+)?\w+\s+)?depuis|\ballocataire\s+depuis|\bpercoi(?:t|vent)\s+(?:l'|la\s+|le\s+|les\s+)?\w+\s+depuis|\bouvrant\s+droit/;
const lastPaymentCue =
  /\bderni(?:er|ere)s?\s+(?:versement|paiement|virement|mensualite|echeance)s?|\bverse(?:e|s|es)?\s+pour\s+la\s+derniere\s+fois/;
const periodEndCue = /\bjusqu'(?:au|a|en|a\s+fin)\s*$|\bfin\s+de\s+(?:la\s+)?periode\s*(?:le\s+|au\s+)?$/;
// Not a bare "du": "le courrier du 07/10" is a date of a document, not a period.
const periodStartCue = /\b(?:a\s+partir\s+d[eu']|a\s+compter\s+d[eu']|des)\s*(?:le\s+)?$/;
const sinceCue = /\bdepuis\s*(?:le\s+|la\s+|l'|debut\s+|fin\s+|mi-?)?$/;

const durationPattern = new RegExp(
  `\\b(depuis\\s+|cela\\s+fait\\s+|ca\\s+fait\\s+|voila\\s+|pendant\\s+|durant\\s+)?(plus\\s+de\\s+|pres\\s+de\\s+|environ\\s+|maintenant\\s+|deja\\s+|au\\s+moins\\s+)?(${NUMBER})\\s+(mois|mensualites|echeances|semaines?|jours|ans?|annees?)\\b`,
  'g',
);
const oneYear =
  /\bdepuis\s+(?:plus\s+d'|pres\s+d'|environ\s+)?(?:un|1)\s+an\b|\bdepuis\s+l'annee\s+derniere\b/;
// "1 016 €", "1016,50 €", "412 euros".
const amount =
  /(?<![\d,.])(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[,.]\d{1,2})?|\d{1,5}(?:[,.]\d{1,2})?)\s*(?:€|euros?\b|eur\b)/g;
/** Codes written in lower case in free text; "af", "al", "cf", "ars" are also ordinary words there. */
const lowerCodes: Array<[RegExp, PrestationCode]> = [
  [/\brsa\b/, 'RSA'],
  [/\baah\b/, 'AAH'],
  [/\bapl\b/, 'APL'],
  [/\bppa\b/, 'PPA'],
  [/\basf\b/, 'ASF'],
  [/\balf\b/, 'ALF'],
  [/\bals\b/, 'ALS'],
  [/\bpaje\b/, 'PAJE'],
  [/\baeeh\b/, 'AEEH'],
  [/\bajpp\b/, 'AJPP'],
  [/\bprepare\b/, 'PreParE'],
  [/\bcmg\b/, 'CMG'],
  [/\bpension\s+alimentaire\b/, 'ASF'],
];

const MAX_CHARS = 10_000;
/** Only a sentence with a digit or a time word can hold a date: the others skip the parser. */
const dateHint =
  /\d{1,2}\s*[/.-]\s*\d{1,2}|\b(?:19|20)\d{2}\b|\b(?:janv|fevr|mars|avr|mai|juin|juil|aout|sept|oct|nov|dec)|\bhier\b|\bderni|\brentree\b|\bil\s+y\s+a\b|\bprochain/;
const paymentWord = /\b(?:versement|paiement|virement|mensualite|echeance|prestation|allocation|droits?)s?\b/;
const cutHint =
  /vers|paie|paye|perc|recu|recoi|touch|vire|suspen|bloqu|bloca|coup|interr|ruptur|baiss|diminu|reduc|redui|radi|impaye|arret|droit|passe|manque|arrive|tombe|absence|plus|pas|aucun|rien|jamais/;
const benefitHint =
  /\b(?:rsa|aah|apl|ppa|asf|alf|als|paje|aeeh|ajpp|prepare|cmg|af|cf|ars)\b|allocation|prime|aide|revenu|complement|prestation|soutien/;
const rubricLine = /^\s*[-*•]?\s*(?:motifs?|prestations?)\b[^:\n]{0,40}:/;

const monthIndex = new Map<string, number>(MONTHS.map((m, i) => [m, i + 1]));

/**
 * chrono's French locale reads "14 juillet" and "05/11" but not a month alone,
 * "début septembre", "mi-octobre" or "la rentrée": a month written alone is
 * how staff date most non-payments, so it is added here.
 */
// Only the date parsers: times of day, weekdays and "dans 3 jours" are not dates of a file, and cost.
const numeric = new Set(['ISOFormatParser', 'SlashDateFormatParser', 'FRMonthNameLittleEndianParser']);
const relative = new Set(['FRTimeUnitAgoFormatParser', 'FRCasualDateParser']);
function chronoParsers(names: ReadonlySet<string>): Parser[] {
  const all = chronoFr.casual.clone().parsers;
  const chosen = all.filter(
    (p, i) => names.has(p.constructor.name) && all.findIndex((q) => q.constructor === p.constructor) === i,
  );
  // Class names are chrono's: should a release rename them, keep all its parsers rather than none.
  return chosen.length >= names.size ? chosen : all;
}
/** Time zones, weekdays and times are not read: only overlaps and "du … au …" ranges need refining. */
const refiners = new Set(['OverlapRemovalRefiner', 'FRMergeDateRangeRefiner']);
function chronoRefiners(): Refiner[] {
  const all = chronoFr.casual.clone().refiners;
  const chosen = all.filter((r) => refiners.has(r.constructor.name));
  return chosen.length >= refiners.size ? chosen : all;
}
const parser = chronoFr.casual.clone();
parser.parsers = chronoParsers(numeric);
parser.refiners = chronoRefiners();
/** "il y a 3 mois", "le mois dernier", "hier" need chrono's relative parsers: only when such words are there. */
const relativeParser = chronoFr.casual.clone();
relativeParser.parsers = chronoParsers(new Set([...numeric, ...relative]));
relativeParser.refiners = chronoRefiners();
const relativeHint = /\bil\s+y\s+a\b|\bhier\b|\bderni|\bprochain|\bavant-hier\b/;
const customParsers: Parser[] = [];
const monthAlone = new RegExp(
  `(?<![\\d\\w])(?:(debut|fin|mi|courant|en|depuis)[\\s-]+)?(?:(?:le\\s+)?mois\\s+d['e]\\s*)?(${MONTH_NAME}|janv\\.?|fevr?\\.?|avr\\.?|juil\\.?|sept\\.?|oct\\.?|nov\\.?|dec\\.?)(?:\\s+((?:19|20)\\d{2}))?(?![\\w])`,
  'i',
);
customParsers.push({
  pattern: () => monthAlone,
  extract: (context, match) => {
    const name = (match[2] ?? '').toLowerCase().replace('.', '');
    const month =
      monthIndex.get(name) ?? [...monthIndex].find(([full]) => full.startsWith(name))?.[1] ?? null;
    if (month === null) return null;
    const edge = (match[1] ?? '').toLowerCase();
    const day = edge === 'fin' ? 28 : edge === 'mi' ? 15 : 1;
    const components = context.createParsingComponents({ month });
    components.imply('day', day);
    if (match[3]) components.assign('year', Number.parseInt(match[3], 10));
    else components.imply('year', context.reference.instant.getFullYear());
    return components;
  },
});
customParsers.push({
  // "depuis la rentrée", but not the "allocation de rentrée scolaire".
  pattern: () => /\bla\s+rentree(?:\s+scolaire)?(?:\s+((?:19|20)\d{2}))?\b/i,
  extract: (context, match) => {
    const components = context.createParsingComponents({ month: 9 });
    components.imply('day', 1);
    if (match[1]) components.assign('year', Number.parseInt(match[1], 10));
    else components.imply('year', context.reference.instant.getFullYear());
    return components;
  },
});

const nowWords =
  /^(?:demain|apres-demain|aujourd'hui|ce\s+(?:matin|soir|midi|jour)|maintenant|cette\s+semaine|ce\s+week-end|tout\s+a\s+l'heure|actuellement)$/;

// A year alone after "en" or "depuis": "droits ouverts depuis 2019".
customParsers.push({
  pattern: () => /\b(?:en|depuis|de|annee)\s+((?:19|20)\d{2})(?![\d/.-]|\s*(?:€|euros?))/i,
  extract: (context, match) => {
    const components = context.createParsingComponents({ year: Number.parseInt(match[1] ?? '', 10) });
    components.imply('month', 1);
    components.imply('day', 1);
    return components;
  },
});

parser.parsers.push(...customParsers);
relativeParser.parsers.push(...customParsers);

interface FoundDate {
  start: number;
  end: number;
  date: Ymd;
  precision: 'day' | 'month' | 'year';
  yearGuessed: boolean;
  until: Ymd | null;
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}

function iso({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function ymdOf(date: Date): Ymd {
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

function after(a: Ymd, b: Ymd): boolean {
  return a.y !== b.y ? a.y > b.y : a.m !== b.m ? a.m > b.m : a.d > b.d;
}

/** Months from `from` to `to`, with days as a fraction (the convention counts in months). */
export function monthsBetween(from: Ymd, to: Ymd): number {
  return (to.y - from.y) * 12 + (to.m - from.m) + (to.d - from.d) / 30;
}

export function parseIsoDate(value: string): Ymd {
  const [y, m, d] = value.split('-').map((n) => Number.parseInt(n, 10));
  return { y: y ?? 0, m: m ?? 1, d: d ?? 1 };
}

function readComponents(c: ParsedComponents, today: Ymd | null): Ymd {
  const date = { y: c.get('year') ?? 0, m: c.get('month') ?? 1, d: c.get('day') ?? 1 };
  // A date written without its year is the latest such date not after the mail.
  if (today && !c.isCertain('year')) {
    date.y = today.y;
    if (after(date, today)) date.y -= 1;
  }
  return date;
}

/**
 * The dates of the sentences that may hold one, parsed in one call: chrono's
 * cost is mostly per call, so the sentences are joined (a blank line apart,
 * which no date spans) and each result is taken back to its sentence.
 */
function datesIn(folded: string, spans: readonly Span[], mailDate: Date | null): FoundDate[] {
  const pieces: Array<{ at: number; span: Span }> = [];
  let text = '';
  for (const span of spans) {
    pieces.push({ at: text.length, span });
    text += `${folded.slice(span.start, span.end)}\n\n`;
  }
  const ref = mailDate ?? new Date(Date.UTC(2000, 0, 1));
  const today = mailDate ? ymdOf(mailDate) : null;
  const found: FoundDate[] = [];
  if (pieces.length === 0) return found;
  const chosen = relativeHint.test(text) ? relativeParser : parser;
  for (const r of chosen.parse(text, { instant: ref, timezone: 0 })) {
    let piece: (typeof pieces)[number] | undefined;
    for (const p of pieces) if (p.at <= r.index) piece = p;
    if (!piece || r.index + r.text.length > piece.at + piece.span.end - piece.span.start) continue;
    const offset = piece.span.start - piece.at;
    // Times of day and weekdays are not what BP-send 2 asks for.
    if (!r.start.isCertain('month') && !r.start.isCertain('day') && !r.start.isCertain('year')) continue;
    if (/^\d{1,2}(?:h\d{0,2})?$/.test(r.text.trim())) continue;
    // "demain", "aujourd'hui": the moment of writing, not a date of the file.
    if (nowWords.test(r.text.trim())) continue;
    // "son fils de 17 ans" is an age, not a date.
    if (
      /^(?:de\s+|dans\s+|d'ici\s+)?(?:\d+|[a-z]+)\s+(?:ans?|annees?|mois|jours?|semaines?)$/.test(
        r.text.trim(),
      )
    )
      continue;
    const precision = r.start.isCertain('day') ? 'day' : r.start.isCertain('month') ? 'month' : 'year';
    found.push({
      start: offset + r.index,
      end: offset + r.index + r.text.length,
      date: readComponents(r.start, today),
      precision,
      yearGuessed: !r.start.isCertain('year'),
      until: r.end ? readComponents(r.end, today) : null,
    });
  }
  return found;
}

/** "n'a pas été versée du 01/06 au 30/09": the cut names the period; "contrat du … au …" does not. */
function cutJustBefore(kept: string, at: number): boolean {
  const before = kept.slice(Math.max(0, at - 45), at);
  return NON_PAYMENT.test(before) || missingPayment.test(before);
}

function blank(text: string, pattern: RegExp): string {
  return text.replace(pattern, (m) => ' '.repeat(m.length));
}

function prestationsOf(original: string, folded: string): PrestationCode[] {
  const found = new Set(prestationsInText(original, folded));
  for (const [pattern, code] of lowerCodes) if (pattern.test(folded)) found.add(code);
  return [...found];
}

const housing: readonly PrestationCode[] = ['APL', 'ALF', 'ALS'];

/** "l'allocation de logement" reads as APL; the rubric may say which one (ALF, ALS). */
function preferRubric(
  code: PrestationCode | undefined,
  rubric: readonly PrestationCode[],
): PrestationCode | undefined {
  if (code === undefined || !housing.includes(code)) return code;
  return rubric.find((c) => housing.includes(c)) ?? code;
}

/** Words a fact may quote in capitals: benefit codes, months, titles and the usual first words. */
const plainWords = new Set(
  (
    'rsa aah apl ppa asf af alf als cf paje aeeh ars ajpp cmg prepare caf mdph cdas ccas ' +
    `${MONTHS.join(' ')} ` +
    'madame monsieur mme m mlle le la les l leur leurs son sa ses il elle ils elles on un une des du de d au aux a en ' +
    'depuis dernier derniere droits droit ouverts ouvert ouverte ouvertes ouverture plus pas rien aucun aucune non n ne ' +
    'est sont ete a ont verse versee verses versees versement versements paiement paiements virement percu percue ' +
    'recu recue paye payee baisse diminution interruption suspension suspendu suspendue passe passee jusqu partir ' +
    'compter fin debut mi mois ans jours semaines trois quatre cinq six deux un suite les pour'
  ).split(' '),
);

/**
 * The few words read, for a person to check the role given to a date. A fact
 * must not carry the family's identity: capitalised words that are not usual
 * words (surnames, first names, places) and long numbers become "…".
 */
function short(original: string, from: number, to: number): string {
  const words = original
    .slice(from, to)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[,:;–—-]\s*/, '')
    .replace(/^(?:commentaires?|motifs?\b[^:]{0,30}|prestations?\b[^:]{0,30})\s*:\s*/i, '')
    .split(' ');
  // The date and at most five words before it.
  const kept = words.slice(-7).map((word) => {
    const letters = word.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
    if (!/^\p{Lu}/u.test(letters)) return word;
    const folded = foldText(letters).replace(/^[dlnms]'/, '');
    return plainWords.has(folded) ? word : word.replace(letters, '…');
  });
  const text = kept.join(' ').replace(/(?:…[ ,.]*){2,}/g, '… ');
  return (text.length > 70 ? `${text.slice(0, 67).trimEnd()}…` : text).replace(/\d{6,}/g, '…');
}

function amountValue(token: string): number {
  return Number.parseFloat(token.replace(/[ \u00a0\u202f]/g, '').replace(',', '.'));
}

/** The typed facts of a request, in reading order. */
export function readFacts(input: FactsInput): Fact[] {
  const { folded, original, mailDate } = input;
  const today = mailDate ? ymdOf(mailDate) : null;
  const facts: Fact[] = [];
  const defaultPrestation = input.rubricPrestations.length === 1 ? input.rubricPrestations[0] : undefined;
  let topic: PrestationCode | undefined;

  // A request is a few paragraphs; the date parser is costly, so a long mail is read for its start only.
  const readable = Math.min(folded.length, MAX_CHARS);
  const sentences = split(folded, 0, readable, sentenceEnd).filter((sentence) => {
    const text = folded.slice(sentence.start, sentence.end);
    // The motif and prestation headings are read as rubrics; a benefit listed there is not a topic.
    // Greetings and signatures hold neither a date nor a payment: most sentences stop here.
    return (
      /[a-z0-9]/.test(text) &&
      !rubricLine.test(text) &&
      (dateHint.test(text) || cutHint.test(text) || benefitHint.test(text))
    );
  });
  const allDates = datesIn(
    folded,
    sentences.filter((sentence) => dateHint.test(folded.slice(sentence.start, sentence.end))),
    mailDate,
  );
  for (const sentence of sentences) {
    const dates = allDates.filter((d) => d.start >= sentence.start && d.start < sentence.end);
    let sentenceTopic: PrestationCode | undefined;
    for (const clause of split(folded, sentence.start, sentence.end, clauseTurn)) {
      const raw = folded.slice(clause.start, clause.end);
      const named = benefitHint.test(raw) ? prestationsOf(original.slice(clause.start, clause.end), raw) : [];
      const prestation =
        preferRubric(named[0], input.rubricPrestations) ?? sentenceTopic ?? topic ?? defaultPrestation;
      if (named[0]) sentenceTopic = preferRubric(named[0], input.rubricPrestations);
      const inClause = dates.filter((d) => d.start >= clause.start && d.start < clause.end);
      const mayCut = cutHint.test(raw);
      // Nothing to read: no date, no cut, no duration.
      if (inClause.length === 0 && !mayCut && !(input.aboutCut && /\bdepuis\b|\bfait\b/.test(raw))) continue;
      const kept = mayCut ? blank(blank(blank(raw, deniedCut), documentNotReceived), deniedOtherVerb) : raw;
      const isCut =
        mayCut &&
        (NON_PAYMENT.test(kept) ||
          missingPayment.test(kept) ||
          (named.length > 0 && lacksBenefit.test(kept)));
      const isDecrease = !isCut && mayCut && decrease.test(kept);
      const with_ = (kind: FactKind, extra: Partial<Fact>, from: number, to: number): void => {
        const fact: Fact = { kind, ...extra, text: short(original, from, to) };
        if (prestation) fact.prestation = prestation;
        facts.push(fact);
      };
      let dated = false;
      const clauseFacts = facts.length;
      let previousEnd = clause.start;
      for (const d of inClause) {
        const before = folded.slice(previousEnd, d.start);
        const near = folded.slice(Math.max(clause.start, d.start - 40), d.start);
        const from = Math.max(clause.start, d.start - 30);
        const textFrom = Math.max(clause.start, folded.lastIndexOf(' ', from) + 1);
        previousEnd = d.end;
        const date = iso(d.date);
        const precision = d.precision;
        if (d.until) {
          with_('period-start', { date, precision }, textFrom, d.end);
          with_('period-end', { date: iso(d.until), precision }, textFrom, d.end);
          if (isCut && today && cutJustBefore(kept, d.start - clause.start)) {
            const months = monthsBetween(d.date, after(d.until, today) ? today : d.until);
            with_('non-payment', { date, precision, months: Math.round(months * 10) / 10 }, textFrom, d.end);
          }
          dated = true;
          continue;
        }
        if (rightsCue.test(before) || rightsCue.test(near)) {
          with_('rights-opening', { date, precision }, textFrom, d.end);
          continue;
        }
        if (lastPaymentCue.test(before) || lastPaymentCue.test(near)) {
          with_('last-payment', { date, precision }, textFrom, d.end);
          dated = true;
          continue;
        }
        if (periodEndCue.test(near)) {
          // An end ("jusqu'au 20 novembre") may be ahead of the mail: the nearest such date.
          const end = { ...d.date };
          if (d.yearGuessed && today && monthsBetween(end, today) > 6) end.y += 1;
          with_('period-end', { date: iso(end), precision }, textFrom, d.end);
          continue;
        }
        const since = sinceCue.test(near) || periodStartCue.test(near);
        if (
          isCut ||
          (input.aboutCut && since && !isDecrease && (named.length > 0 || paymentWord.test(kept)))
        ) {
          with_('non-payment', { date, precision }, textFrom, d.end);
          dated = true;
          continue;
        }
        if (isDecrease) {
          with_('decrease', { date, precision }, textFrom, d.end);
          dated = true;
          continue;
        }
        if (periodStartCue.test(near) && !sinceCue.test(near)) {
          with_('period-start', { date, precision }, textFrom, d.end);
          continue;
        }
        with_('other', { date, precision }, textFrom, d.end);
      }

      if (isCut || isDecrease || input.aboutCut) {
        // Durations: "depuis trois mois", "plus de 3 mois", "juillet, août et septembre".
        const taken = inClause.map((d) => [d.start - clause.start, d.end - clause.start] as const);
        let months = 0;
        let words: Span | null = null;
        for (const m of kept.matchAll(durationPattern)) {
          if (taken.some(([s, e]) => m.index < e && m.index + m[0].length > s)) continue;
          const rest = kept.slice(m.index + m[0].length);
          if (/^\s*(?:de\s+)?(?:retard|delai)/.test(rest)) continue;
          // "sa fille de 16 ans", "un bébé de 3 mois" are ages: a duration has "depuis", "plus de"… or "sans versement".
          const introduced = m[1] !== undefined || m[2] !== undefined;
          if (!introduced && !/^\s*(?:sans|d'impayes?|de\s+non|consecutifs?|d'affilee|de\s+suite)/.test(rest))
            continue;
          const n = numberValue(m[3] ?? '');
          const unit = m[4] ?? '';
          const value = unit.startsWith('semaine')
            ? n / 4.35
            : unit === 'jours'
              ? n / 30.4
              : unit.startsWith('an')
                ? n * 12
                : n;
          if (value > months) {
            months = value;
            words = { start: clause.start + m.index, end: clause.start + m.index + m[0].length };
          }
        }
        const year = oneYear.exec(kept);
        if (year && months < 12) {
          months = 12;
          words = { start: clause.start + year.index, end: clause.start + year.index + year[0].length };
        }
        if (months > 0 && words && (isCut || isDecrease || /\bdepuis\b|\bfait\b/.test(kept))) {
          with_(
            isDecrease ? 'decrease' : 'non-payment',
            { months: Math.round(months * 10) / 10 },
            words.start,
            words.end,
          );
          dated = true;
        }
      }

      if (isDecrease) {
        const amounts = Array.from(kept.matchAll(amount), (m) => amountValue(m[1] ?? ''));
        const fromTo = /\bde\s+[\d,. ]+\s*(?:€|euros?|eur)?\s*(?:a|en)\s+[\d,.]+/.test(kept);
        // "baisse de 200 €" is the difference, not what is paid now: only "à 450 €", "plus que 450 €" is.
        const toOnly = /\b(?:a|plus\s+que|desormais|maintenant|seulement)\s+[\d,.]+\s*(?:€|euros?|eur)/.test(
          kept,
        );
        const values: Partial<Fact> | null =
          amounts.length >= 2 && fromTo
            ? { before: amounts[0], after: amounts[1] }
            : amounts.length === 1 && toOnly
              ? { after: amounts[0] }
              : null;
        if (values) {
          // One decrease, its date and its amounts together.
          const withDate = facts.slice(clauseFacts).find((f) => f.kind === 'decrease');
          if (withDate) Object.assign(withDate, values);
          else with_('decrease', values, clause.start, clause.end);
        }
        dated ||= values !== null;
      }
      if ((isCut || isDecrease) && !dated) {
        const cue = (isCut ? (NON_PAYMENT.exec(kept) ?? missingPayment.exec(kept)) : decrease.exec(kept)) ?? {
          index: 0,
          0: raw,
        };
        with_(
          isCut ? 'non-payment' : 'decrease',
          {},
          clause.start + cue.index,
          clause.start + cue.index + cue[0].length,
        );
      }
    }
    if (sentenceTopic) topic = sentenceTopic;
  }
  return withoutEchoes(facts);
}

const measured = (f: Fact) =>
  f.date !== undefined || f.months !== undefined || f.before !== undefined || f.after !== undefined;

/** A bare cut ("ce qui bloque") says nothing more once the same cut of the same benefit is dated. */
function withoutEchoes(facts: Fact[]): Fact[] {
  const seen = new Set<string>();
  return facts.filter((f) => {
    if (
      !measured(f) &&
      facts.some(
        (o) =>
          o !== f &&
          measured(o) &&
          o.prestation === f.prestation &&
          (o.kind === f.kind || o.kind === 'last-payment'),
      )
    )
      return false;
    const key = `${f.kind}|${f.date}|${f.months}|${f.prestation}|${f.before}|${f.after}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Months a non-payment has lasted on the mail's date, from its start date or its stated duration. */
export function unpaidMonths(fact: Fact, mailDate: Date | null): number {
  if (fact.months !== undefined) return fact.months;
  if (!fact.date || !mailDate) return 0;
  // From the last payment received too: the convention counts the months without a new one.
  return Math.max(0, monthsBetween(parseIsoDate(fact.date), ymdOf(mailDate)));
}
