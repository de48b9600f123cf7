import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { analyzerSettings } from './analysis/settings.js';
import { backfill } from './commands/backfill.js';
import { caseSummary } from './commands/caseSummary.js';
import { createProgress } from './commands/progress.js';
import { reprocessCase, retryFailed } from './commands/reprocess.js';
import { ConfigError, loadConfig, maskSecrets } from './config/loadConfig.js';
import type { Config } from './config/schema.js';
import { startLocalMailbox } from './local/localMailbox.js';
import { startLocalSmtpSink } from './local/localSmtpSink.js';
import { createLogger } from './log.js';
import { startService } from './service.js';

const program = new Command();

/** The parser and rules load only for the commands that analyse here (not for `run`, which uses threads). */
async function analyzerFor(config: Config) {
  const [{ createAnalyzer }, { describeAnalysis }] = await Promise.all([
    import('./analysis/analyzeMail.js'),
    import('./analysis/describeAnalysis.js'),
  ]);
  return { analyze: createAnalyzer(analyzerSettings(config)), describeAnalysis };
}

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
    const { analyze, describeAnalysis } = await analyzerFor(configOrExit());
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
    const { analyze, describeAnalysis } = await analyzerFor(config);
    const raw = asMail(await readInput(file));
    const withSender = Buffer.concat([Buffer.from(`From: brouillon@${config.allowedDomains[0]}\r\n`), raw]);
    // A draft is judged as if it were sent now: "depuis le 05/08" is measured from today.
    const analysis = await analyze(withSender, { receivedAt: new Date() });
    if (analysis.lint.length === 0) {
      process.stdout.write('Aucune remarque : le message suit les bonnes pratiques de la convention.\n');
      return;
    }
    process.stdout.write(`${describeAnalysis(analysis)}\n`);
    if (analysis.reply === 'ack-with-feedback') process.exitCode = 1;
  });

/**
 * On loopback without configured credentials, the dashboard gets demo ones,
 * printed once: it is never open without a password.
 */
function ensureWebCredentials(config: Config): { user: string; password: string; generated: boolean } {
  if (config.http.user && config.http.password) {
    return { user: config.http.user, password: config.http.password, generated: false };
  }
  config.http.user ||= 'admin';
  config.http.password ||= randomBytes(9).toString('base64url');
  lastCreds = { user: config.http.user, password: config.http.password, generated: true };
  return lastCreds;
}

function announceWeb(
  url: string | null,
  creds: { user: string; password: string; generated: boolean },
): void {
  if (!url) return;
  const shown = url.replace('://127.0.0.1', '://localhost');
  process.stderr.write(
    `cdap-triage: dashboard on ${shown}/cases` +
      (creds.generated
        ? ` — demo login: ${creds.user} / ${creds.password} (set HTTP_USER and HTTP_PASSWORD to choose)\n`
        : '\n'),
  );
}

/**
 * On the local demo: once the inbox is triaged, a table of what happened to
 * each mail, then where to look next.
 */
async function printDemoSummary(service: Awaited<ReturnType<typeof startService>>): Promise<void> {
  const started = Date.now();
  const progress = createProgress('tri');
  let total = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const counts = await service.queues.triage.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
    const left = Object.values(counts).reduce((a, b) => a + b, 0);
    const filings = await service.caseStore.pendingFilingCount(service.config.mailboxes[0]?.id ?? 'default');
    total = Math.max(total, left);
    if (total) progress.update(total - left, total);
    const checked = service.intakes.some((i) => i.active);
    if (checked && left === 0 && filings === 0 && Date.now() - started > 2000) break;
  }
  progress.stop();
  const refs = await service.caseStore.refsBetween(new Date(0), new Date(Date.now() + 1));
  const cases = await service.caseStore.getMany(refs.slice(-200));
  process.stderr.write(`\n${caseSummary(cases)}\n`);
  process.stderr.write(
    'Les messages sont classés dans les dossiers CDAP.* du Dovecot local ; les réponses sont dans .tmp/sent/.\n',
  );
  announceWeb(service.webUrl, lastCreds ?? { user: '', password: '', generated: false });
}

