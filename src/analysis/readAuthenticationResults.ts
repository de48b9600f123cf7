/**
 * DMARC as our own MTA recorded it. Only the topmost Authentication-Results
 * header counts, and only when it carries our authserv-id: anything lower was
 * written before the mail reached us and may be forged (RFC 8601 §5).
 */
export function trustedDmarc(
  headerLines: ReadonlyArray<{ key: string; line: string }>,
  authservId: string,
): string {
  const topmost = headerLines.find((h) => h.key === 'authentication-results');
  if (!topmost) return 'none';
  const value = topmost.line
    .slice(topmost.line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
  const id = value.split(/[;\s]/, 1)[0]?.toLowerCase() ?? '';
  if (id !== authservId.toLowerCase()) return 'none';
  return /(?:^|[;\s])dmarc\s*=\s*([a-z]+)/i.exec(value)?.[1]?.toLowerCase() ?? 'none';
}
