import { findLabels, isEmptyValue, labelPattern, trimSeparators } from './fieldLabels.js';
import type { FormFields } from './types.js';

/** The fields of the CDAP "Mon Compte Partenaire" contact form (BP-urgent 3). */
const formLabels = labelPattern({
  organisme: "(?:nom\\s+de\\s+(?:votre|l'|l\\s)\\s*organisme|organisme)",
  nomPrenom: '(?:vos\\s+|votre\\s+)?(?:noms?\\s+et\\s+prenoms?|prenoms?\\s+et\\s+noms?)',
  adresseElectronique:
    '(?:votre\\s+)?(?:adresse\\s+(?:electronique|e-?mail|mail|courriel|mel)|e-?mail|courriel|mel)',
  numeroAllocataire:
    "(?:(?:numero|num\\.?|n\\s*[o°]\\.?)\\s*(?:(?:d'|de\\s+l')\\s*)?allocataire|(?:numero|n\\s*[o°]\\.?)\\s+caf)(?:\\s*\\(facultatif\\))?",
  message: '(?:votre\\s+message|message)',
});

export interface FormReading {
  fields: FormFields;
  /** How many distinct form labels were found. */
  labelCount: number;
  /** Index where the form's "Votre message" value starts, if any. */
  messageStart: number | null;
}

const empty: FormFields = {
  organisme: null,
  nomPrenom: null,
  adresseElectronique: null,
  numeroAllocataire: null,
};

/** Reads the form's fields: the value is the rest of the label's line, or the next line when that is empty. */
export function readFormFields(text: string, folded: string): FormReading {
  const labels = findLabels(folded, formLabels);
  if (labels.length === 0) return { fields: { ...empty }, labelCount: 0, messageStart: null };
  const fields: FormFields = { ...empty };
  const seen = new Set<string>();
  let messageStart: number | null = null;
  for (const [i, label] of labels.entries()) {
    if (seen.has(label.name)) continue;
    seen.add(label.name);
    if (label.name === 'message') {
      messageStart = label.valueStart;
      continue;
    }
    const nextLabel = labels[i + 1]?.start ?? text.length;
    let lineEnd = text.indexOf('\n', label.valueStart);
    if (lineEnd === -1) lineEnd = text.length;
    let value = text.slice(label.valueStart, Math.min(lineEnd, nextLabel));
    if (isEmptyValue(value) && lineEnd < nextLabel) {
      // Label alone on its line (HTML layouts): the value is the next non-empty line.
      const rest = text.slice(lineEnd, nextLabel).trimStart();
      value = rest.split('\n', 1)[0] ?? '';
    }
    value = trimSeparators(value);
    fields[label.name as keyof FormFields] = isEmptyValue(value) ? null : value;
  }
  return { fields, labelCount: seen.size, messageStart };
}