let lastCreds: { user: string; password: string; generated: boolean } | null = null;

program
  .command('web')
  .description(
    'Lance seulement le tableau de bord web (dossiers, indicateurs, files, métriques), sans relève ni tri.',
  )
  .addHelpText('after', '\nExemple :\n  $ HTTP_USER=operateur HTTP_PASSWORD=… cdap-triage web')
  .action(async () => {
    const config = configOrExit();
    const log = createLogger({ level: config.log.level });
    const creds = ensureWebCredentials(config);
    let service: Awaited<ReturnType<typeof startService>>;
    try {
      service = await startService(config, log, { intake: false, workers: false, web: true });
    } catch (err) {
      process.stderr.write(`cdap-triage: ${(err as Error).message}\n`);
      process.exit(1);
    }
    announceWeb(service.webUrl, creds);
    const shutdown = async () => {
      await service.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown());
    process.once('SIGINT', () => void shutdown());
  });

program
  .command('run')
  .description(
    'Lance le service : relève de la boîte (IMAP), tri, files prioritaire et standard, classement en dossiers. ' +
      'Sans IMAP_HOST, démarre un Dovecot local rempli de messages de démonstration.',
  )
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage run\n  $ IMAP_HOST=imap.caf.example IMAP_USER=partenaires IMAP_PASSWORD=… REDIS_URL=redis://127.0.0.1:6379 cdap-triage run',
  )
  .option('--no-web', 'sans le tableau de bord web')
  .action(async (opts: { web: boolean }) => {
    const config = configOrExit();
    // The local demo speaks through its summary table; its logs only say what went wrong.
    const demoQuiet = !config.imap.host && !process.env.LOG_LEVEL;
    const log = createLogger({ level: demoQuiet ? 'warn' : config.log.level });
    const creds = ensureWebCredentials(config);
    let sink: Awaited<ReturnType<typeof startLocalSmtpSink>> | null = null;
    let service: Awaited<ReturnType<typeof startService>>;
    const localDemo = !config.imap.host;
    try {
      if (!config.imap.host) {
        const local = await startLocalMailbox(log);
        config.imap = local.imap;
        if (config.relaySenders.length === 0) {
          // The demo mails come from this invented form robot.
          config.relaySenders = ['cdap-formulaire@caf35.example.fr'];
        }
        process.stderr.write(
          `cdap-triage: no IMAP_HOST set — using a local Dovecot on 127.0.0.1:${local.imap.port} (user ${local.imap.user})` +
            `${local.demoMails ? `, filled with ${local.demoMails} demo mails` : ''}.\n`,
        );
      }
      if (!config.smtp.host && config.replies.mode === 'live') {
        sink = await startLocalSmtpSink(log);
        config.smtp = {
          ...config.smtp,
          host: '127.0.0.1',
          port: sink.port,
          secure: false,
          user: '',
          password: '',
        };
        process.stderr.write(
          `cdap-triage: no SMTP_HOST set — replies are stored as .eml files in ${sink.dir}.\n`,
        );
      }
      service = await startService(config, log, { web: opts.web, localDemo });
    } catch (err) {
      process.stderr.write(`cdap-triage: ${(err as Error).message}\n`);
      await sink?.close();
      process.exit(1);
    }
    if (localDemo) void printDemoSummary(service);
    announceWeb(service.webUrl, creds);
    const shutdown = async (code: number) => {
      await service.stop();
      await sink?.close();
      process.exit(code);
    };
    for (const intake of service.intakes) {
      intake.on('fatal', (err: Error) => {
        process.stderr.write(`cdap-triage: ${err.message}\n`);
        void shutdown(1);
      });
    }
    process.once('SIGTERM', () => void shutdown(0));
    process.once('SIGINT', () => void shutdown(0));
  });

