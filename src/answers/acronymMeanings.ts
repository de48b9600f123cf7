import type { PrestationCode } from '../analysis/types.js';
import { prestationLabels } from '../labels/words.js';

/**
 * What the acronyms a CAF answer may use stand for, to suggest the words in
 * full (BP-reply 3: « bannir les sigles » ; « le vocabulaire de la CAF n'est
 * pas celui du CDAS »). Benefits take their name from the labels, without the
 * acronym those add in brackets.
 */

const benefits = Object.fromEntries(
  (Object.entries(prestationLabels) as Array<[PrestationCode, string]>).map(([code, label]) => [
    code,
    label.replace(/\s*\([^)]*\)$/, ''),
  ]),
) as Record<PrestationCode, string>;

export const acronymMeanings: Readonly<Record<string, string>> = {
  ...benefits,
  AL: 'aide au logement',
  RIB: 'relevé d’identité bancaire',
  NIR: 'numéro de sécurité sociale',
  DTR: 'déclaration trimestrielle de ressources',
  QF: 'quotient familial',
  MSA: 'Mutualité sociale agricole',
  CPAM: 'caisse primaire d’assurance maladie',
  CSS: 'complémentaire santé solidaire',
  MDPH: 'maison départementale des personnes handicapées',
  CDAPH: 'commission des droits et de l’autonomie des personnes handicapées',
  ARE: 'allocation d’aide au retour à l’emploi',
  ASS: 'allocation de solidarité spécifique',
  IJ: 'indemnités journalières',
  CCAS: 'centre communal d’action sociale',
  ASE: 'aide sociale à l’enfance',
  SDF: 'sans domicile fixe',
  CDD: 'contrat à durée déterminée',
  CDI: 'contrat à durée indéterminée',
  RDV: 'rendez-vous',
};

/**
 * Tolerated: the names of the two partners and of their channel. The CDAS
 * worker reads them every day, the convention itself writes them so, and
 * spelling out « caisse d'allocations familiales » in every sentence would
 * make the answer heavier, not clearer.
 */
export const partnerNames: ReadonlySet<string> = new Set(['CAF', 'CDAS', 'CDAP']);
