// The command line's answer time (issue 16): how long `node bin/cdap-triage.js …`
// takes, process start to exit, for the commands a person types and waits on.
// Part of `npm run bench`; alone: `node bench/cli.mjs [--runs N] [--json]`
// (or `npm run bench -- cli`). Uses the dist/ already built.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { root } from './lib/paths.mjs';
import { percentile, round, table } from './lib/stats.mjs';

/** Targets on an idle machine, in ms (issue 16). */
export const CLI_TARGETS = { help: 300, analyze: 500, lint: 500 };

const DRAFT = `Bonjour,

Motif(s) de la demande : le RSA de la personne est suspendu depuis le 05/08.
Prestation(s) concernée(s) : RSA
Commentaire : merci de vérifier la déclaration trimestrielle.
Spécificités : aucune

Cordialement
`;

function timeOnce(args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(root, 'bin', 'cdap-triage.js'), ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // lint exits 1 when the draft has something to correct; anything else is a failure.
      if (code !== 0 && code !== 1) reject(new Error(`cdap-triage ${args.join(' ')} exited ${code}: ${err}`));
      else resolve(ms);
    });
  });
}

/**
 * Median (and spread) of `runs` runs of each command, alternated so that a
 * burst of load on the machine hits every command alike. The shebang's Node
 * flags apply, as when a person types the command.
 */
export async function measureCli({ runs = 10 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cdap-bench-cli-'));
  const draft = join(dir, 'brouillon.txt');
  writeFileSync(draft, DRAFT);
  // What a person's shell has: no CI, no LOG_LEVEL, the default configuration.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir };
  const commands = {
    help: ['--help'],
    analyze: ['analyze', 'fixtures/form-urgent-rsa-substantiated.eml'],
    lint: ['lint', draft],
  };
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  const loadBefore = loadavg()[0];
  try {
    // One warm-up round: the first run pays for the disk cache, not for our code.
    for (const args of Object.values(commands)) await timeOnce(args, env);
    for (let i = 0; i < runs; i++) {
      for (const [name, args] of Object.entries(commands)) samples[name].push(await timeOnce(args, env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = { runs, loadAverage1m: round(loadBefore, 2), commands: {} };
  for (const [name, args] of Object.entries(commands)) {
    const s = samples[name];
    result.commands[name] = {
      command: `node bin/cdap-triage.js ${args.join(' ').replace(draft, 'brouillon.txt')}`,
      medianMs: round(percentile(s, 50)),
      minMs: round(Math.min(...s)),
      maxMs: round(Math.max(...s)),
      targetMs: CLI_TARGETS[name],
    };
  }
  return result;
}

export function cliRows(cli) {
  return Object.values(cli.commands).map((c) => [
    'cli',
    `${c.command}: median (min-max) of ${cli.runs}`,
    `${c.medianMs} ms (${c.minMs}-${c.maxMs})`,
    `<= ${c.targetMs}`,
    `${round(c.targetMs / c.medianMs, 2)}×`,
    c.medianMs <= c.targetMs ? 'PASS' : 'FAIL',
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
  });
  const cli = await measureCli({ runs: Number(values.runs) });
  if (values.json) process.stdout.write(`${JSON.stringify(cli, null, 2)}\n`);
  else {
    process.stdout.write(`${table(['measure', 'what', 'value', 'target', 'vs target', ''], cliRows(cli))}\n`);
    process.stdout.write(
      `load average (1 min) at start: ${cli.loadAverage1m}; the targets hold for an idle machine.\n`,
    );
  }
}
