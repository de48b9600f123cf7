import type { CdasEntry } from '../config/schema.js';
import type { ParsedMail } from './parseMail.js';
import type { CdasRef, FormFields, Sender } from './types.js';

const addressInText = /[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}/i;

export function domainAllowed(address: string | null, allowedDomains: readonly string[]): boolean {
  if (!address) return false;
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

/**
 * Who asks, and where an answer goes. For the CDAP relay the requester is the
 * form's "Votre adresse électronique": the relay's own address says nothing
 * about who wrote.
 */
export function identifySender(input: SenderInput): SenderReading {
  const { mail, fields } = input;
  if (input.isFormFromRelay) {
    const formAddress = fields.adresseElectronique?.match(addressInText)?.[0].toLowerCase() ?? null;
    return {
      sender: {
        address: formAddress,
        allowed: domainAllowed(formAddress, input.allowedDomains),
        cdas: cdasOf(formAddress, input.foldedOrganisme, input.directory),
        via: 'form',
      },
      replyTo: formAddress,
    };
  }
  const from = mail.from?.address ?? null;
  return {
    sender: {
      address: from,
      allowed: domainAllowed(from, input.allowedDomains),
      cdas: cdasOf(from, input.foldedOrganisme, input.directory),
      via: 'from',
    },
    replyTo: mail.replyTo?.address ?? from,
  };
}
