import { z } from 'zod';

// The configuration is validated once per process: compiling zod's fast
// validators would cost more than it saves, at every command's start.
z.config({ jitless: true });

/** A mail address, normalised to lower case. */
const mailAddress = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/, 'n’est pas une adresse électronique (nom@domaine.fr attendu)');

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'n’est pas un nom de domaine (par exemple ille-et-vilaine.fr)');

export const cdasEntrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'ne doit contenir que des minuscules, des chiffres ou des tirets'),
  name: z.string().min(1),
  address: mailAddress,
  aliases: z.array(z.string().min(2)).default([]),
});

export const configSchema = z.strictObject({
  relaySenders: z.array(mailAddress).default([]),
  allowedDomains: z
    .array(domain)
    .min(1, 'il faut au moins un domaine, sinon personne ne recevrait de réponse'),
  cdasDirectoryFile: z.string().min(1),
  analysis: z.strictObject({
    maxMessageBytes: z.number().int().positive(),
    maxHtmlLength: z.number().int().positive(),
    timeLimitMs: z.number().int().positive(),
    urgentUnpaidMonths: z.number().int().min(1).max(24),
    /** Analyse in worker threads, so a mail that hangs or crashes the analyzer is stopped alone. */
    isolate: z.boolean(),
    /** Analysis threads per process (each costs ~40 MB of memory). */
    threads: z.number().int().min(1).max(64),
    /** A worker still analysing one mail after this long is stopped; the mail is flagged unreadable. */
    hardTimeLimitMs: z.number().int().positive(),
    /** Heap limit of each analysis thread, in MB. */
    workerMaxHeapMb: z.number().int().min(32),
  }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }),
  redis: z.strictObject({
    url: z
      .string()
      .regex(
        /^rediss?:\/\//,
        'doit être une adresse redis:// ou rediss://, par exemple redis://127.0.0.1:6379',
      ),
    /** Prefix of every BullMQ and cdap-triage key, so several deployments can share one Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'ne doit contenir que des lettres, des chiffres, « _ », « . » et « - »'),
  }),
  database: z.strictObject({
    /** Empty: the local server, postgres://postgres@127.0.0.1:5432/cdap, the database created if missing. */
    url: z
      .string()
      .refine(
        (v) => v === '' || /^postgres(ql)?:\/\//.test(v),
        'doit être vide ou une adresse postgres://, par exemple postgres://cdap@127.0.0.1:5432/cdap',
      ),
    /** The schema of the service's tables, so several deployments (or test runs) can share one database. */
    schema: z
      .string()
      .regex(
        /^[a-z_][a-z0-9_]{0,62}$/,
        'doit être un nom de schéma PostgreSQL : minuscules, chiffres et « _ », 63 au plus',
      ),
    /** Connections per process. */
    poolSize: z.number().int().min(2).max(200),
    /** A query that runs longer is cancelled (a slow query must not hold a connection forever). */
    statementTimeoutMs: z.number().int().min(100),
    /** How long to wait for a free connection of the pool before the operation fails (and is retried). */
    connectionTimeoutMs: z.number().int().min(100),
  }),
  imap: z.strictObject({
    /** Empty: `run` starts a local Dovecot with demo mail instead. */
    host: z.string().default(''),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean(),
    user: z.string().default(''),
    password: z.string().default(''),
    tlsRejectUnauthorized: z.boolean(),
  }),
  /** The mailboxes to watch; one intake per mailbox across all replicas. */
  mailboxes: z
    .array(
      z.strictObject({
        id: z
          .string()
          .regex(/^[a-z0-9-]+$/, 'ne doit contenir que des minuscules, des chiffres ou des tirets'),
        path: z.string().min(1),
      }),
    )
    .min(1, 'il faut au moins une boîte à relever'),
  folders: z.strictObject({
    parent: z.string().min(1),
    priority: z.string().min(1),
    standard: z.string().min(1),
    quarantine: z.string().min(1),
    ignored: z.string().min(1),
    errors: z.string().min(1),
    /** IMAP keyword set on urgent mail, where the server allows keywords. */
    urgentKeyword: z.string().regex(/^\$?[A-Za-z0-9_-]+$/, 'doit être un mot-clé IMAP, comme $CdapUrgent'),
  }),
  intake: z.strictObject({
    reconcileIntervalMs: z.number().int().min(1000),
    /** Mail larger than this (RFC822.SIZE) is not downloaded: it becomes a quarantined case. */
    maxDownloadBytes: z.number().int().positive(),
    batchSize: z.number().int().min(1).max(1000),
    leaseTtlMs: z.number().int().min(2000),
    /** After a connection fails, wait at most this long before the next attempt. */
    maxBackoffMs: z.number().int().min(100),
    /** A NOOP that takes longer than this means the connection is dead. */
    watchdogTimeoutMs: z.number().int().min(500),
    watchdogIntervalMs: z.number().int().min(1000),
    /** A connection silent this long (no answer to anything) is closed and reopened. */
    socketTimeoutMs: z.number().int().min(2000),
    /** Mail received longer ago than this is triaged and filed but never answered (backfill). */
    replyMaxAgeHours: z.number().positive(),
    /**
     * A mail leaves the inbox only this long after its case was committed.
     * auto: 0, a PostgreSQL commit being durable; a number, for instance a replica's lag.
     */
    filingDelayMs: z.union([z.literal('auto'), z.number().int().min(0)]),
    /** Filed mail received within this many days is checked for a lost case (reconciliation). */
    reconcileFiledDays: z.number().int().min(1),
  }),
  triage: z.strictObject({
    concurrency: z.number().int().min(1).max(200),
    /** How long a job may run before BullMQ considers its worker dead and gives it to another. */
    lockDurationMs: z.number().int().min(1000),
  }),
  cases: z.strictObject({
    retentionDays: z.number().int().min(1),
    standardDueDays: z.number().int().min(1),
    standardWarningDays: z.number().int().min(1),
    urgentDueWorkingDays: z.number().int().min(1),
    /** How often the outbox is swept for intents a crash or a Redis restart left undispatched. */
    outboxSweepMs: z.number().int().min(100),
    /**
     * Secret of the family's keys (HMAC of allocataire numbers and NIRs), from
     * CDAP_FAMILY_KEY only. Empty: cases are not linked to their family's history.
     */
    familyKeySecret: z.string().default(''),
  }),
  answers: z.strictObject({
    /** Watch the mailbox for the CAF's answers (sent folders, \\Answered on filed mail). */
    watch: z.boolean(),
    /**
     * Folders holding the technicians' sent mail, as the server names them. Empty: the
     * folder the server marks special-use \\Sent.
     */
    sentFolders: z.array(z.string().min(1)),
    /** How often the watcher looks for new answers. */
    pollMs: z.number().int().min(200),
    /** A case answered this many days ago, with no follow-up since, is closed automatically. */
    autoCloseDays: z.number().int().min(1),
    /** Sent mail larger than this is matched on its headers only (its answer is not checked). */
    maxAnswerBytes: z.number().int().min(1024),
  }),
  replies: z.strictObject({
    /** live: send; shadow: render and store in outboxDir without sending; off: nothing. */
    mode: z.enum(['live', 'shadow', 'off']),
    from: z.string().min(3, 'doit nommer l’expéditeur, par exemple « CAF 35 <partenaires@caf35.fr> »'),
    signature: z.string().min(1),
    outboxDir: z.string().min(1),
    templatesDir: z.string().min(1),
    perRecipientPerHour: z.number().int().min(1),
    perRecipientPerDay: z.number().int().min(1),
    sameSubjectPerDay: z.number().int().min(1),
    /** Temporary SMTP failures are retried for this long, then the reply fails. */
    maxRetryHours: z.number().positive(),
    /** First retry delay of a temporary SMTP failure; doubles up to an hour. */
    retryBaseMs: z.number().int().min(10),
    concurrency: z.number().int().min(1).max(50),
    /**
     * A reply found 'pending' (a send began, its end was never recorded) is sent again only this
     * long after the send began: its sender may still be waiting out a Redis outage to record it.
     */
    pendingGraceMs: z.number().int().min(100),
    /** Life of a case's reply lock, renewed every third of it while the send runs: a dead sender's lock frees within it. */
    lockTtlMs: z.number().int().min(1000),
  }),
  smtp: z.strictObject({
    /** Empty: `run` starts a local SMTP sink that stores replies as .eml files. */
    host: z.string().default(''),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean(),
    user: z.string().default(''),
    password: z.string().default(''),
    tlsRejectUnauthorized: z.boolean(),
    maxConnections: z.number().int().min(1),
    /** Outbound rate limit, messages per second across the pool. */
    maxMessagesPerSecond: z.number().int().min(1),
    timeoutMs: z.number().int().min(1000),
  }),
  http: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Dashboard login; required when the web is reachable beyond loopback. */
    user: z.string().default(''),
    password: z.string().default(''),
    /** Signs session cookies; a random one per process when empty (sessions end at restart). */
    sessionSecret: z.string().default(''),
    sessionHours: z.number().positive(),
    /** A session unused this long ends, before its sessionHours. */
    idleMinutes: z.number().positive().default(30),
    /** Administrators may retry/remove jobs in Bull Board only when this is true; nobody else ever may. */
    queueAdminWrites: z.boolean(),
    loginAttemptsPerMinute: z.number().int().min(1),
    /** Failed logins are counted over this window; a lock lasts until it ends. */
    loginWindowSeconds: z.number().int().min(1).default(60),
    /** Proxies whose X-Forwarded-* headers are believed: false, true (any), or their addresses/CIDRs. */
    trustProxy: z.union([z.boolean(), z.array(z.string().min(1))]).default(false),
    /** Origins besides the dashboard's own allowed to send state-changing requests, e.g. https://cdap.caf35.fr. */
    allowedOrigins: z
      .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as https://cdap.example.fr'))
      .default([]),
  }),
  senderVerification: z.strictObject({
    /** off; authentication-results: trust our MTA's header; mailauth: verify DKIM/SPF/DMARC here. */
    mode: z.enum(['off', 'authentication-results', 'mailauth']),
    authservId: z.string().default(''),
    /** mailauth: take the client IP and HELO from the topmost Received header (added by our MTA). */
    trustReceived: z.boolean(),
    /** Live replies with no verification answer forged partners: only when someone chose so. */
    acknowledgeOff: z.boolean().default(false),
  }),
  shutdownTimeoutMs: z.number().int().min(100),
});

export type CdasEntry = DeepReadonly<z.infer<typeof cdasEntrySchema>>;

/** The validated settings, as the schema gives them. */
export type SchemaConfig = z.infer<typeof configSchema>;

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** A mutable copy of a frozen value (see amendConfig). */
export type Draft<T> = T extends readonly (infer E)[]
  ? Draft<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;

/**
 * The configuration of a process: loaded, validated, its paths absolute, then
 * frozen (loadConfig). A different one is made with amendConfig, never by assignment.
 */
export type Config = DeepReadonly<
  SchemaConfig & {
    /** The CDAS directory read from `cdasDirectoryFile`. */
    cdas: CdasEntry[];
    /** LOG_LEVEL or CONFIG_FILE chose the log level (else config/default.yaml's applies). */
    logLevelChosen: boolean;
  }
>;
