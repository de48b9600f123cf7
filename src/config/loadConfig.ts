import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { z } from 'zod';
import { CdapError } from '../infra/errors.js';
import {
  type CdasEntry,
  type Config,
  cdasEntrySchema,
  configSchema,
  type Draft,
  type SchemaConfig,
} from './schema.js';

/** The project root: both src/config and dist/config sit two levels below it. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ConfigError extends CdapError {
  override name = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Environment variables and the config key each one sets. */
const envMapping: Record<string, { path: string[]; list?: boolean; number?: boolean; boolean?: boolean }> = {
  CDAP_RELAY_SENDERS: { path: ['relaySenders'], list: true },
  CDAP_ALLOWED_DOMAINS: { path: ['allowedDomains'], list: true },
  LOG_LEVEL: { path: ['log', 'level'] },
  REDIS_URL: { path: ['redis', 'url'] },
  QUEUE_PREFIX: { path: ['redis', 'prefix'] },
  DATABASE_URL: { path: ['database', 'url'] },
  DATABASE_SCHEMA: { path: ['database', 'schema'] },
  DATABASE_POOL_SIZE: { path: ['database', 'poolSize'], number: true },
  IMAP_HOST: { path: ['imap', 'host'] },
  IMAP_PORT: { path: ['imap', 'port'], number: true },
  IMAP_SECURE: { path: ['imap', 'secure'], boolean: true },
  IMAP_USER: { path: ['imap', 'user'] },
  IMAP_PASSWORD: { path: ['imap', 'password'] },
  IMAP_TLS_REJECT_UNAUTHORIZED: { path: ['imap', 'tlsRejectUnauthorized'], boolean: true },
  TRIAGE_CONCURRENCY: { path: ['triage', 'concurrency'], number: true },
  REPLY_MODE: { path: ['replies', 'mode'] },
  ANSWERS_SENT_FOLDERS: { path: ['answers', 'sentFolders'], list: true },
  ANSWERS_POLL_MS: { path: ['answers', 'pollMs'], number: true },
  SMTP_HOST: { path: ['smtp', 'host'] },
  SMTP_PORT: { path: ['smtp', 'port'], number: true },
  SMTP_SECURE: { path: ['smtp', 'secure'], boolean: true },
  SMTP_USER: { path: ['smtp', 'user'] },
  SMTP_PASSWORD: { path: ['smtp', 'password'] },
  SMTP_FROM: { path: ['replies', 'from'] },
  SMTP_TLS_REJECT_UNAUTHORIZED: { path: ['smtp', 'tlsRejectUnauthorized'], boolean: true },
  SENDER_VERIFICATION: { path: ['senderVerification', 'mode'] },
  AUTHSERV_ID: { path: ['senderVerification', 'authservId'] },
  SENDER_VERIFICATION_ACKNOWLEDGE_OFF: { path: ['senderVerification', 'acknowledgeOff'], boolean: true },
  HTTP_HOST: { path: ['http', 'host'] },
  HTTP_PORT: { path: ['http', 'port'], number: true },
  HTTP_USER: { path: ['http', 'user'] },
  HTTP_PASSWORD: { path: ['http', 'password'] },
  HTTP_SESSION_SECRET: { path: ['http', 'sessionSecret'] },
  CDAP_FAMILY_KEY: { path: ['cases', 'familyKeySecret'] },
};

