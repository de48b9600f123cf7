/**
 * IMAP UID sets, written compactly ("4:9,12,20:31") and cut into commands of
 * bounded length: Dovecot refuses a command line over 64 KB, which a plain
 * comma list of a large backlog's UIDs exceeds.
 */
export function uidSets(uids: readonly number[], maxLength = 8000): string[] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const sets: string[] = [];
  let current = '';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const part = j > i ? `${sorted[i]}:${sorted[j]}` : String(sorted[i]);
    if (current && current.length + part.length + 1 > maxLength) {
      sets.push(current);
      current = '';
    }
    current = current ? `${current},${part}` : part;
    i = j + 1;
  }
  if (current) sets.push(current);
  return sets;
}
