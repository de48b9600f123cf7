/**
 * French typography for what a CDAS reads: one apostrophe (’), a non-breaking
 * space before « : » and a narrow one before « ; ? ! », non-breaking spaces
 * inside guillemets. Templates and rule messages are written by different
 * hands; the reply is made consistent here, once, whatever they typed.
 */
const NBSP = '\u00a0';
const NNBSP = '\u202f';

export function frenchTypography(text: string): string {
  return (
    text
      .replace(/(\p{L})'(?=\p{L})/gu, '$1’')
      // Only where a space stood before the sign: "http://…?a=1" and "9:00" stay as written.
      .replace(/[ \u00a0\u202f]+:/g, `${NBSP}:`)
      .replace(/[ \u00a0\u202f]+([;?!])/g, `${NNBSP}$1`)
      .replace(/«[ \u00a0\u202f]*/g, `«${NBSP}`)
      .replace(/[ \u00a0\u202f]*»/g, `${NBSP}»`)
  );
}

/** The same on HTML, text between tags only: attributes (`style="a: b"`) are code, not prose. */
export function frenchTypographyHtml(html: string): string {
  return html
    .split(/(<[^>]*>)/)
    .map((part) => (part.startsWith('<') ? part : frenchTypography(part)))
    .join('');
}