/** Local defaults for commands that need a mailbox: the demo Dovecot when no IMAP_HOST is set. */
async function withLocalMailbox(config: Config, log: ReturnType<typeof createLogger>): Promise<void> {
  if (config.imap.host) return;
  const local = await startLocalMailbox(log);
  config.imap = local.imap;
  if (config.relaySenders.length === 0) config.relaySenders = ['cdap-formulaire@caf35.example.fr'];
}

program
  .command('backfill')
  .description(
    'Trie et classe le courrier déjà présent dans la boîte, reçu depuis une date, sans jamais y répondre (rattrapage).',
  )
  .requiredOption('--since <date>', 'date de début, AAAA-MM-JJ')
  .option('--mailbox <id>', 'identifiant de la boîte (config `mailboxes`), la première par défaut')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage backfill --since 2026-09-01\n  $ cdap-triage backfill --since 2026-11-01 --mailbox caf35',
  )
  .action(async (opts: { since: string; mailbox?: string }) => {
    const since = new Date(`${opts.since}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.since) || Number.isNaN(since.getTime())) {
      process.stderr.write(`cdap-triage: --since ${opts.since} is not a date: write it as 2026-09-01.\n`);
      process.exit(2);
    }
    const config = configOrExit();
    config.replies.mode = config.smtp.host ? config.replies.mode : 'shadow';
    const log = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
    try {
      await withLocalMailbox(config, log);
      process.stdout.write(await backfill(config, log, { since, mailboxId: opts.mailbox }));
      process.exit(0);
    } catch (err) {
      process.stderr.write(`cdap-triage: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

program
  .command('reprocess')
  .description(
    'Refait l’analyse d’un dossier sur son message (après une correction), ou relance les tâches en échec ; jamais de seconde réponse.',
  )
  .argument('[ref]', 'référence du dossier, CDAP-AAAA-NNNNNN')
  .option('--failed', 'relancer toutes les tâches de tri et de réponse en échec')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage reprocess CDAP-2026-000123\n  $ cdap-triage reprocess --failed',
  )
  .action(async (ref: string | undefined, opts: { failed?: boolean }) => {
    if (!ref && !opts.failed) {
      process.stderr.write('cdap-triage: give a case reference (CDAP-2026-000123) or --failed.\n');
      process.exit(2);
    }
    if (ref && !/^CDAP-\d{4}-\d{6}$/.test(ref)) {
      process.stderr.write(`cdap-triage: ${ref} is not a case reference: they look like CDAP-2026-000123.\n`);
      process.exit(2);
    }
    const config = configOrExit();
    const log = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
    try {
      await withLocalMailbox(config, log);
      const service = await startService(config, log, { intake: false, workers: false });
      try {
        if (opts.failed) {
          const n = await retryFailed(service);
          process.stdout.write(`Relancées : ${n.triage} tâche(s) de tri, ${n.notify} réponse(s).\n`);
        }
        if (ref) {
          const { before, after } = await reprocessCase(service, ref);
          process.stdout.write(
            `${ref} : file ${before.route} → ${after.route}, règles [${before.lint.map((f) => f.rule).join(', ')}] → [${after.lint.map((f) => f.rule).join(', ')}]. Aucune réponse envoyée.\n`,
          );
        }
      } finally {
        await service.stop();
      }
      process.exit(0);
    } catch (err) {
      process.stderr.write(`cdap-triage: ${(err as Error).message}\n`);
      process.exit(1);
    }
  });

program
  .command('config')
  .description(
    'Affiche la configuration effective (défauts, CONFIG_FILE, variables d’environnement), secrets masqués.',
  )
  .addOption(new Option('--format <format>', 'yaml ou json').choices(['yaml', 'json']).default('yaml'))
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage config\n  $ CONFIG_FILE=prod.yaml cdap-triage config --format json',
  )
  .action((opts: { format: string }) => {
    const { cdas, ...config } = configOrExit();
    const shown = maskSecrets({ ...config, cdas: `${cdas.length} CDAS` });
    process.stdout.write(opts.format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown));
  });

await program.parseAsync(process.argv);
