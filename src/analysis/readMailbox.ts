import addressparser from 'nodemailer/lib/addressparser';

/**
 * Reading ONE mailbox out of an address header or a form field, strictly. An
 * answer goes where this says: a list of addresses that slips through as one
 * "address" (`<a@evil.example,b@ille-et-vilaine.fr>`) would send it to every
 * one of them, so anything but a single clean mailbox is refused.
 */

/** Why no single mailbox can be read. */
export type MailboxProblem = 'several-headers' | 'several' | 'group' | 'unreadable';

export type MailboxReading =
  | { address: string; problem: null }
  /** `address` is null and `problem` too when there is nothing at all (no header, blank value). */
  | { address: null; problem: MailboxProblem | null };

// dot-atom @ dot-atom with DNS labels: what a reply can be sent to without quoting.
const atom = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const cleanMailbox = new RegExp(`^${atom}(?:\\.${atom})*@${label}(?:\\.${label})+$`, 'i');

/** One syntactically clean address: one `@`, no quoting, comments, lists or spaces. */
export function isCleanAddress(address: string): boolean {
  return address.length <= 254 && cleanMailbox.test(address);
}

const nothing: MailboxReading = { address: null, problem: null };
const refused = (problem: MailboxProblem): MailboxReading => ({ address: null, problem });

// A display name with an unclosed `(` or `"` swallows the address in a strict
// parser. When the whole value holds a single `@`, the address around it is unambiguous.
const bracketed = /<\s*([^<>\s@]+@[^<>\s@]+?)\s*>/g;
const bare = /[^\s<>()"',;:@]+@[^\s<>()"',;:@]+/g;

function recover(value: string): MailboxReading {
  const ats = value.split('@').length - 1;
  if (ats === 0) return refused('unreadable');
  if (ats > 1) return refused('several');
  const inBrackets = [...value.matchAll(bracketed)];
  const candidates = inBrackets.length > 0 ? inBrackets.map((m) => m[1] ?? '') : (value.match(bare) ?? []);
  const [only] = candidates;
  if (candidates.length !== 1 || only === undefined || !isCleanAddress(only)) return refused('unreadable');
  return { address: only.toLowerCase(), problem: null };
}

/**
 * How many `@` stand outside quoted strings and comments; null when a quote or
 * a comment is left open. The parser quietly drops what it does not expect
 * (`<a@x ,b@y>` reads as `a@x`), so its answer is checked against the raw text.
 */
function bareAtCount(value: string): number | null {
  let ats = 0;
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (quoted || depth > 0)) i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '(') depth++;
    else if (depth > 0) depth -= c === ')' ? 1 : 0;
    else if (c === '"') quoted = true;
    else if (c === '@') ats++;
  }
  return quoted || depth > 0 ? null : ats;
}

/**
 * Some clients write the address again, unquoted, as the display name
 * (`camille@x.fr <camille@x.fr>`): one mailbox, whatever the count of `@`.
 */
function nameEchoesAddress(text: string, address: string): boolean {
  const want = address.toLowerCase();
  const brackets = text.match(/<[^<>]*>/g) ?? [];
  if (brackets.length !== 1 || brackets[0]?.slice(1, -1).trim().toLowerCase() !== want) return false;
  const outside = text.replace(/<[^<>]*>/, ' ').replace(/["()]/g, ' ');
  return outside
    .split(/\s+/)
    .filter((token) => token.includes('@'))
    .every((token) => token.toLowerCase() === want);
}

/** The one mailbox of an address field value (unfolded, not MIME-decoded). */
export function readMailbox(value: string): MailboxReading {
  const text = value.replace(/\r?\n(?=[ \t])/g, '').trim();
  if (!text) return nothing;
  const entries = addressparser(text);
  if (entries.some((e) => e.group !== undefined)) return refused('group');
  const mailboxes = entries.filter((e) => e.address || e.name);
  if (mailboxes.length > 1) return refused('several');
  const address = mailboxes[0]?.address?.trim() ?? '';
  const ats = bareAtCount(text);
  const clean = isCleanAddress(address);
  const single = ats === 1 || (ats !== null && ats > 1 && clean && nameEchoesAddress(text, address));
  if (single && clean) return { address: address.toLowerCase(), problem: null };
  if (ats !== null && ats > 1) return refused('several');
  return recover(text);
}

/**
 * The one mailbox of a header, read from the raw header lines: a second header
 * of the same name is refused too, whatever a parser would keep of it.
 */
export function readHeaderMailbox(
  headerLines: ReadonlyArray<{ key: string; line: string }>,
  name: string,
): MailboxReading {
  const lines = headerLines.filter((h) => h.key.toLowerCase() === name);
  if (lines.length === 0) return nothing;
  if (lines.length > 1) return refused('several-headers');
  const line = lines[0]?.line ?? '';
  return readMailbox(line.slice(line.indexOf(':') + 1));
}
