import {
  kindLabels,
  replyDecisionLabels,
  routeLabels,
  severityLabels,
  urgencyCheckLabel,
  urgencySourceLabels,
} from '../labels/words.js';
import { describeFacts } from './describeFacts.js';
import type { Analysis } from './types.js';

/** The analysis in French, as `cdap-triage analyze` prints it for a person. */
export function describeAnalysis(a: Analysis): string {
  const lines: string[] = [];
  if (a.unreadable) {
    lines.push(`  Illisible : ${a.unreadableReason}`);
    lines.push(`  File : ${routeLabels[a.route]} — un technicien le verra dans le dossier des erreurs.`);
    return lines.join('\n');
  }
  const cdas = a.sender.cdas ? ` — ${a.sender.cdas.name}` : '';
  lines.push(`  Type : ${kindLabels[a.kind]}`);
  lines.push(
    a.sender.problem
      ? `  Demandeur : adresse refusée — ${a.sender.problem}`
      : `  Demandeur : ${a.sender.address ?? 'inconnu'} (${a.sender.allowed ? 'domaine autorisé' : 'domaine non autorisé'})${cdas}`,
  );
  if (a.urgent) {
    lines.push(
      `  Urgence : oui, mot-clé trouvé dans ${urgencySourceLabels[a.urgency.source ?? 'body']} — ${urgencyCheckLabel(a.urgency.check)}`,
    );
    if (a.urgency.reason) lines.push(`    ${a.urgency.reason}`);
  } else {
    lines.push('  Urgence : non');
  }
  const facts = describeFacts(a.facts, a.date ? new Date(a.date) : null);
  if (facts.length) {
    lines.push('  Dates et faits :');
    for (const line of facts) lines.push(`    ${line}`);
  }
  lines.push(`  Prestations : ${a.prestations.length ? a.prestations.join(', ') : 'aucune reconnue'}`);
  const mark = (r: { present: boolean; value: string | null }) =>
    !r.present ? 'absente' : r.value ? 'remplie' : 'vide';
  lines.push(
    `  Rubriques : motif ${mark(a.rubrics.motif)}, prestations ${mark(a.rubrics.prestations)}, commentaire ${mark(a.rubrics.commentaire)}, spécificités ${mark(a.rubrics.specificites)}`,
  );
  lines.push(`  Plusieurs situations : ${a.multipleSituations ? 'oui' : 'non'}`);
  if (a.attachments.length) {
    lines.push(
      `  Pièces jointes : ${a.attachments.map((p) => `${p.filename ?? 'sans nom'}${p.inline ? ' (image intégrée)' : ''}`).join(', ')}`,
    );
  }
  lines.push(
    `  File : ${routeLabels[a.route]} (${a.routeReason}) — Réponse : ${replyDecisionLabels[a.reply]}`,
  );
  if (a.lint.length) {
    lines.push('  Ce que le CDAS lira :');
    for (const f of a.lint) lines.push(`    [${severityLabels[f.severity]}] ${f.message}`);
  }
  return lines.join('\n');
}
