// N mails already in the mailbox when the service starts: how long until every
// one is triaged, answered and filed, with one and with several processes.
import { uniqueCopy } from './corpus.mjs';
import { benchConfig, verifyFlow, waitForDrain } from './pipeline.mjs';
import {
  imapClient,
  machineCpuSeconds,
  postgresCpuSeconds,
  preloadMaildir,
  serviceSetup,
  startDovecot,
  startService,
  treeCpuSeconds,
} from './servers.mjs';

/** Calls per Redis command since start: the service's round trips, which cost it socket writes. */
async function redisCommandCalls(redis) {
  const calls = {};
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) calls[m[1]] = Number(m[2]);
  }
  return calls;
}

function perMail(before, after, mails) {
  const out = {};
  let total = 0;
  for (const [cmd, n] of Object.entries(after)) {
    const d = n - (before[cmd] ?? 0);
    total += d;
    if (d / mails >= 0.05) out[cmd] = Number((d / mails).toFixed(2));
  }
  return {
    total: Number((total / mails).toFixed(1)),
    byCommand: Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1])),
  };
}

/** CPU seconds of each party on the machine, to see where the cores went during a measure. */
function cpuSnapshot(ctx, dovecot) {
  return {
    at: Date.now(),
    machine: machineCpuSeconds(),
    redis: treeCpuSeconds(ctx.redisPid),
    postgres: postgresCpuSeconds(),
    dovecot: treeCpuSeconds(dovecot.masterPid()),
    bench: process.cpuUsage(),
  };
}

/** Outbound rate limit for the backlog: the default 10/s would measure nodemailer's limiter, not the service. */
export const BACKLOG_SMTP_RATE = 2000;

