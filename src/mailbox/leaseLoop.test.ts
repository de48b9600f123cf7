import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log.js';
import { connectionFailureLevel, LeaseLoop, type SessionProgress } from './leaseLoop.js';
import type { MailboxLease } from './mailboxLease.js';

const STALE_MS = 3000;
const config = { intake: { leaseTtlMs: 3000, maxBackoffMs: 200, reconcileIntervalMs: STALE_MS / 3 } };
const heldLease = { renew: async () => true, acquire: async () => true } as unknown as MailboxLease;

interface Line {
  level: number;
  event: string;
  failingForMs?: number;
  err?: { message: string; stack?: string };
}

function recorder(): { log: ReturnType<typeof createLogger>; failures: () => Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return {
    log: createLogger({ level: 'info', stream }),
    failures: () => lines.filter((l) => l.event === 'intake.connection_failed'),
  };
}

const WARN = 40;
const ERROR = 50;
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1143'), { code: 'ECONNREFUSED' });
const loginRefused = () => Object.assign(new Error('Authentication failed'), { authenticationFailed: true });

describe('connectionFailureLevel', () => {
  it('a retry is a warning until the mailbox has gone unwatched for its stale limit', () => {
    expect(connectionFailureLevel(0, STALE_MS, false)).toBe('warn');
    expect(connectionFailureLevel(STALE_MS - 1, STALE_MS, false)).toBe('warn');
    expect(connectionFailureLevel(STALE_MS, STALE_MS, false)).toBe('error');
  });

  it('a failure no retry can fix is an error at once', () => {
    expect(connectionFailureLevel(0, STALE_MS, true)).toBe('error');
  });
});

describe('LeaseLoop: reconnect attempts and their log level', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an outage logs warnings, then errors once it lasts past the stale limit; the error is under err with its stack', async () => {
    const { log, failures } = recorder();
    const loop = new LeaseLoop(
      { config, mailbox: { id: 'caf35' }, lease: heldLease, log },
      {
        session: async () => {
          throw refused();
        },
        fatal: () => {},
      },
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(2 * STALE_MS);
    loop.halt();
    await loop.done;

    const seen = failures();
    const levels = seen.map((l) => l.level);
    const firstError = levels.indexOf(ERROR);
    expect(levels[0]).toBe(WARN);
    expect(firstError).toBeGreaterThan(0);
    // Warnings first, then only errors: the outage never goes back to looking harmless.
    expect(levels.slice(0, firstError).every((l) => l === WARN)).toBe(true);
    expect(levels.slice(firstError).every((l) => l === ERROR)).toBe(true);
    expect(seen[firstError - 1]?.failingForMs).toBeLessThan(STALE_MS);
    expect(seen[firstError]?.failingForMs).toBeGreaterThanOrEqual(STALE_MS);
    expect(seen[0]?.err?.message).toContain('ECONNREFUSED');
    expect(seen[0]?.err?.stack).toContain('Error');
  });

  it('a session that watched the mailbox ends the run of failures: the next one is a warning again', async () => {
    const { log, failures } = recorder();
    let watching = false;
    const loop = new LeaseLoop(
      { config, mailbox: { id: 'caf35' }, lease: heldLease, log },
      {
        session: async (progress: SessionProgress) => {
          if (!watching) throw refused();
          watching = false;
          progress.connected();
          progress.opened();
        },
        fatal: () => {},
      },
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(STALE_MS + 1000);
    expect(failures().at(-1)?.level).toBe(ERROR);
    watching = true;
    await vi.advanceTimersByTimeAsync(1000);
    loop.halt();
    await loop.done;
    const levels = failures().map((l) => l.level);
    const after = levels.slice(levels.lastIndexOf(ERROR) + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]).toBe(WARN);
  });

  it('a refused login on the first connection is an error and fatal; after a connection it is an error only', async () => {
    const { log, failures } = recorder();
    const fatal = vi.fn();
    let connectedOnce = false;
    const loop = new LeaseLoop(
      { config, mailbox: { id: 'caf35' }, lease: heldLease, log },
      {
        session: async (progress: SessionProgress) => {
          if (connectedOnce) progress.connected();
          throw loginRefused();
        },
        fatal,
      },
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(50);
    expect(fatal).toHaveBeenCalledTimes(1);
    expect(failures()[0]?.level).toBe(ERROR);
    connectedOnce = true;
    await vi.advanceTimersByTimeAsync(1000);
    loop.halt();
    await loop.done;
    expect(failures().length).toBeGreaterThan(1);
    expect(failures().every((l) => l.level === ERROR)).toBe(true);
    // Only the attempt before any connection counts as a configuration error.
    expect(fatal).toHaveBeenCalledTimes(1);
  });
});
