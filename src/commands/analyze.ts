import { analyzerSettings } from '../analysis/settings.js';
import type { Config } from '../config/schema.js';
import { frenchTypography } from './french.js';
import { hasMailHeaders, readInput, unreadable } from './readInput.js';

/*
 * `analyze` and `lint`: the analyzer in this process, nothing else (no Redis,
 * no logger, no worker threads), so they answer at once.
 */

/** The configuration and the analyzer, their modules read side by side. */
async function analyzerAndConfig(): Promise<{
  config: Config;
  analyze: ReturnType<typeof import('../analysis/analyzeMail.js').createAnalyzer>;
  describeAnalysis: typeof import('../analysis/describeAnalysis.js').describeAnalysis;
}> {
  const [{ configOrExit }, { createAnalyzer }, { describeAnalysis }] = await Promise.all([
    import('./cliConfig.js'),
    import('../analysis/analyzeMail.js'),
    import('../analysis/describeAnalysis.js'),
  ]);
  const config = configOrExit();
  return { config, analyze: createAnalyzer(analyzerSettings(config)), describeAnalysis };
}

/** Exit code: 0 all analysed, 1 some file could not be read. */
export async function analyzeFiles(files: string[], opts: { json?: boolean }): Promise<number> {
  const { analyze, describeAnalysis } = await analyzerAndConfig();
  let failed = false;
  for (const file of files) {
    let raw: Buffer;
    try {
      raw = await readInput(file);
    } catch (err) {
      process.stderr.write(unreadable(file, err));
      failed = true;
      continue;
    }
    const analysis = await analyze(raw);
    if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...analysis })}\n`);
    else process.stdout.write(`${file}\n${describeAnalysis(analysis)}\n\n`);
  }
  return failed ? 1 : 0;
}

/** A draft typed without headers becomes a minimal mail, so the analyzer reads it like any other. */
export function asMail(raw: Buffer): Buffer {
  if (hasMailHeaders(raw)) return raw;
  return Buffer.concat([
    Buffer.from(
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
    ),
    raw,
  ]);
}

/** Exit code: 0 nothing to correct, 1 something to correct, 2 the draft cannot be read. */
export async function lintDraft(file: string): Promise<number> {
  const { config, analyze, describeAnalysis } = await analyzerAndConfig();
  let raw: Buffer;
  try {
    raw = asMail(await readInput(file));
  } catch (err) {
    process.stderr.write(unreadable(file, err));
    return 2;
  }
  // A draft has no sender yet: judge its content as if it came from an allowed partner.
  const withSender = Buffer.concat([Buffer.from(`From: brouillon@${config.allowedDomains[0]}\r\n`), raw]);
  // A draft is judged as if it were sent now: "depuis le 05/08" is measured from today.
  const analysis = await analyze(withSender, { receivedAt: new Date() });
  if (analysis.lint.length === 0) {
    process.stdout.write(
      frenchTypography('Aucune remarque : le message suit les bonnes pratiques de la convention.\n'),
    );
    return 0;
  }
  process.stdout.write(`${describeAnalysis(analysis)}\n`);
  return analysis.reply === 'ack-with-feedback' ? 1 : 0;
}
