import { senderVerificationProblem } from './checkSenderVerification.js';
import { ConfigError } from './loadConfig.js';
import type { Config } from './schema.js';

/**
 * Refuses, before anything starts, a configuration a process with workers
 * cannot run: live replies with no relay, or unverified senders answered live.
 */
export function assertServiceConfig(config: Config, options: { workers: boolean; localDemo: boolean }): void {
  if (!options.workers) return;
  if (config.replies.mode === 'live' && !config.smtp.host) {
    throw new ConfigError(
      'REPLY_MODE vaut live mais SMTP_HOST n’est pas défini : définissez SMTP_HOST, ou REPLY_MODE=shadow pour garder les réponses sans les envoyer.',
    );
  }
  const problem = senderVerificationProblem(config, options.localDemo);
  if (problem) throw new ConfigError(problem);
}