export async function measureBacklog(ctx, { mails, processes }) {
  const { cleanup, workDir, redis, sink, runId, fixtures, log } = ctx;
  const name = `backlog-${processes}p`;
  const dovecot = await startDovecot(cleanup, workDir, name);
  const prefix = `${runId}-${name}`;
  const messageIds = [];
  const expectedReplies = { due: 0 };
  function* corpus() {
    for (let i = 0; i < mails; i++) {
      const fixture = fixtures[i % fixtures.length];
      const messageId = `<${runId}-${name}-${i}@bench.invalid>`;
      messageIds.push(messageId);
      if (fixture.expected && fixture.expected.reply !== 'none') expectedReplies.due++;
      yield uniqueCopy(fixture.raw, messageId, i);
    }
  }
  const services = [];
  try {
    const preloadStart = Date.now();
    await preloadMaildir(dovecot, corpus());
    // Dovecot indexes new/ at the first SELECT; done here so that the clock only
    // counts what a mailbox fed by normal delivery would cost the service.
    const probe = imapClient(dovecot);
    await probe.connect();
    const opened = await probe.mailboxOpen('INBOX');
    await probe.logout();
    if (opened.exists !== mails)
      throw new Error(`Dovecot sees ${opened.exists} of the ${mails} preloaded mails`);
    const preloadMs = Date.now() - preloadStart;

    const config = benchConfig({ maxMessagesPerSecond: BACKLOG_SMTP_RATE, extra: ctx.backlogExtra });
    const setup = await serviceSetup({
      workDir,
      name,
      redisUrl: ctx.redisUrl,
      prefix,
      imap: dovecot,
      smtp: sink,
      config,
      overrides: ctx.configOverrides,
      env: ctx.serviceEnv,
    });
    const calls0 = await redisCommandCalls(redis);
    const cpu0 = cpuSnapshot(ctx, dovecot);
    const t0 = Date.now();
    for (let p = 0; p < processes; p++) {
      services.push(
        startService(cleanup, {
          setup,
          logFile: `${workDir}/service-${name}-${p}.log`,
          cpuProfDir: ctx.cpuProfDir,
          label: `${name}-${p}`,
        }),
      );
    }
    let lastLog = Date.now();
    const drain = await waitForDrain({
      redis,
      prefix,
      imap: dovecot,
      expectedMails: mails,
      services,
      timeoutMs: 60_000 + mails * 20,
      onTick: (s) => {
        if (Date.now() - lastLog < 5000) return;
        lastLog = Date.now();
        log(
          `  ${name}: handed over ${s.lastUid}/${mails}, triage pending ${s.triage.pending}, ` +
            `replies pending ${s.notify.pending}, INBOX ${s.inbox}`,
        );
      },
    });
    const leaseHolder = await redis.get(`${prefix}:lease:default`);
    const rss = [];
    for (const s of services) {
      const st = await s.stop();
      rss.push({
        process: s.label,
        intake: Boolean(leaseHolder?.includes(`:${s.pid}:`)),
        peakRssMB: st?.hwmMB ?? null,
        cpuSeconds: st?.cpuSeconds ?? null,
      });
    }
    const cpu1 = cpuSnapshot(ctx, dovecot);
    const redisCommandsPerMail = perMail(calls0, await redisCommandCalls(redis), mails);
    const servicesCpu = rss.reduce((n, p) => n + (p.cpuSeconds ?? 0), 0);
    const benchCpu = process.cpuUsage(cpu0.bench);
    const machineBusy = cpu1.machine.busy - cpu0.machine.busy;
    const cpu = {
      windowSeconds: (cpu1.at - cpu0.at) / 1000,
      coreSecondsAvailable: cpu1.machine.busy + cpu1.machine.idle - cpu0.machine.busy - cpu0.machine.idle,
      machineBusy,
      services: servicesCpu,
      redis: cpu1.redis - cpu0.redis,
      // Every PostgreSQL of the machine: a test run beside the bench would count here.
      postgres: cpu1.postgres - cpu0.postgres,
      dovecot: cpu1.dovecot - cpu0.dovecot,
      benchAndSmtpSink: (benchCpu.user + benchCpu.system) / 1e6,
    };
    cpu.otherProcesses = Math.max(
      0,
      machineBusy - cpu.services - cpu.redis - cpu.postgres - cpu.dovecot - cpu.benchAndSmtpSink,
    );
    const ours = cpu.services + cpu.redis + cpu.postgres + cpu.dovecot + cpu.benchAndSmtpSink;
    // Steadier than mails/s on a shared machine: what one mail costs, whoever else runs.
    cpu.serviceMsPerMail = (1000 * cpu.services) / mails;
    cpu.allServersMsPerMail = (1000 * ours) / mails;
    // Other processes took this share of the cores: the mails/s figure is understated by about as much.
    cpu.otherShare = cpu.otherProcesses / cpu.coreSecondsAvailable;
    const flow = await verifyFlow({ redis, prefix, imap: dovecot, expectedMails: mails, sink, messageIds });
    const filedAt = drain.ends.filed ?? Date.now();
    const end = Math.max(filedAt, flow.lastReplyAt, flow.lastTriagedAt);
    const firstTriaged = flow.casesList.reduce((t, c) => Math.min(t, Date.parse(c.triagedAt)), Infinity);
    const seconds = (end - t0) / 1000;
    return {
      mails,
      processes,
      serviceSettings: setup.settings,
      smtpMaxMessagesPerSecond: BACKLOG_SMTP_RATE,
      preloadMs,
      seconds,
      mailsPerSec: mails / seconds,
      stages: {
        firstCaseAfterMs: Number.isFinite(firstTriaged) ? firstTriaged - t0 : null,
        allHandedOverAfterMs: drain.ends.handedOver ? drain.ends.handedOver - t0 : null,
        allTriagedAfterMs: flow.lastTriagedAt ? flow.lastTriagedAt - t0 : null,
        allRepliedAfterMs: flow.lastReplyAt ? flow.lastReplyAt - t0 : null,
        allFiledAfterMs: drain.ends.filed ? drain.ends.filed - t0 : null,
      },
      expectedRepliesFromFixtures: expectedReplies.due,
      processesRss: rss,
      cpuSeconds: cpu,
      // Includes the bench's own polling, a few hundred commands per second.
      redisCommandsPerMail,
      timedOut: drain.timedOut,
      stateAtEnd: drain.last,
      flow: { ...flow, casesList: undefined },
      ok: !drain.timedOut && flow.ok,
    };
  } finally {
    for (const s of services) await s.stop();
    await dovecot.stop();
  }
}
