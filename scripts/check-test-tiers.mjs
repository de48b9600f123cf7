// `npm run lint:tiers`: every test file belongs to exactly one tier (unit,
// integration, faults: the projects of vitest.config.ts), so none is silently
// skipped by `npm test` and none runs twice. Vitest itself says which files each
// project holds; this compares that with the test files on disk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const TIERS = ['unit', 'integration', 'faults'];
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;
const SKIP = new Set(['node_modules', 'dist', '.git', '.tmp', 'fixtures']);

function testFilesOnDisk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFilesOnDisk(path));
    else if (entry.isFile() && TEST_FILE.test(entry.name)) out.push(relative(root, path));
  }
  return out;
}

function tiersByFile() {
  const dir = mkdtempSync(join(tmpdir(), 'cdap-tiers-'));
  try {
    const out = join(dir, 'list.json');
    const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    execFileSync(process.execPath, [vitest, 'list', '--filesOnly', `--json=${out}`], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const byFile = new Map();
    for (const { file, projectName } of JSON.parse(readFileSync(out, 'utf8'))) {
      const path = relative(root, file);
      byFile.set(path, [...(byFile.get(path) ?? []), projectName ?? '(no project)']);
    }
    return byFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const listed = tiersByFile();
const problems = [];
for (const file of testFilesOnDisk(root).sort()) {
  const tiers = listed.get(file) ?? [];
  if (tiers.length === 0) problems.push(`${file}: in no tier`);
  else if (tiers.length > 1) problems.push(`${file}: in ${tiers.length} tiers (${tiers.join(', ')})`);
}
for (const [file, tiers] of listed) {
  for (const tier of tiers) if (!TIERS.includes(tier)) problems.push(`${file}: in unknown tier ${tier}`);
}
if (problems.length) {
  console.error(
    `Each test file must be in exactly one tier (${TIERS.join(', ')}); fix the projects in vitest.config.ts:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log(`test tiers: ${listed.size} files, each in one tier`);
