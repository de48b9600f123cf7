import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/loadConfig.js';

/** Runs the built executable as a person would; `input` goes to its standard input. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'cdap-triage.js'), ...args], {
      env: { CI: 'true', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.stdin.end(input);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}
