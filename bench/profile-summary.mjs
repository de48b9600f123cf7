// Where a service process spent its CPU, from a profile of `npm run bench -- --cpu-prof`:
// self time by package (or dist/ folder) and by function. Usage:
//   node bench/profile-summary.mjs bench/profiles/<run>/<file>.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
if (positionals.length === 0) {
  process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const top = Number(values.top);

/** What a frame belongs to: the npm package, our compiled folder, Node itself, or V8's own work. */
function owner(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ours = /\/dist\/([^/]+)(?:\/|\.js)/.exec(url);
  if (ours) return `dist/${ours[1]}`;
  if (url.startsWith('node:')) return 'node (core)';
  return url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = profile.endTime - profile.startTime;
  const byOwner = new Map();
  const byFunction = new Map();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (!us) continue;
    const f = node.callFrame;
    const who = owner(f);
    if (who !== '(idle)') busyUs += us;
    byOwner.set(who, (byOwner.get(who) ?? 0) + us);
    const key = `${f.functionName || '(anonymous)'}  ${who}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const pct = (us) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
  process.stdout.write(
    `\n${file}\nwall ${ms(totalUs)}, on CPU ${ms(busyUs)} (${((100 * busyUs) / totalUs).toFixed(0)} % of one core)\n\nself time by owner (share of on-CPU time):\n`,
  );
  for (const [who, us] of [...byOwner]
    .filter(([w]) => w !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    process.stdout.write(`${ms(us)} ${pct(us)}  ${who}\n`);
  }
  process.stdout.write('\nself time by function:\n');
  for (const [key, us] of [...byFunction]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    process.stdout.write(`${ms(us)} ${pct(us)}  ${key}\n`);
  }
}
