import type { CdasEntry } from '../config/schema.js';
import type { ParsedMail } from './parseMail.js';
import { isCleanAddress, type MailboxProblem, type MailboxReading, readMailbox } from './readMailbox.js';
import type { CdasRef, FormFields, Sender } from './types.js';

/** Only one clean address can be allowed: a list or a quoted oddity is never "on the domain". */
export function domainAllowed(address: string | null, allowedDomains: readonly string[]): boolean {
  if (!address || !isCleanAddress(address)) return false;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return allowedDomains.some((allowed) => domain === allowed || domain.endsWith(`.${allowed}`));
}

export interface CdasDirectory {
  byAddress: Map<string, CdasEntry>;
  aliases: Array<{ entry: CdasEntry; pattern: RegExp }>;
}

export function buildCdasDirectory(entries: readonly CdasEntry[]): CdasDirectory {
  const byAddress = new Map(entries.map((e) => [e.address.toLowerCase(), e]));
  const fold = (s: string) =>
    s
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  // Longest alias first, so "pays de saint malo" wins over "saint malo".
  const aliases = entries
    .flatMap((entry) => entry.aliases.map((alias) => ({ entry, alias: fold(alias) })))
    .sort((a, b) => b.alias.length - a.alias.length)
    .map(({ entry, alias }) => ({
      entry,
      pattern: new RegExp(`(?:^| )${alias.replace(/ /g, ' +')}(?: |$)`),
    }));
  return { byAddress, aliases };
}

function cdasOf(address: string | null, organisme: string | null, directory: CdasDirectory): CdasRef | null {
  const byAddress = address ? directory.byAddress.get(address) : undefined;
  if (byAddress) return { id: byAddress.id, name: byAddress.name, matchedBy: 'address' };
  // Place names alone are shared with other bodies ("CCAS de Vitré"): the
  // organisme must say it is a CDAS before its place names it.
  if (!organisme || !/\bcdas\b|centre departemental|action sociale/.test(organisme)) return null;
  const text = ` ${organisme.replace(/[^a-z0-9]+/g, ' ').trim()} `;
  const hit = directory.aliases.find((a) => a.pattern.test(text));
  return hit ? { id: hit.entry.id, name: hit.entry.name, matchedBy: 'organisme' } : null;
}

export interface SenderInput {
  mail: ParsedMail;
  fields: FormFields;
  /** Folded organisme value. */
  foldedOrganisme: string | null;
  isFormFromRelay: boolean;
  allowedDomains: readonly string[];
  directory: CdasDirectory;
}

export interface SenderReading {
  sender: Sender;
  replyTo: string | null;
}

type Place = 'from' | 'reply-to' | 'form';

const where: Record<Place, string> = {
  from: 'dans l’en-tête From',
  'reply-to': 'dans l’en-tête Reply-To',
  form: 'dans le champ «\u00a0Votre adresse électronique\u00a0» du formulaire',
};

/** Why an answer cannot go to this field, in French (it is the quarantine's reason). */
function problemText(problem: MailboxProblem, place: Place): string {
  switch (problem) {
    case 'several-headers':
      return place === 'from' ? 'plusieurs en-têtes From' : 'plusieurs en-têtes Reply-To';
    case 'several':
      return `plusieurs adresses ${where[place]}`;
    case 'group':
      return `groupe d’adresses ${where[place]}`;
    case 'unreadable':
      if (place === 'from') return 'adresse de l’expéditeur illisible (en-tête From)';
      if (place === 'reply-to') return 'adresse de réponse illisible (en-tête Reply-To)';
      return 'adresse électronique du formulaire illisible';
  }
}

function problemOf(reading: MailboxReading, place: Place): string | null {
  return reading.problem ? problemText(reading.problem, place) : null;
}

/**
 * Who asks, and where an answer goes. For the CDAP relay the requester is the
 * form's "Votre adresse électronique": the relay's own address says nothing
 * about who wrote. Each of them must be exactly one mailbox, else the mail is
 * quarantined (`sender.problem`): an answer must never fan out to a list.
 */
export function identifySender(input: SenderInput): SenderReading {
  const { mail, fields } = input;
  if (input.isFormFromRelay) {
    const form = fields.adresseElectronique ? readMailbox(fields.adresseElectronique) : readMailbox('');
    return {
      sender: {
        address: form.address,
        allowed: domainAllowed(form.address, input.allowedDomains),
        cdas: cdasOf(form.address, input.foldedOrganisme, input.directory),
        via: 'form',
        problem: problemOf(form, 'form'),
      },
      replyTo: form.address,
    };
  }
  const from = mail.fromMailbox;
  const replyTo = mail.replyToMailbox;
  const problem = problemOf(from, 'from') ?? problemOf(replyTo, 'reply-to');
  return {
    sender: {
      address: from.address,
      allowed: domainAllowed(from.address, input.allowedDomains),
      cdas: cdasOf(from.address, input.foldedOrganisme, input.directory),
      via: 'from',
      problem,
    },
    replyTo: problem ? null : (replyTo.address ?? from.address),
  };
}
