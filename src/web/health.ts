import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import { type CheckAges, checkAges, intakeFresh, staleAfterSeconds } from '../mailbox/intakeFreshness.js';
import type { IntakeStateStore } from '../mailbox/intakeState.js';
import { createSmtpTransport, type MailTransport } from '../replies/smtpTransport.js';

export interface IntakeHealth {
  /** Every mailbox was checked by some replica within staleAfterSeconds. */
  fresh: boolean;
  secondsSinceLastCheck: CheckAges;
}

/** The checks behind /readyz and the cdap_connection_up gauges. */
export interface Health {
  redis(): Promise<boolean>;
  /** PostgreSQL answers a trivial query within DATABASE_CHECK_TIMEOUT_MS. */
  database(): Promise<boolean>;
  smtp(): Promise<boolean>;
  /**
   * The mailboxes count as reachable when some replica checked them lately:
   * only the one holding a mailbox's lease connects to it.
   */
  intake(): Promise<IntakeHealth>;
}

const SMTP_VERIFY_EVERY_MS = 30_000;
const SMTP_VERIFY_TIMEOUT_MS = 5000;
/** Short: a database that takes longer to answer SELECT 1 is not serving triage either. */
const DATABASE_CHECK_TIMEOUT_MS = 2000;

/**
 * The health of this process's servers. SMTP counts only when replies go out
 * (live): it is verified on `transport` (the reply worker's) or, in a process
 * without one, on a transport of its own, closed by close(); at most every 30 s.
 */
export function createHealth(deps: {
  config: Config;
  redis: Redis;
  db: Database;
  state: IntakeStateStore;
  transport: MailTransport | null;
}): Health & { close(): void } {
  const { config } = deps;
  const own =
    !deps.transport && config.replies.mode === 'live' && config.smtp.host
      ? createSmtpTransport(config.smtp)
      : null;
  const verifier = deps.transport ?? own;
  let smtpVerified = { at: 0, ok: false };
  const staleAfter = staleAfterSeconds(config.intake);
  return {
    redis: async () => (await deps.redis.ping()) === 'PONG',
    async database() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), DATABASE_CHECK_TIMEOUT_MS);
      });
      const answered = sql`SELECT 1`.execute(deps.db).then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([answered, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async smtp() {
      if (!verifier) return true;
      if (Date.now() - smtpVerified.at > SMTP_VERIFY_EVERY_MS) {
        const ok = await Promise.race([
          verifier.verify().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((r) => setTimeout(() => r(false), SMTP_VERIFY_TIMEOUT_MS).unref()),
        ]);
        smtpVerified = { at: Date.now(), ok };
      }
      return smtpVerified.ok;
    },
    async intake() {
      const ages = await checkAges(deps.state, config.mailboxes);
      return { fresh: intakeFresh(ages, staleAfter), secondsSinceLastCheck: ages };
    },
    close: () => own?.close(),
  };
}
