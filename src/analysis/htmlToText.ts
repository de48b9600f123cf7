import { compile } from 'html-to-text';

type Formatter = Parameters<typeof compile>[0] extends infer O
  ? O extends { formatters?: Record<string, infer F> }
    ? F
    : never
  : never;

/**
 * A table cell is written inline, followed by " | " when another cell follows
 * in the same row, so that `<tr><td>Label</td><td>value</td></tr>` becomes
 * "Label | value": the label/value structure of the CDAP form survives.
 */
const tableCell: Formatter = (elem, walk, builder) => {
  walk(elem.children, builder);
  // html-to-text's DomNode type omits the sibling links htmlparser2 provides.
  type Sibling = { type: string; next: Sibling | null } | null;
  let next = (elem as unknown as { next: Sibling }).next;
  while (next && next.type !== 'tag') next = next.next;
  if (next) builder.addInline(' | ', { noWordTransform: true });
};

const tableRow: Formatter = (elem, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 1 });
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const convertHtml = compile({
  wordwrap: false,
  formatters: { tableCell, tableRow },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'head', format: 'skip' },
    { selector: 'table', format: 'block' },
    { selector: 'tbody', format: 'block' },
    { selector: 'thead', format: 'block' },
    { selector: 'tr', format: 'tableRow' },
    { selector: 'td', format: 'tableCell' },
    { selector: 'th', format: 'tableCell' },
    { selector: 'p', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'th', format: 'tableCell' },
    { selector: 'blockquote', options: { trimEmptyLines: true } },
    { selector: 'ul', options: { itemPrefix: ' - ' } },
  ],
  limits: { maxDepth: 200, maxChildNodes: 20000 },
});

/** HTML mail body to plain text that keeps one label/value pair per line. */
export function htmlToText(html: string): string {
  return convertHtml(html);
}
