import { foldText } from './foldText.js';
import { NON_PAYMENT } from './textPatterns.js';

/** The nature of a request, for the yearly review of "flux et nature des mails". */
export type MotifCategory =
  | 'non-paiement'
  | 'baisse'
  | 'explication'
  | 'changement-situation'
  | 'document'
  | 'autre'
  | 'non-indique';

/** The motif heading's text, folded to one category (a motif left empty is counted apart). */
export function categorizeMotif(motif: string | null): MotifCategory {
  if (motif === null) return 'non-indique';
  const f = foldText(motif);
  if (NON_PAYMENT.test(f)) return 'non-paiement';
  if (/baisse|diminu|reduction|montant/.test(f)) return 'baisse';
  if (/explication|comprendre|question|renseignement|information|calcul|pourquoi/.test(f))
    return 'explication';
  if (/changement|demenagement|separation|naissance|deces|situation/.test(f)) return 'changement-situation';
  if (/document|piece|justificatif|attestation|dossier|formulaire/.test(f)) return 'document';
  return 'autre';
}
