import { cleanValue, findLabels, isEmptyValue, labelPattern, valueEnd } from './fieldLabels.js';
import type { RubricName, Rubrics } from './types.js';

/**
 * The four headings of BP-send 3, with the variants in use: "de la demande" /
 * "de ma demande", "de la personne" / "de l'allocataire", plural marks written
 * "(s)" or "s", any case and accents (the text is folded).
 */
const rubricLabels = labelPattern({
  motif: 'motif[()s]*(?:\\s+de\\s+(?:la|ma|votre|sa|cette|notre)\\s+demande)?',
  prestations: 'prestation[()s]*(?:\\s+concern[e()s]*)?',
  commentaire: 'commentaire[()s]*',
  specificites:
    "specificite[()s]*(?:\\s+(?:de\\s+la\\s+personne|de\\s+l'allocataire|de\\s+l'usager|de\\s+la\\s+famille|du\\s+public|eventuelles?))?(?:\\s+s'il\\s+y\\s+a\\s+lieu)?",
});

export interface RubricReading {
  rubrics: Rubrics;
  /** How many times each heading appears: a repeated block means several situations. */
  counts: Record<RubricName, number>;
}

/** Reads the four rubrics; a value runs to the next heading, or to the signature. */
export function readRubrics(text: string, folded: string, end: number): RubricReading {
  const labels = findLabels(folded.slice(0, end), rubricLabels);
  const counts: Record<RubricName, number> = { motif: 0, prestations: 0, commentaire: 0, specificites: 0 };
  const rubrics: Rubrics = {
    motif: { present: false, value: null },
    prestations: { present: false, value: null },
    commentaire: { present: false, value: null },
    specificites: { present: false, value: null },
  };
  for (const [i, label] of labels.entries()) {
    const name = label.name as RubricName;
    counts[name]++;
    if (counts[name] > 1) continue;
    const next = labels[i + 1]?.start ?? end;
    const stop = valueEnd(folded, label.valueStart, next);
    const value = cleanValue(text.slice(label.valueStart, stop));
    rubrics[name] = { present: true, value: isEmptyValue(value) ? null : value };
  }
  return { rubrics, counts };
}
