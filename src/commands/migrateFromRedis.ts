import type { MigrationReport } from '../cases/migrateFromRedis.js';
import { amendConfig, quietLogLevel } from '../config/loadConfig.js';
import { displayUrl } from '../infra/database.js';
import { agree, formatNumber, NBSP, plural } from '../labels/formats.js';

export interface MigrateOptions {
  redisUrl?: string;
  prefix?: string;
  dryRun?: boolean;
}

const PATTERNS = [
  'case',
  'reply',
  'filed',
  'mail',
  'hash',
  'refseq',
  'located',
  'filing',
  'recovered',
  'cases',
];

/** The French summary of a run, with what to do next. */
export function migrationSummary(r: MigrationReport, url: string): string {
  const redisUrl = displayUrl(url);
  const seconds = `${formatNumber(r.seconds, 1)}${NBSP}s`;
  const lines: string[] = [];
  if (r.dryRun) {
    lines.push(`Essai à blanc (rien n’a été écrit), préfixe « ${r.prefix} », ${seconds} :`);
    lines.push(`  ${plural(r.casesRead, 'dossier lu', 'dossiers lus')} dans Redis ;`);
    lines.push(`  ${plural(r.casesCopied, 'dossier serait copié', 'dossiers seraient copiés')} ;`);
    lines.push(
      `  ${plural(r.casesPresent, 'dossier déjà présent', 'dossiers déjà présents')} dans PostgreSQL.`,
    );
  } else {
    lines.push(`Migration depuis Redis (préfixe « ${r.prefix} ») terminée en ${seconds} :`);
    const items = [
      `${plural(r.casesRead, 'dossier lu', 'dossiers lus')} dans Redis`,
      `${plural(r.casesCopied, 'dossier copié', 'dossiers copiés')} dans PostgreSQL`,
      `${plural(r.casesPresent, 'dossier déjà présent', 'dossiers déjà présents')}, ${agree(r.casesPresent, 'laissé tel quel', 'laissés tels quels')}`,
    ];
    const linked = [
      r.followUps,
      r.replyStates,
      r.filedPlaces,
      r.mailPlaces,
      r.contents,
      r.located,
      r.filings,
    ];
    if (linked.some((n) => n > 0)) {
      items.push(
        `avec eux : ${plural(r.followUps, 'suite', 'suites')}, ${plural(r.replyStates, 'état de réponse', 'états de réponse')}, ` +
          `${plural(r.filedPlaces, 'lieu de classement', 'lieux de classement')}, ${plural(r.mailPlaces, 'autre exemplaire', 'autres exemplaires')} de message, ` +
          `${plural(r.contents, 'empreinte de contenu', 'empreintes de contenu')}, ${plural(r.located, 'message classé repéré', 'messages classés repérés')}, ` +
          `${plural(r.filings, 'déplacement en attente', 'déplacements en attente')}`,
      );
    }
    lines.push(`${items.map((i) => `  ${i}`).join(' ;\n')}.`);
    if (r.sequences.length) {
      lines.push(
        `Prochaines références : ${r.sequences.map((s) => `CDAP-${s.year}-${String(s.last + 1).padStart(6, '0')}`).join(', ')}.`,
      );
    }
  }
  if (r.unreadable.length) {
    lines.push(
      `${plural(r.unreadable.length, 'dossier illisible', 'dossiers illisibles')} dans Redis, non ${agree(r.unreadable.length, 'copié')} : ${r.unreadable.slice(0, 10).join(', ')}${r.unreadable.length > 10 ? '…' : ''}.`,
    );
  }
  if (r.conflicts.length) {
    lines.push(
      `${plural(r.conflicts.length, 'dossier', 'dossiers')} de Redis non ${agree(r.conflicts.length, 'copié')} : ` +
        `${r.conflicts.length >= 2 ? 'leur référence est déjà prise' : 'sa référence est déjà prise'} dans PostgreSQL par le dossier d’un autre message ` +
        `(${r.conflicts.slice(0, 10).join(', ')}${r.conflicts.length > 10 ? '…' : ''}). Gardez les clés Redis et signalez-le.`,
    );
  }
  if (!r.dryRun) {
    lines.push(
      'Les clés Redis sont laissées en place : relancer la commande ne copie rien deux fois. ' +
        'Une fois les dossiers vérifiés dans le tableau de bord, supprimez-les ainsi (les files BullMQ, elles, restent) :',
    );
    for (const kind of PATTERNS) {
      lines.push(
        `  redis-cli -u ${redisUrl} --scan --pattern '${r.prefix}:${kind}:*' | xargs -r -n 500 redis-cli -u ${redisUrl} unlink`,
      );
    }
    lines.push(`  redis-cli -u ${redisUrl} unlink ${r.prefix}:epoch`);
  }
  return `${lines.join('\n')}\n`;
}

/** `cdap-triage migrate-from-redis`: 0 done, 1 failed or cases left out (conflicts, unreadable). */
export async function migrateCommand(opts: MigrateOptions): Promise<number> {
  const { configOrExit } = await import('./cliConfig.js');
  const { frenchTypography } = await import('./french.js');
  const loaded = configOrExit();
  const config = amendConfig(loaded, (c) => {
    if (opts.redisUrl) c.redis.url = opts.redisUrl;
    if (opts.prefix) c.redis.prefix = opts.prefix;
    // A batch of 500 cases on a slow disk may take longer than a request should: not a reason to stop.
    c.database.statementTimeoutMs = Math.max(c.database.statementTimeoutMs, 300_000);
  });
  const { createLogger } = await import('../log.js');
  const log = createLogger({ level: quietLogLevel(config) });
  const { Redis } = await import('ioredis');
  const { openDatabase } = await import('../infra/database.js');
  const { migrateFromRedis } = await import('../cases/migrateFromRedis.js');
  const { createProgress } = await import('./progress.js');
  const say = (text: string) => process.stderr.write(frenchTypography(text));
  const redis = new Redis(config.redis.url, {
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  let db: Awaited<ReturnType<typeof openDatabase>> | null = null;
  try {
    try {
      await redis.connect();
    } catch (err) {
      say(
        `cdap-triage : Redis ne répond pas à ${displayUrl(config.redis.url)} (${(err as Error).message}) : démarrez-le ou corrigez --redis-url.\n`,
      );
      return 1;
    }
    // A dry run writes nothing, not even the schema.
    db = await openDatabase(config.database, log, { migrate: !opts.dryRun, poolSize: 2 });
    const progress = createProgress('migration');
    let report: MigrationReport;
    try {
      report = await migrateFromRedis(redis, db, config.redis.prefix, {
        dryRun: opts.dryRun,
        log,
        onProgress: (done, total) => {
          if (total > 0) progress.update(done, total);
        },
      });
    } finally {
      progress.stop();
    }
    if (report.casesRead === 0) {
      process.stdout.write(
        frenchTypography(
          `Aucun dossier sous le préfixe « ${config.redis.prefix} » dans ${displayUrl(config.redis.url)} : rien à copier. Vérifiez --prefix (QUEUE_PREFIX de la version 0.1).\n`,
        ),
      );
      return 0;
    }
    process.stdout.write(frenchTypography(migrationSummary(report, config.redis.url)));
    return report.conflicts.length || report.unreadable.length ? 1 : 0;
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
    await db?.destroy();
  }
}
