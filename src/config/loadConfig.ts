import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { z } from 'zod';
import { type CdasEntry, type Config, cdasEntrySchema, configSchema } from './schema.js';

/** The project root: both src/config and dist/config sit two levels below it. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables and the config key each one sets. */
const envMapping: Record<string, { path: string[]; list?: boolean; number?: boolean; boolean?: boolean }> = {
  CDAP_RELAY_SENDERS: { path: ['relaySenders'], list: true },
  CDAP_ALLOWED_DOMAINS: { path: ['allowedDomains'], list: true },
  LOG_LEVEL: { path: ['log', 'level'] },
  REDIS_URL: { path: ['redis', 'url'] },
  QUEUE_PREFIX: { path: ['redis', 'prefix'] },
  IMAP_HOST: { path: ['imap', 'host'] },
  IMAP_PORT: { path: ['imap', 'port'], number: true },
  IMAP_SECURE: { path: ['imap', 'secure'], boolean: true },
  IMAP_USER: { path: ['imap', 'user'] },
  IMAP_PASSWORD: { path: ['imap', 'password'] },
  IMAP_TLS_REJECT_UNAUTHORIZED: { path: ['imap', 'tlsRejectUnauthorized'], boolean: true },
  TRIAGE_CONCURRENCY: { path: ['triage', 'concurrency'], number: true },
  REPLY_MODE: { path: ['replies', 'mode'] },
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
    throw new ConfigError(`${what} ${file} cannot be read: ${(cause as Error).message}`, { cause });
  }
  try {
    return parseYaml(text);
  } catch (cause) {
    throw new ConfigError(`${what} ${file} is not valid YAML: ${(cause as Error).message}`, { cause });
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

function describeIssues(error: ZodError, sourceOf: (path: string) => string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .slice(1);
      const top = path.replace(/\[\d+\]$/, '');
      return `  - ${path || '(root)'}${sourceOf(top)}: ${issue.message}`;
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
 * environment, and validates the result. Throws ConfigError with one line per
 * problem, each naming where the bad value came from.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const root = options.root ?? projectRoot;
  const sources = new Map<string, string>();

  let raw = readYaml(resolve(root, 'config', 'default.yaml'), 'The default configuration') as Plain;
  const overrideFile = env.CONFIG_FILE?.trim();
  if (overrideFile) {
    const file = isAbsolute(overrideFile) ? overrideFile : resolve(process.cwd(), overrideFile);
    const override = readYaml(file, 'CONFIG_FILE');
    if (override != null && !isPlain(override)) {
      throw new ConfigError(`CONFIG_FILE ${file} must hold a YAML mapping of settings (key: value).`);
    }
    if (override) {
      const secrets = ['imap.password', 'smtp.password', 'http.password', 'http.sessionSecret'].filter(
        (path) => {
          const [section, key] = path.split('.') as [string, string];
          const block = (override as Plain)[section];
          return isPlain(block) && block[key] !== undefined;
        },
      );
      if (secrets.length) {
        throw new ConfigError(
          `CONFIG_FILE ${file} holds ${secrets.join(', ')}: secrets are read only from the environment ` +
            '(IMAP_PASSWORD, SMTP_PASSWORD, HTTP_PASSWORD, HTTP_SESSION_SECRET). Remove them from the file.',
        );
      }
      raw = mergeInto(raw, override);
      for (const key of Object.keys(override)) sources.set(key, `CONFIG_FILE ${file}`);
    }
  }
  for (const [name, spec] of Object.entries(envMapping)) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    const isSecret = /PASSWORD|SECRET/.test(name);
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
    sources.set(spec.path.join('.'), `env ${name}`);
  }
  // IMAP_MAILBOX names the folder of the first mailbox (INBOX by default).
  const mailboxPath = env.IMAP_MAILBOX?.trim();
  if (mailboxPath) {
    const list = Array.isArray(raw.mailboxes) ? [...raw.mailboxes] : [];
    list[0] = { ...(isPlain(list[0]) ? list[0] : { id: 'default' }), path: mailboxPath };
    raw.mailboxes = list;
    sources.set('mailboxes', 'env IMAP_MAILBOX');
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      `Invalid configuration:\n${describeIssues(result.error, (path) => {
        const source = sources.get(path) ?? sources.get(path.split('.')[0] ?? '');
        return source ? ` (from ${source})` : ' (from config/default.yaml)';
      })}`,
    );
  }
  const config = result.data;
  const cdasFile = isAbsolute(config.cdasDirectoryFile)
    ? config.cdasDirectoryFile
    : resolve(root, config.cdasDirectoryFile);
  const cdasParsed = z.array(cdasEntrySchema).safeParse(readYaml(cdasFile, 'The CDAS directory'));
  if (!cdasParsed.success) {
    throw new ConfigError(
      `Invalid CDAS directory ${cdasFile}:\n${describeIssues(cdasParsed.error, () => '')}`,
    );
  }
  const cdas: CdasEntry[] = cdasParsed.data;
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.http.host);
  if (!loopback && (!config.http.user || !config.http.password)) {
    throw new ConfigError(
      `Invalid configuration:\n  - http: HTTP_HOST is ${config.http.host}, reachable beyond this machine, but HTTP_USER and HTTP_PASSWORD are not both set: set them, or keep HTTP_HOST=127.0.0.1.`,
    );
  }
  return { ...config, cdas };
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
