/**
 * CSV as French Excel opens it with a double click: `;` between fields (the
 * comma is the decimal separator there), a decimal comma, UTF-8 announced by
 * a byte order mark (without it Excel reads the accents as Windows-1252), and
 * CRLF line ends. Numbers stay plain (no thousands separator), so Excel reads
 * them as numbers.
 */

/** A cell: text, a number, or nothing (an empty cell). */
export type CsvValue = string | number | null | undefined;

const BOM = '\ufeff';

function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '';
    return Number.isInteger(v) ? String(v) : String(v).replace('.', ',');
  }
  // A text that starts like a formula would run as one in a spreadsheet: defused with a quote.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[";\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The lines of one table, the header first, each ended by CRLF (no byte order mark). */
export function csvLines(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => `${r.map(csvCell).join(';')}\r\n`).join('');
}

/** A whole CSV file of one table: byte order mark, header, rows. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  return `${BOM}${csvLines(header, rows)}`;
}

/** Several tables in one file, each under its title line and separated by an empty line. */
export function toCsvSections(
  sections: Array<{ title: string; header: string[]; rows: CsvValue[][] }>,
): string {
  return `${BOM}${sections.map((s) => `${csvCell(s.title)}\r\n${csvLines(s.header, s.rows)}`).join('\r\n')}`;
}
