import type { Config } from '../config/schema.js';
import type { AnalyzerSettings } from './analyzeMail.js';

/** The analyzer's settings, taken from the validated configuration. */
export function analyzerSettings(config: Config): AnalyzerSettings {
  return {
    relaySenders: config.relaySenders,
    allowedDomains: config.allowedDomains,
    cdas: config.cdas,
    limits: {
      maxMessageBytes: config.analysis.maxMessageBytes,
      maxHtmlLength: config.analysis.maxHtmlLength,
      timeLimitMs: config.analysis.timeLimitMs,
    },
    urgentUnpaidMonths: config.analysis.urgentUnpaidMonths,
    trustedAuthservId:
      config.senderVerification.mode === 'authentication-results' &&
      config.senderVerification.authservId.trim() !== ''
        ? config.senderVerification.authservId
        : null,
  };
}
