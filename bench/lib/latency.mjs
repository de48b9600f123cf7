// Arrival → case in queue and arrival → reply, one mail at a time with the
// intake idling, and beside it a bare imapflow client in IDLE that only notes
// when Dovecot announces each mail: the floor no intake can beat.
import { uniqueCopy } from './corpus.mjs';
import {
  allCases,
  caseOfMail,
  pendingFilings,
  queuedAt,
  startMeasureService,
  verifyFlow,
  waitIntakeReady,
} from './pipeline.mjs';
import { fatal, imapClient, sleep, startDovecot, waitUntil } from './servers.mjs';
import { summary } from './stats.mjs';

const PER_MAIL_TIMEOUT_MS = 15_000;

export async function measureLatency(ctx, { mails }) {
  const { cleanup, workDir, redis, sink, runId, fixtures, log } = ctx;
  const dovecot = await startDovecot(cleanup, workDir, 'latency');
  const prefix = `${runId}-latency`;
  const { service, settings } = await startMeasureService(ctx, { name: 'latency', prefix, dovecot });
  const closers = [];
  try {
    await waitIntakeReady(redis, prefix, [service]);

    const floor = imapClient(dovecot, { disableAutoIdle: false, autoIdleDelay: 100 });
    await floor.connect();
    closers.push(() => floor.logout().catch(() => floor.close()));
    await floor.mailboxOpen('INBOX');
    const existsAt = [];
    floor.on('exists', (e) => {
      if (e.count > e.prevCount) existsAt.push(Date.now());
    });
    const appender = imapClient(dovecot);
    await appender.connect();
    closers.push(() => appender.logout().catch(() => appender.close()));
    // Both IMAP clients and the intake settle into IDLE before the first mail.
    await sleep(1000);

    // Urgent fixtures all ask for a reply, so each mail gives both latencies.
    const urgent = fixtures.filter((f) => f.expected?.route === 'priority' && f.expected?.reply !== 'none');
    const samples = [];
    const lost = [];
    let floorMissed = 0;
    for (let i = 0; i < mails; i++) {
      const fixture = urgent[i % urgent.length];
      const messageId = `<${runId}-lat-${i}@bench.invalid>`;
      const raw = uniqueCopy(fixture.raw, messageId, i);
      const seen = existsAt.length;
      const appended = await appender.append('INBOX', raw);
      // Arrival = the server acknowledged the APPEND: from then on the mail is in the mailbox.
      const arrival = Date.now();
      const mail = { mailboxId: 'default', uidValidity: String(appended.uidValidity), uid: appended.uid };
      try {
        await waitUntil(`mail ${i} to be answered and filed`, PER_MAIL_TIMEOUT_MS, async () => {
          if (service.exit) throw fatal(service.describeExit());
          if (!sink.byInReplyTo.has(messageId)) return false;
          // The case and its filing are written together: case there + nothing pending = moved.
          return (await caseOfMail(prefix, mail)) !== null && (await pendingFilings(prefix)) === 0;
        });
      } catch (err) {
        lost.push({ i, fixture: fixture.name, reason: err.message });
        if (service.exit) break;
      }
      await waitUntil('the IDLE floor client to see the mail', 2000, () => existsAt.length > seen).catch(
        () => {
          floorMissed++;
        },
      );
      samples.push({
        i,
        fixture: fixture.name,
        messageId,
        mail,
        arrival,
        existsAt: existsAt[seen] ?? null,
      });
      if ((i + 1) % 20 === 0) log(`  latency: ${i + 1}/${mails} mails`);
      // The next mail goes in once the floor client was told this one left (Dovecot
      // announces the EXPUNGE with the same ~0.5 s delay): each EXISTS then belongs to
      // one mail, and the intake, whose auto-IDLE restarts 250 ms after its MOVE, idles again.
      await waitUntil(
        'the IDLE floor client to see the mail filed',
        3000,
        () => floor.mailbox?.exists === 0,
      ).catch(() => {});
      await sleep(50 + Math.random() * 150);
    }

    const cases = new Map((await allCases(redis, prefix)).map((c) => [c.ref, c]));
    const toQueue = [];
    const toReply = [];
    const floorMs = [];
    const routes = {};
    for (const s of samples) {
      if (s.existsAt) floorMs.push(s.existsAt - s.arrival);
      const repliedAt = sink.byInReplyTo.get(s.messageId)?.[0];
      if (repliedAt) toReply.push(repliedAt - s.arrival);
      const ref = await caseOfMail(prefix, s.mail);
      const c = ref ? cases.get(ref) : null;
      if (!c) continue;
      routes[c.route] = (routes[c.route] ?? 0) + 1;
      if (c.route === 'priority' || c.route === 'standard') {
        const at = await queuedAt(redis, prefix, c.route, ref);
        if (at) toQueue.push(at - s.arrival);
      }
    }
    const flow = await verifyFlow({
      redis,
      prefix,
      imap: dovecot,
      expectedMails: samples.length,
      sink,
      messageIds: samples.map((s) => s.messageId),
    });
    const status = await service.stop();
    return {
      mails: samples.length,
      serviceSettings: settings,
      fixtures: `${urgent.length} urgent fixtures (route priority, reply due), cycled, each with a new Message-ID`,
      routes,
      arrivalToQueueMs: summary(toQueue),
      arrivalToReplyMs: summary(toReply),
      idleFloorMs: summary(floorMs),
      idleFloorMissed: floorMissed,
      peakRssMB: status?.hwmMB ?? null,
      lost,
      flow: { ...flow, casesList: undefined },
      ok: lost.length === 0 && flow.ok && samples.length === mails,
    };
  } finally {
    for (const close of closers) await close();
    await service.stop();
    await dovecot.stop();
  }
}
