import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { amendConfig, ConfigError, loadConfig, projectRoot, quietLogLevel } from './loadConfig.js';
import type { Config } from './schema.js';

/** Every string the configuration holds, with its path. */
function* strings(value: unknown, path = ''): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) yield* strings(v, `${path}.${k}`);
}

describe('the loaded configuration', () => {
  it('is frozen all the way down: an assignment throws (ES modules are strict)', () => {
    const config = loadConfig({ env: {} });
    const loose = config as unknown as { imap: { host: string }; mailboxes: unknown[]; replies: object };
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      loose.imap.host = 'imap.elsewhere.example';
    }).toThrow(TypeError);
    expect(() => loose.mailboxes.push({ id: 'other', path: 'INBOX' })).toThrow(TypeError);
    expect(() => Object.assign(loose.replies, { mode: 'live' })).toThrow(TypeError);
    expect(config.imap.host).toBe('');
    expect(config.mailboxes).toHaveLength(1);
  });

  it('holds absolute paths, resolved against the project root, whoever started it where', () => {
    const config = loadConfig({ env: {} });
    for (const path of [config.cdasDirectoryFile, config.replies.outboxDir, config.replies.templatesDir]) {
      expect(isAbsolute(path), path).toBe(true);
      expect(path.startsWith(projectRoot), path).toBe(true);
    }
    expect(config.replies.templatesDir).toBe(join(projectRoot, 'config', 'templates'));
  });

  it('keeps an absolute path as given', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cdap-config-')), 'override.yaml');
    writeFileSync(file, 'replies:\n  outboxDir: /var/lib/cdap-triage/outbox\n');
    expect(loadConfig({ env: { CONFIG_FILE: file } }).replies.outboxDir).toBe('/var/lib/cdap-triage/outbox');
  });

  it('says whether the log level was chosen; a command that speaks to a person is quiet otherwise', () => {
    const byDefault = loadConfig({ env: {} });
    expect(quietLogLevel(byDefault)).toBe('warn');
    const chosen = loadConfig({ env: { LOG_LEVEL: 'info' } });
    expect(chosen.logLevelChosen).toBe(true);
    expect(quietLogLevel(chosen)).toBe('info');
  });
});

describe('amendConfig', () => {
  it('returns a new frozen configuration and leaves the loaded one as it was', () => {
    const loaded = loadConfig({ env: {} });
    const amended = amendConfig(loaded, (c) => {
      c.imap = { ...c.imap, host: '127.0.0.1', port: 1143 };
      c.replies.outboxDir = '.tmp/elsewhere';
    });
    expect(amended).not.toBe(loaded);
    expect(amended.imap).toMatchObject({ host: '127.0.0.1', port: 1143 });
    expect(amended.replies.outboxDir).toBe(join(projectRoot, '.tmp', 'elsewhere'));
    expect(loaded.imap.host).toBe('');
    expect(Object.isFrozen(amended.imap)).toBe(true);
    expect(amended.cdas).toEqual(loaded.cdas);
    const everyPath = (c: Config) => [...strings(c)].filter(([p]) => /Dir$|File$/.test(p));
    for (const [path, value] of everyPath(amended)) expect(isAbsolute(value), path).toBe(true);
  });

  it('validates the change like a loaded value', () => {
    const loaded = loadConfig({ env: {} });
    expect(() =>
      amendConfig(loaded, (c) => {
        c.imap.port = 0;
      }),
    ).toThrow(ConfigError);
    expect(() =>
      amendConfig(loaded, (c) => {
        c.http.host = '0.0.0.0';
      }),
    ).toThrow(/HTTP_USER et HTTP_PASSWORD/);
  });
});
