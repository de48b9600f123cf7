import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzerSettings, createAnalyzer } from '../../src/analysis/index.js';
import { loadConfig, projectRoot } from '../../src/config/loadConfig.js';

/** The form robot's address used throughout the fixtures. */
export const RELAY = 'cdap-formulaire@caf35.example.fr';

export const fixturesDir = join(projectRoot, 'fixtures');

export function testAnalyzer(env: NodeJS.ProcessEnv = {}) {
  const config = loadConfig({ env: { CDAP_RELAY_SENDERS: RELAY, ...env } });
  return createAnalyzer(analyzerSettings(config));
}

export function fixture(name: string): Buffer {
  return readFileSync(join(fixturesDir, name));
}

/** A plain UTF-8 mail for unit tests of one rule. */
export function mail(body: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    From: 'Camille Essai <camille.essai@ille-et-vilaine.fr>',
    To: 'partenaires@caf35.example.fr',
    Subject: 'Demande',
    Date: 'Thu, 20 Nov 2026 10:00:00 +0100',
    'Message-ID': `<${Math.random().toString(36).slice(2)}@test.example>`,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...headers,
  };
  return `${Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`;
}

/** A well-formed four-rubric body, to vary one part at a time. */
export function rubrics(
  parts: Partial<Record<'motif' | 'prestations' | 'commentaire' | 'specificites', string>> = {},
): string {
  const p = {
    motif: 'non-paiement',
    prestations: 'APL',
    commentaire: 'L’APL n’est plus versée depuis le 05/10/2026. Quelle démarche faut-il faire ?',
    specificites: '...',
    ...parts,
  };
  return [
    `Motif(s) de la demande : ${p.motif}`,
    `Prestation(s) concernée(s) : ${p.prestations}`,
    `Commentaire : ${p.commentaire}`,
    `Spécificité(s) de la personne s’il y a lieu : ${p.specificites}`,
    '',
    'Cordialement',
    'Camille Essai',
  ].join('\n');
}
