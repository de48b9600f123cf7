/**
 * CSV as French Excel opens it with a double click: `;` between cells (the
 * comma is the decimal separator), a UTF-8 byte-order mark so that accents
 * are read right, CRLF line ends. Cells that a spreadsheet would run as a
 * formula are defused.
 */
function cell(v: unknown): string {
  const s = String(v ?? '');
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[";\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function frenchCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `\ufeff${[header, ...rows].map((r) => r.map(cell).join(';')).join('\r\n')}\r\n`;
}
