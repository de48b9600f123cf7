import { amendConfig, quietLogLevel } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import { CdapError } from '../infra/errors.js';
import { plural } from '../labels/formats.js';
import { demoState } from '../local/demoState.js';
import { stopLocalMailbox, withLocalMailbox } from '../local/localMailbox.js';
import { startLocalSmtpSink } from '../local/localSmtpSink.js';
import { createLogger } from '../log.js';
import type { Service } from '../service.js';
import { caseSummary, caseTotals } from './caseSummary.js';
import { configOrExit } from './cliConfig.js';
import { frenchTypography } from './french.js';
import { createProgress } from './progress.js';

type Credentials = { user: string; password: string; generated: boolean };

const say = (text: string) => process.stderr.write(frenchTypography(text));

/** A second demo would fight the first over its ports and its Dovecot. */
export class DemoAlreadyRunningError extends CdapError {
  override name = 'DemoAlreadyRunningError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEMO_ALREADY_RUNNING', message, options);
  }
}

/**
 * On loopback without configured credentials, the dashboard gets the demo's,
 * kept in .tmp/demo/ and printed at every start: never open without a
 * password, and a restart logs nobody out.
 */
function withWebCredentials(config: Config): { config: Config; creds: Credentials } {
  if (config.http.user && config.http.password) {
    return { config, creds: { user: config.http.user, password: config.http.password, generated: false } };
  }
  const saved = demoState().login();
  const withLogin = amendConfig(config, (c) => {
    c.http.user ||= saved.user;
    c.http.password ||= saved.password;
    c.http.sessionSecret ||= saved.sessionSecret;
  });
  return {
    config: withLogin,
    creds: { user: withLogin.http.user, password: withLogin.http.password, generated: true },
  };
}

function announceWeb(url: string | null, creds: Credentials): void {
  if (!url) return;
  const shown = url.replace('://127.0.0.1', '://localhost');
  say(
    `cdap-triage : tableau de bord sur ${shown}/cases` +
      (creds.generated
        ? ` — identifiant de démonstration : ${creds.user} / ${creds.password} (gardé dans .tmp/demo/login.json ; HTTP_USER et HTTP_PASSWORD pour en choisir un)\n`
        : '\n'),
  );
}

/** The cases new since the last start, as a table, then the totals of every case. */
export function demoReport(all: { ref: string }[], seen: Set<string>, table: (refs: string[]) => string) {
  const fresh = all.filter((c) => !seen.has(c.ref)).map((c) => c.ref);
  const lines: string[] = [];
  if (fresh.length === 0) lines.push('Aucun nouveau message depuis le dernier démarrage.');
  else {
    const firstStart = seen.size === 0;
    lines.push(
      firstStart
        ? `${plural(fresh.length, 'message trié', 'messages triés')} :`
        : `Nouveaux depuis le dernier démarrage : ${plural(fresh.length, 'message', 'messages')}.`,
    );
    lines.push(table(fresh));
  }
  return { text: frenchTypography(lines.join('\n')), fresh };
}

/**
 * On the local demo: once the inbox is triaged, a table of the cases new
 * since the last start, the totals, then where to look next.
 */
async function printDemoSummary(service: Service, creds: Credentials): Promise<void> {
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
  const state = demoState();
  const refs = await service.caseStore.refsBetween(new Date(0), new Date(Date.now() + 1));
  const cases = (await service.caseStore.getMany(refs)).filter((c) => c !== null);
  const byRef = new Map(cases.map((c) => [c.ref, c]));
  const { text } = demoReport(cases, state.seenRefs(), (fresh) => {
    const shown = fresh.slice(-200).flatMap((r) => byRef.get(r) ?? []);
    const table = caseSummary(shown).split('\n');
    // The table's own totals count only the new ones: the overall totals follow.
    return table.slice(0, -2).join('\n');
  });
  say(`\n${text}\n\nEn tout : ${caseTotals(cases)}\n`);
  state.saveSeenRefs(refs);
  say(
    'Les messages sont classés dans les dossiers CDAP.* du Dovecot local ; les réponses sont dans .tmp/sent/.\n' +
      'Ctrl-C arrête le service et le Dovecot de démonstration (Redis reste en marche) ; ' +
      'cdap-triage demo --reinitialiser repart de zéro.\n',
  );
  announceWeb(service.webUrl, creds);
}

