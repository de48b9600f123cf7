import type { PrestationCode } from '../analysis/types.js';
import type { AnsweredRequest } from '../answers/lintAnswer.js';
import { plural } from '../labels/formats.js';
import { prestationLabels, severityLabels } from '../labels/words.js';
import { frenchTypography } from './french.js';
import { hasMailHeaders, readInput, unreadable } from './readInput.js';

/*
 * `lint --reponse`: a CAF technician's answer to a CDAS, checked against the
 * convention's answering practices. Pure text work: no configuration, no
 * analyzer, no server.
 */

export interface LintAnswerOptions {
  /** The request carried URGENCE DEFINIE, and whether it meets the definition. */
  urgence?: 'justifiee' | 'non-justifiee';
  /** Benefits of the request, comma-separated codes ("RSA,AAH"). */
  prestations?: string;
}

const codes = Object.keys(prestationLabels) as PrestationCode[];

/** The codes typed, or the first one not known. */
function readPrestations(typed: string): { codes: PrestationCode[] } | { unknown: string } {
  const found: PrestationCode[] = [];
  for (const word of typed.split(/[\s,;]+/).filter(Boolean)) {
    const code = codes.find((c) => c.toLowerCase() === word.toLowerCase());
    if (!code) return { unknown: word };
    if (!found.includes(code)) found.push(code);
  }
  return { codes: found };
}

/** The answer's text: the text part of a mail (the HTML one converted when alone), or the file as typed. */
async function answerText(raw: Buffer): Promise<string> {
  if (hasMailHeaders(raw)) {
    const { simpleParser } = await import('mailparser');
    const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextLinks: true, skipImageLinks: true });
    if (mail.text?.trim()) return mail.text;
    if (typeof mail.html === 'string') {
      const { htmlToText } = await import('../analysis/htmlToText.js');
      return htmlToText(mail.html);
    }
    return '';
  }
  const utf8 = raw.toString('utf8').replace(/^\uFEFF/, '');
  // A file saved by a Windows editor: not UTF-8, most likely Windows-1252.
  return utf8.includes('\uFFFD') ? new TextDecoder('windows-1252').decode(raw) : utf8;
}

/** Exit code: 0 nothing to correct, 1 something to correct, 2 unreadable answer or options mistyped. */
export async function lintAnswerFile(file: string, opts: LintAnswerOptions): Promise<number> {
  let request: AnsweredRequest | null = null;
  if (opts.urgence !== undefined || opts.prestations !== undefined) {
    const typed = readPrestations(opts.prestations ?? '');
    if ('unknown' in typed) {
      process.stderr.write(
        frenchTypography(
          `cdap-triage : prestation inconnue « ${typed.unknown} » (valeurs : ${codes.join(', ')})\n`,
        ),
      );
      return 2;
    }
    request = {
      urgent: opts.urgence !== undefined,
      urgencyCheck:
        opts.urgence === 'justifiee'
          ? 'substantiated'
          : opts.urgence === 'non-justifiee'
            ? 'unsubstantiated'
            : null,
      prestations: typed.codes,
    };
  }
  let text: string;
  try {
    text = await answerText(await readInput(file));
  } catch (err) {
    process.stderr.write(unreadable(file, err));
    return 2;
  }
  const { lintAnswer } = await import('../answers/lintAnswer.js');
  const findings = lintAnswer(text, request);
  const lines =
    findings.length === 0
      ? ['Aucune remarque : la réponse suit les bonnes pratiques de la convention.']
      : [
          `${plural(findings.length, 'remarque')} sur la réponse :`,
          ...findings.map((f) => `  [${severityLabels[f.severity]}] ${f.message}`),
        ];
  if (!request) {
    lines.push(
      'Les bonnes pratiques des situations urgentes (déblocage du revenu de solidarité active ou de l’allocation aux adultes handicapés, urgence non justifiée) n’ont pas été vérifiées : précisez --urgence et --prestations pour les vérifier.',
    );
  }
  process.stdout.write(frenchTypography(`${lines.join('\n')}\n`));
  return findings.length === 0 ? 0 : 1;
}
