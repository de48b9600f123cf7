import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../src/config/loadConfig.js';

describe('benchmark smoke (npm run bench at tiny sizes, no timing asserts)', () => {
  it('runs every measure on its own servers and loses no mail', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cdap-bench-')), 'results.json');
    const { code, tail } = await new Promise<{ code: number | null; tail: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(projectRoot, 'bench', 'run.mjs'), '--smoke', '--out', out],
        {
          env: { ...process.env, CI: 'true' },
        },
      );
      let text = '';
      child.stdout.on('data', (c) => {
        text = (text + c).slice(-4000);
      });
      child.stderr.on('data', (c) => {
        text = (text + c).slice(-4000);
      });
      child.on('exit', (c) => resolve({ code: c, tail: text }));
    });
    expect({ code, tail: code === 0 ? '' : tail }).toEqual({ code: 0, tail: '' });
  }, 360_000); // Under a minute alone; a machine shared with other test runs has taken three.
});