export async function webCommand(): Promise<void> {
  const { config, creds } = withWebCredentials(configOrExit());
  const log = createLogger({ level: config.log.level });
  let service: Service;
  try {
    const { startService } = await import('../service.js');
    service = await startService(config, log, { intake: false, workers: false, web: true });
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}\n`);
    process.exit(1);
  }
  announceWeb(service.webUrl, creds);
  const shutdown = async () => {
    await service.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

export async function runCommand(opts: { web: boolean }): Promise<void> {
  const loaded = withWebCredentials(configOrExit());
  const { creds } = loaded;
  let { config } = loaded;
  const localDemo = !config.imap.host;
  // The local demo speaks through its summary table; its logs only say what went wrong.
  const log = createLogger({ level: localDemo ? quietLogLevel(config) : config.log.level });
  let sink: Awaited<ReturnType<typeof startLocalSmtpSink>> | null = null;
  let service: Service;
  const state = demoState();
  // The pipeline's modules load while the demo Dovecot starts (a child process): the two overlap.
  const pipeline = import('../service.js');
  pipeline.catch(() => {});
  const stopDemoMailbox = async () => {
    if (!localDemo) return;
    await stopLocalMailbox().catch((err: Error) => say(`cdap-triage : ${err.message}\n`));
    state.clearPid(process.pid);
  };
  try {
    if (localDemo) {
      const running = state.runningPid();
      if (running && running !== process.pid) {
        throw new DemoAlreadyRunningError(
          `une démonstration tourne déjà (pid ${running}) : arrêtez-la (Ctrl-C dans sa fenêtre, ou cdap-triage demo --arreter).`,
        );
      }
      state.writePid(process.pid);
      const started = await withLocalMailbox(config, log);
      config = started.config;
      const local = started.local;
      if (local) {
        say(
          `cdap-triage : IMAP_HOST n’est pas défini — Dovecot local sur 127.0.0.1:${local.port} (utilisateur ${local.user})` +
            `${local.demoMails ? `, rempli de ${local.demoMails} messages de démonstration` : ''}.\n`,
        );
      }
    }
    if (!config.smtp.host && config.replies.mode === 'live') {
      sink = await startLocalSmtpSink(log);
      const { port } = sink;
      config = amendConfig(config, (c) => {
        c.smtp = { ...c.smtp, host: '127.0.0.1', port, secure: false, user: '', password: '' };
      });
      say(`cdap-triage : SMTP_HOST n’est pas défini — les réponses sont gardées en .eml dans ${sink.dir}.\n`);
    }
    const { startService } = await pipeline;
    service = await startService(config, log, { web: opts.web, localDemo });
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}\n`);
    await sink?.close();
    // The running demo's Dovecot is not ours to stop.
    if (!(err instanceof DemoAlreadyRunningError)) await stopDemoMailbox();
    process.exit(1);
  }
  announceWeb(service.webUrl, creds);
  // The summary polls Redis: a Ctrl-C while it waits closes the connections under it, and that is no error.
  if (localDemo) void printDemoSummary(service, creds).catch(() => {});
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await service.stop();
    await sink?.close();
    await stopDemoMailbox();
    process.exit(code);
  };
  for (const intake of service.intakes) {
    intake.on('fatal', (err: Error) => {
      say(`cdap-triage : ${err.message}\n`);
      void shutdown(1);
    });
  }
  process.once('SIGTERM', () => void shutdown(0));
  process.once('SIGINT', () => void shutdown(0));
}
