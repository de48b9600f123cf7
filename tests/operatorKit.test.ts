import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { carriesLoopHeader } from '../src/analysis/classifyKind.js';
import { unreadable } from '../src/analysis/unreadable.js';
import { loadConfig, projectRoot } from '../src/config/loadConfig.js';
import { type MetricSources, Metrics } from '../src/web/metrics.js';
import { fixture, mail, testAnalyzer } from './support/analyzer.js';
import { caseFor } from './support/cases.js';

const deploy = (...parts: string[]) => join(projectRoot, 'deploy', ...parts);

async function value(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const found = (await metric.get()).values.find((v) =>
    Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  return found?.value ?? 0;
}

const fakeQueue = (counts: Record<string, number>) =>
  ({ getJobCounts: async () => counts }) as unknown as Queue;

function sources(change: Partial<MetricSources> = {}): MetricSources {
  return {
    queues: { triage: fakeQueue({ waiting: 0, prioritized: 4 }), notify: fakeQueue({ prioritized: 1 }) },
    openCases: async () => ({ open: 3, overdue: 1 }),
    secondsSinceLastCheck: async () => ({ caf35: 12, caf22: null }),
    staleAfterSeconds: 180,
    leaseHeld: async () => ({ caf35: true, caf22: false }),
    activeIntakes: () => ({ caf35: true, caf22: false }),
    connections: async () => ({ redis: true, database: true, imap: false, smtp: true }),
    secondsSinceAnswerWatch: async () => 20,
    ...change,
  };
}

/** Every sample name a scrape of this registry can show (histograms as their three series). */
async function exportedNames(metrics: Metrics): Promise<Set<string>> {
  const names = new Set<string>();
  for (const [, name, type] of (await metrics.registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}

const metricNamesIn = (expr: string) => [...expr.matchAll(/\bcdap_[a-z0-9_]+/g)].map((m) => m[0]);

describe('metrics the alerts need', () => {
  const analyze = testAnalyzer();

  it('counts robot mail as a loop stopped (robot), our reply come back as loop-header, a request as neither', async () => {
    const metrics = new Metrics();
    for (const name of [
      'auto-reply-out-of-office.eml',
      'auto-reply-own-loop-header.eml',
      'form-standard-clean.eml',
    ]) {
      const raw = fixture(name);
      metrics.triaged(caseFor(await analyze(raw)), { loopHeader: carriesLoopHeader(raw) });
    }
    expect(await value(metrics, 'cdap_loops_suppressed_total', { reason: 'robot' })).toBe(1);
    expect(await value(metrics, 'cdap_loops_suppressed_total', { reason: 'loop-header' })).toBe(1);
    expect(await value(metrics, 'cdap_loops_suppressed_total', { reason: 'rate-limit' })).toBe(0);
    expect(await value(metrics, 'cdap_mails_total', { route: 'standard' })).toBe(1);
  });

  it('finds the loop header in the header section only', () => {
    expect(carriesLoopHeader(fixture('auto-reply-own-loop-header.eml'))).toBe(true);
    expect(carriesLoopHeader(fixture('auto-reply-out-of-office.eml'))).toBe(false);
    const quoted = mail('Bonjour,\n\nX-CDAP-Triage-Loop: 1\n');
    expect(carriesLoopHeader(Buffer.from(quoted))).toBe(false);
    expect(
      carriesLoopHeader(Buffer.from(mail('Bonjour', { 'X-Cdap-Triage-Loop': 'CDAP-2026-000001' }))),
    ).toBe(true);
  });

  it('counts a reply stopped by a rate limit as a loop stopped, not other suppressed replies', async () => {
    const metrics = new Metrics();
    const record = caseFor(await analyze(fixture('form-standard-clean.eml')));
    metrics.replied('suppressed', { code: 'rate-limited', detail: 'same-subject-day' }, record);
    metrics.replied('suppressed', { code: 'backfill' }, record);
    metrics.replied('sent', null, record);
    expect(await value(metrics, 'cdap_loops_suppressed_total', { reason: 'rate-limit' })).toBe(1);
    expect(
      await value(metrics, 'cdap_replies_total', { outcome: 'suppressed', reason: 'rate-limited' }),
    ).toBe(1);
  });

  it('counts deferred replies by limit', async () => {
    const metrics = new Metrics();
    metrics.replyDeferred('per-recipient-hour');
    metrics.replyDeferred('per-recipient-hour');
    metrics.replyDeferred('per-recipient-day');
    expect(await value(metrics, 'cdap_replies_deferred_total', { reason: 'per-recipient-hour' })).toBe(2);
    expect(await value(metrics, 'cdap_replies_deferred_total', { reason: 'per-recipient-day' })).toBe(1);
  });

  it('counts unreadable mails by route and urgent mails by check, readable and plain ones not', async () => {
    const metrics = new Metrics();
    metrics.triaged(caseFor(unreadable('analysis timed out', Buffer.from('Subject: x\r\n\r\n'))));
    metrics.triaged(caseFor(await analyze(fixture('form-standard-clean.eml'))));
    metrics.triaged(caseFor(await analyze(fixture('form-urgent-rsa-substantiated.eml'))));
    expect(await value(metrics, 'cdap_mails_unreadable_total', { route: 'standard' })).toBe(1);
    expect(await value(metrics, 'cdap_mails_urgent_total', { check: 'substantiated' })).toBe(1);
    expect(await value(metrics, 'cdap_mails_urgent_total', { check: 'unsubstantiated' })).toBe(0);
  });

  it('exports the intake lease, active intakes, stale limit and the backlog of prioritized jobs', async () => {
    const metrics = new Metrics();
    metrics.watch(sources());
    const text = await metrics.registry.metrics();
    expect(text).toContain('cdap_intake_lease_held{mailbox="caf35"} 1');
    expect(text).toContain('cdap_intake_lease_held{mailbox="caf22"} 0');
    expect(text).toContain('cdap_intake_active{mailbox="caf35"} 1');
    expect(text).toContain('cdap_intake_active{mailbox="caf22"} 0');
    expect(text).toContain('cdap_intake_stale_after_seconds{mailbox="caf22"} 180');
    expect(text).toContain('cdap_intake_seconds_since_last_check{mailbox="caf22"} +Inf');
    expect(text).toContain('cdap_queue_depth{queue="triage",state="prioritized"} 4');
    expect(text).toContain('cdap_dead_letters_total{queue="notify"} 0');
  });

  it('exports no active intake in a process without intake', async () => {
    const metrics = new Metrics();
    metrics.watch(sources({ activeIntakes: () => ({}) }));
    expect(await metrics.registry.metrics()).not.toMatch(/^cdap_intake_active\{/m);
  });
});

describe('deploy/: dashboard and alert rules use exported metrics', () => {
  async function scrapedNames(): Promise<Set<string>> {
    const metrics = new Metrics();
    metrics.watch(sources());
    return exportedNames(metrics);
  }

  it('Grafana dashboard: valid JSON, every metric it queries is exported', async () => {
    const dashboard = JSON.parse(readFileSync(deploy('grafana', 'cdap-triage.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ id: number; type: string; targets?: Array<{ expr: string }> }>;
    };
    const exported = await scrapedNames();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const used = metricNamesIn(expr);
      expect(used, `no cdap_ metric in ${expr}`).not.toEqual([]);
      for (const name of used) expect(exported, `${name} in ${expr}`).toContain(name);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    // What the issue asks to see: one panel at least queries each.
    const all = exprs.join('\n');
    for (const name of [
      'cdap_mails_total',
      'cdap_mails_urgent_total',
      'cdap_replies_total',
      'cdap_queue_depth',
      'cdap_cases_open',
      'cdap_cases_overdue',
      'cdap_arrival_to_routed_seconds_bucket',
      'cdap_arrival_to_replied_seconds_bucket',
      'cdap_intake_seconds_since_last_check',
      'cdap_connection_up',
    ])
      expect(all).toContain(name);
  });

  it('alert rules: every metric they read is exported', async () => {
    const rules = parse(readFileSync(deploy('prometheus', 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ expr: string; alert?: string }> }>;
    };
    const exported = await scrapedNames();
    const exprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
    for (const expr of exprs) for (const name of metricNamesIn(expr)) expect(exported, expr).toContain(name);
    const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'CdapIntakeStale',
        'CdapRepliesFailing',
        'CdapDeadLetters',
        'CdapCasesOverdueRising',
        'CdapQueueBacklogGrowing',
        'CdapMailboxNoLeaseHolder',
      ]),
    );
  });
});

describe('deploy/systemd', () => {
  const unit = readFileSync(deploy('systemd', 'cdap-triage.service'), 'utf8');
  const directives = (key: string) =>
    [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => (m[1] ?? '').trim());

  it('restarts on failure, as a dedicated user, hardened, writing only to .tmp', () => {
    expect(directives('Restart')).toEqual(['on-failure']);
    expect(directives('RestartPreventExitStatus')).toEqual(['78']);
    expect(directives('User')).toEqual(['cdap-triage']);
    expect(directives('NoNewPrivileges')).toEqual(['yes']);
    expect(directives('ProtectSystem')).toEqual(['strict']);
    const writable = directives('ReadWritePaths').flatMap((v) => v.split(/\s+/));
    const root = directives('WorkingDirectory')[0] as string;
    // replies.outboxDir (.tmp/outbox by default) resolves against the install directory.
    const outbox = join(root, relative(projectRoot, loadConfig({ env: {} }).replies.outboxDir));
    expect(writable.some((w) => outbox === w || outbox.startsWith(`${w}/`))).toBe(true);
    expect(directives('EnvironmentFile')).toEqual(['/etc/cdap-triage/cdap-triage.env']);
  });

  it('example environment: every variable the service reads, valid together, no secret', () => {
    const lines = readFileSync(deploy('systemd', 'cdap-triage.env.example'), 'utf8').split('\n');
    const env: Record<string, string> = {};
    for (const line of lines) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) env[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
    }
    // The variables the configuration reads, from its source.
    const source = readFileSync(join(projectRoot, 'src', 'config', 'loadConfig.ts'), 'utf8');
    const read = new Set([
      ...[...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+): \{ path/gm)].map((m) => m[1] as string),
      ...[...source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] as string),
    ]);
    expect(read.size).toBeGreaterThan(20);
    expect(Object.keys(env).sort()).toEqual([...read].sort());
    for (const [name, value] of Object.entries(env)) {
      if (/PASSWORD|SECRET/.test(name)) expect(value, name).toMatch(/^(change-me-[a-z-]+)?$/);
    }
    // The file named by CONFIG_FILE is the operator's: validate the rest.
    const { CONFIG_FILE: _file, ...rest } = env;
    const config = loadConfig({ env: rest });
    expect(config.imap.host).toBe('imap.caf35.example.fr');
    expect(config.replies.from).toContain('<partenaires.caf35@caf35.example.fr>');
  });
});

const promtoolFound = spawnSync('promtool', ['--version']).error === undefined;
const inCi = process.env.CI === 'true';
if (!promtoolFound && !inCi) {
  console.warn(
    'promtool not found: the alert rule checks are skipped. Install it with `apt-get install prometheus` (scripts/install-system-deps.sh does).',
  );
}

// In CI the checks must run: a missing promtool fails them instead of skipping.
describe.skipIf(!promtoolFound && !inCi)('promtool on deploy/prometheus', () => {
  function promtool(...args: string[]) {
    const run = spawnSync('promtool', args, { cwd: deploy('prometheus'), encoding: 'utf8' });
    expect(
      run.error,
      'promtool is missing: scripts/install-system-deps.sh installs prometheus',
    ).toBeUndefined();
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }

  it('checks the alert rules', () => {
    const run = promtool('check', 'rules', 'alerts.yml');
    expect(run.output).toContain('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });

  it('passes the unit tests of every alert, firing and not firing', () => {
    const run = promtool('test', 'rules', 'alerts.test.yml');
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });
});