/** "true"/"false" and their usual spellings; anything else is left for the schema to reject. */
function parseBoolean(value: string): unknown {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (lists included) is replaced. */
function mergeInto(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlain(current) && isPlain(value) ? mergeInto(current, value) : value;
  }
  return out;
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${what} ${file} est illisible : ${(cause as Error).message}`, { cause });
  }
  try {
    return parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`${what} ${file} n’est pas du YAML valide : ${(cause as Error).message}`, {
      cause,
    });
  }
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] = isPlain(next) ? { ...next } : {};
    node = node[key] as Plain;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

type Issue = ZodError['issues'][number];

const typeFr: Record<string, string> = {
  number: 'un nombre',
  int: 'un nombre entier',
  boolean: 'true ou false',
  string: 'un texte',
  array: 'une liste',
  object: 'un bloc de réglages (clé: valeur)',
};

/** One zod issue in French. zod's own texts are English; the schema's custom ones are already French. */
function issueInFrench(issue: Issue): string {
  const zodDefault = /^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message);
  if (!zodDefault) return issue.message;
  const i = issue as Issue & {
    expected?: string;
    received?: string;
    minimum?: number | bigint;
    maximum?: number | bigint;
    origin?: string;
    values?: unknown[];
    keys?: string[];
  };
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined/.test(issue.message)) return 'manque';
      return `doit être ${typeFr[i.expected ?? ''] ?? i.expected}`;
    case 'too_small':
      return i.origin === 'string'
        ? 'ne doit pas être vide'
        : i.origin === 'array'
          ? `doit compter au moins ${i.minimum} élément${Number(i.minimum) > 1 ? 's' : ''}`
          : `doit être au moins ${i.minimum}`;
    case 'too_big':
      return i.origin === 'array'
        ? `doit compter au plus ${i.maximum} éléments`
        : `doit être au plus ${i.maximum}`;
    case 'invalid_value':
      return `doit valoir ${(i.values ?? []).map((v) => String(v)).join(', ou ')}`;
    case 'unrecognized_keys':
      return `clé${(i.keys ?? []).length > 1 ? 's' : ''} inconnue${(i.keys ?? []).length > 1 ? 's' : ''} : ${(i.keys ?? []).join(', ')} (faute de frappe ? voir docs/configuration.md)`;
    default:
      return 'valeur invalide';
  }
}

function describeIssues(error: ZodError, sourceOf: (path: string) => string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .slice(1);
      const top = path.replace(/\[\d+\]$/, '');
      return `  - ${path || '(racine)'}${sourceOf(top)} : ${issueInFrench(issue)}`;
    })
    .join('\n');
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder relative paths in the config resolve against; the project root by default. */
  root?: string;
}

/**
 * Reads config/default.yaml, then the file named by CONFIG_FILE, then the
 * environment, validates the result, makes its paths absolute and freezes it.
 * Throws ConfigError with one line per problem, each naming where the bad
 * value came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const root = options.root ?? projectRoot;
  const sources = new Map<string, string>();

  let raw = readYaml(resolve(root, 'config', 'default.yaml'), 'La configuration par défaut') as Plain;
  const overrideFile = env.CONFIG_FILE?.trim();
  if (overrideFile) {
    const file = isAbsolute(overrideFile) ? overrideFile : resolve(process.cwd(), overrideFile);
    const override = readYaml(file, 'CONFIG_FILE');
    if (override != null && !isPlain(override)) {
      throw new ConfigError(`CONFIG_FILE ${file} doit contenir un bloc de réglages YAML (clé: valeur).`);
    }
    if (override) {
      const secrets = [
        'imap.password',
        'smtp.password',
        'http.password',
        'http.sessionSecret',
        'cases.familyKeySecret',
      ].filter((path) => {
        const [section, key] = path.split('.') as [string, string];
        const block = (override as Plain)[section];
        return isPlain(block) && block[key] !== undefined;
      });
      if (secrets.length) {
        throw new ConfigError(
          `CONFIG_FILE ${file} contient ${secrets.join(', ')} : les secrets ne se lisent que dans l’environnement ` +
            '(IMAP_PASSWORD, SMTP_PASSWORD, HTTP_PASSWORD, HTTP_SESSION_SECRET, CDAP_FAMILY_KEY). Retirez-les du fichier.',
        );
      }
      raw = mergeInto(raw, override);
      for (const key of Object.keys(override)) sources.set(key, `CONFIG_FILE ${file}`);
    }
  }
  for (const [name, spec] of Object.entries(envMapping)) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    const isSecret = /PASSWORD|SECRET|_KEY$/.test(name);
    const parsed = spec.list
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : spec.number
        ? Number(value)
        : spec.boolean
          ? parseBoolean(value)
          : isSecret
            ? value // a password may begin or end with a space
            : value.trim();
    setPath(raw, spec.path, parsed);
    // The value helps find a typo; a password, even inside a URL, is never shown.
    const shown = value.replace(/\/\/([^:/@]*):([^@]*)@/, '//$1:********@');
    sources.set(spec.path.join('.'), isSecret ? `variable ${name}` : `variable ${name}=« ${shown} »`);
  }
  // IMAP_MAILBOX names the folder of the first mailbox (INBOX by default).
  const mailboxPath = env.IMAP_MAILBOX?.trim();
  if (mailboxPath) {
    const list = Array.isArray(raw.mailboxes) ? [...raw.mailboxes] : [];
    list[0] = { ...(isPlain(list[0]) ? list[0] : { id: 'default' }), path: mailboxPath };
    raw.mailboxes = list;
    sources.set('mailboxes', `variable IMAP_MAILBOX=« ${mailboxPath} »`);
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `Configuration invalide :\n${describeIssues(result.error, (path) => {
        const source = sources.get(path) ?? sources.get(path.split('.')[0] ?? '');
        return source ? ` (${source})` : ' (config/default.yaml)';
      })}`,
    );
  }
  const config = withAbsolutePaths(result.data, root);
  const cdasParsed = z
    .array(cdasEntrySchema)
    .safeParse(readYaml(config.cdasDirectoryFile, 'L’annuaire des CDAS'));
  if (!cdasParsed.success) {
    throw new ConfigError(
      `Annuaire des CDAS invalide, ${config.cdasDirectoryFile} :\n${describeIssues(cdasParsed.error, () => '')}`,
    );
  }
  const cdas: CdasEntry[] = cdasParsed.data;
  checkWebLogin(config);
  return deepFreeze({ ...config, cdas, logLevelChosen: sources.has('log.level') || sources.has('log') });
}

/** Every path of the configuration, absolute: relative ones are read against `root`, once, here. */
function withAbsolutePaths<T extends SchemaConfig>(config: T, root: string): T {
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(root, path));
  return {
    ...config,
    cdasDirectoryFile: absolute(config.cdasDirectoryFile),
    replies: {
      ...config.replies,
      outboxDir: absolute(config.replies.outboxDir),
      templatesDir: absolute(config.replies.templatesDir),
    },
  };
}

function checkWebLogin(config: SchemaConfig): void {
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.http.host);
  if (!loopback && (!config.http.user || !config.http.password)) {
    throw new ConfigError(
      `Configuration invalide :\n  - http : HTTP_HOST vaut ${config.http.host}, joignable hors de cette machine, mais HTTP_USER et HTTP_PASSWORD ne sont pas tous deux définis : définissez-les, ou gardez HTTP_HOST=127.0.0.1.`,
    );
  }
}

/** Freezes `value` and everything it holds: a frozen configuration cannot drift after validation. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The one way to get a configuration that differs from the loaded one (the local
 * demo's mailbox and SMTP sink, one mailbox for a backfill, a test's short timers):
 * `change` edits a copy, which is validated again, its paths made absolute, and frozen.
 * The loaded configuration is never changed.
 */
export function amendConfig(config: Config, change: (draft: Draft<Config>) => void): Config {
  const draft = structuredClone(config) as Draft<Config>;
  change(draft);
  const { cdas, logLevelChosen, ...rest } = draft;
  const result = configSchema.safeParse(rest);
  if (!result.success) {
    throw new ConfigError(`Configuration invalide :\n${describeIssues(result.error, () => '')}`);
  }
  const amended = withAbsolutePaths(result.data, projectRoot);
  checkWebLogin(amended);
  return deepFreeze({ ...amended, cdas, logLevelChosen });
}

/**
 * The log level of a command that speaks to a person through its own output
 * (the local demo, backfill, reprocess): warnings and errors only, unless
 * LOG_LEVEL or CONFIG_FILE chose a level.
 */
export function quietLogLevel(config: Config): string {
  return config.logLevelChosen ? config.log.level : 'warn';
}

const secretKey = /password|secret|token|credential/i;

/** The configuration as printed by `cdap-triage config`: secrets masked. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (isPlain(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  if (secretKey.test(key) && value !== undefined && value !== null && value !== '') return '********';
  if (key.toLowerCase() === 'url' && typeof value === 'string') {
    // redis://user:pass@host → redis://user:********@host
    return value.replace(/\/\/([^:/@]*):([^@]*)@/, '//$1:********@');
  }
  return value;
}
