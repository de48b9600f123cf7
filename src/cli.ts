import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { describeAnalysis } from './analysis/describeAnalysis.js';
import { analyzerSettings, createAnalyzer } from './analysis/index.js';
import { ConfigError, loadConfig, maskSecrets } from './config/loadConfig.js';
import type { Config } from './config/schema.js';

const program = new Command();

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cdap-triage: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

async function readInput(file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return readFile(file);
}

/** A draft typed without headers becomes a minimal mail, so the analyzer reads it like any other. */
function asMail(raw: Buffer): Buffer {
  const head = raw.subarray(0, 2000).toString('utf8');
  if (/^[A-Za-z-]+:[^\n]*\r?\n(?:[A-Za-z-]+:|[ \t])/.test(head)) return raw;
  return Buffer.concat([
    Buffer.from(
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
    ),
    raw,
  ]);
}

program
  .name('cdap-triage')
  .description(
    'Tri des messages des CDAS à la boîte partenaire de la CAF : urgence, rubriques, files prioritaire et standard.',
  )
  .showHelpAfterError();

program
  .command('analyze')
  .description('Analyse des messages (.eml) et affiche ce qui a été compris et ce que le CDAS lirait.')
  .argument('<files...>', 'fichiers .eml (ou - pour l’entrée standard)')
  .option('--json', 'une ligne JSON par fichier, pour les scripts')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage analyze fixtures/form-urgent-rsa-substantiated.eml\n  $ CDAP_RELAY_SENDERS=robot@caf.example cdap-triage analyze --json boite/*.eml',
  )
  .action(async (files: string[], opts: { json?: boolean }) => {
    const analyze = createAnalyzer(analyzerSettings(configOrExit()));
    let failed = false;
    for (const file of files) {
      let raw: Buffer;
      try {
        raw = await readInput(file);
      } catch (err) {
        process.stderr.write(`cdap-triage: cannot read ${file}: ${(err as Error).message}\n`);
        failed = true;
        continue;
      }
      const analysis = await analyze(raw);
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...analysis })}\n`);
      else process.stdout.write(`${file}\n${describeAnalysis(analysis)}\n\n`);
    }
    if (failed) process.exitCode = 2;
  });

program
  .command('lint')
  .description(
    'Relit un brouillon de message (fichier ou entrée standard) et affiche les remarques qu’un CDAS recevrait.',
  )
  .argument('[file]', 'brouillon (texte ou .eml) ; sans argument, l’entrée standard', '-')
  .addHelpText('after', '\nExemples :\n  $ cdap-triage lint brouillon.txt\n  $ pbpaste | cdap-triage lint')
  .action(async (file: string) => {
    const config = configOrExit();
    // A draft has no sender yet: judge its content as if it came from an allowed partner.
    const analyze = createAnalyzer(analyzerSettings(config));
    const raw = asMail(await readInput(file));
    const withSender = Buffer.concat([Buffer.from(`From: brouillon@${config.allowedDomains[0]}\r\n`), raw]);
    const analysis = await analyze(withSender);
    if (analysis.lint.length === 0) {
      process.stdout.write('Aucune remarque : le message suit les bonnes pratiques de la convention.\n');
      return;
    }
    process.stdout.write(`${describeAnalysis(analysis)}\n`);
    if (analysis.reply === 'ack-with-feedback') process.exitCode = 1;
  });

program
  .command('config')
  .description(
    'Affiche la configuration effective (défauts, CONFIG_FILE, variables d’environnement), secrets masqués.',
  )
  .addOption(new Option('--format <format>', 'yaml ou json').choices(['yaml', 'json']).default('yaml'))
  .action((opts: { format: string }) => {
    const { cdas, ...config } = configOrExit();
    const shown = maskSecrets({ ...config, cdas: `${cdas.length} CDAS` });
    process.stdout.write(opts.format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown));
  });

await program.parseAsync(process.argv);
