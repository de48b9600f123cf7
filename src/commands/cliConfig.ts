import { amendConfig, ConfigError, loadConfig, maskSecrets } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import { frenchTypography } from './french.js';

/** The invented CDAP form robot the demo mails come from (fixtures/). */
export const DEMO_RELAY_SENDER = 'cdap-formulaire@caf35.example.fr';

/**
 * The defaults of the local setup (no IMAP_HOST), the same for every command:
 * without CDAP_RELAY_SENDERS the form robot is the demo's, so `analyze` of a
 * fixture reads it as `run` does. A real deployment sets IMAP_HOST and its
 * own relay, and gets no invented default.
 */
export function withLocalDefaults(config: Config): Config {
  if (config.imap.host || config.relaySenders.length > 0) return config;
  return amendConfig(config, (c) => {
    c.relaySenders = [DEMO_RELAY_SENDER];
  });
}

/** The configuration, or exit 78 (EX_CONFIG) with one French line per problem. */
export function configOrExit(): Config {
  try {
    return withLocalDefaults(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(frenchTypography(`cdap-triage : ${err.message}\n`));
      process.exit(78);
    }
    throw err;
  }
}

export async function printConfig(format: 'yaml' | 'json'): Promise<void> {
  const { cdas, logLevelChosen: _chosen, ...config } = configOrExit();
  const shown = maskSecrets({ ...config, cdas: `${cdas.length} CDAS` });
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return;
  }
  const { stringify } = await import('yaml');
  process.stdout.write(stringify(shown));
}
