// The keyword in plain, quoted-printable or UTF-8-read-as-latin1 form. Only an
// ordering hint for triage: the analyzer decides what is urgent.
const urgentHint = /urgence[\s\-_=]{0,6}d(?:e|é|=c3=a9|=c3=89|=e9|=c9|\xc3\xa9|\xc3\x89)finie/i;

// An RFC 2047 encoded word, as mail clients write a subject with accents.
const encodedWord = /=\?[^?\s]{1,40}\?([bq])\?([^?\s]{1,1000})\?=/gi;

/** How much of a mail the hint reads: the keyword sits in the headers or the first text part. */
export const URGENT_HINT_BYTES = 256 * 1024;

function decodeWords(head: string): string {
  let decoded = '';
  for (const m of head.matchAll(encodedWord)) {
    const [, encoding = '', text = ''] = m;
    decoded +=
      encoding.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('latin1')
        : text
            .replace(/_/g, ' ')
            .replace(/=([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    decoded += ' ';
  }
  return decoded;
}

/** Whether a mail's raw bytes carry the urgency keyword: it then goes first in the triage queue. */
export function looksUrgent(source: Buffer): boolean {
  // No need to read attachments.
  const head = source.subarray(0, URGENT_HINT_BYTES).toString('latin1');
  if (urgentHint.test(head)) return true;
  // An encoded subject hides the keyword from a plain scan; encoded words sit in the headers.
  const headers = head.slice(0, Math.max(0, head.search(/\r?\n\r?\n/)) || head.length);
  return headers.includes('=?') && urgentHint.test(decodeWords(headers));
}
