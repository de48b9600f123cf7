import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/loadConfig.js';

/**
 * What the local demo keeps between two starts, all under `.tmp/`: its login
 * (so a restart neither changes it nor logs anyone out), the cases already
 * shown (so a restart shows only what is new), and the pid of a running demo
 * (so `demo --reinitialiser` can stop it).
 */
export class DemoState {
  readonly dir: string;

  constructor(readonly tmpDir: string) {
    this.dir = join(tmpDir, 'demo');
  }

  get dovecotDir(): string {
    return join(this.tmpDir, 'dovecot');
  }

  get sentDir(): string {
    return join(this.tmpDir, 'sent');
  }

  private file(name: string): string {
    return join(this.dir, name);
  }

  private readJson<T>(name: string): T | null {
    try {
      return JSON.parse(readFileSync(this.file(name), 'utf8')) as T;
    } catch {
      return null;
    }
  }

  private writeJson(name: string, value: unknown, mode = 0o644): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file(name), `${JSON.stringify(value)}\n`, { mode });
    chmodSync(this.file(name), mode);
  }

  /** The demo dashboard login and session secret: made once, then reused. Readable by its owner only. */
  login(): { user: string; password: string; sessionSecret: string } {
    const saved = this.readJson<{ user?: string; password?: string; sessionSecret?: string }>('login.json');
    if (saved?.user && saved.password && saved.sessionSecret) {
      return { user: saved.user, password: saved.password, sessionSecret: saved.sessionSecret };
    }
    const login = {
      user: 'admin',
      password: randomBytes(9).toString('base64url'),
      sessionSecret: randomBytes(32).toString('base64url'),
    };
    this.writeJson('login.json', login, 0o600);
    return login;
  }

  /** References already shown by an earlier start. */
  seenRefs(): Set<string> {
    return new Set(this.readJson<string[]>('seen-refs.json') ?? []);
  }

  saveSeenRefs(refs: Iterable<string>): void {
    this.writeJson('seen-refs.json', [...refs]);
  }

  writePid(pid: number): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file('run.pid'), `${pid}\n`);
  }

  clearPid(pid: number): void {
    if (this.readPid() === pid) rmSync(this.file('run.pid'), { force: true });
  }

  private readPid(): number | null {
    try {
      const pid = Number(readFileSync(this.file('run.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** The pid of a demo `run` still alive, checked by its command line (pids get reused). */
  runningPid(): number | null {
    const pid = this.readPid();
    if (!pid) return null;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('cdap-triage') || cmdline.includes('cli.js') ? pid : null;
    } catch {
      return null;
    }
  }

  /**
   * Forgets the demo's mailbox, replies and shown cases; keeps the login.
   * The Dovecot must be stopped first (its files are removed).
   */
  forgetMailAndCases(): void {
    rmSync(this.dovecotDir, { recursive: true, force: true });
    rmSync(this.sentDir, { recursive: true, force: true });
    rmSync(this.file('seen-refs.json'), { force: true });
  }

  exists(): boolean {
    return existsSync(this.dovecotDir) || existsSync(this.dir);
  }
}

/** The demo's state in this checkout's .tmp/. */
export const demoState = (): DemoState => new DemoState(join(projectRoot, '.tmp'));
