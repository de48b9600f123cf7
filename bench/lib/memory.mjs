// Peak RSS of one service process (intake and workers together, the heaviest
// layout) while mails with big attachments go through, stage by stage so the
// growth can be pinned on a size.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { attachmentMail, largestAttachmentUnder } from './corpus.mjs';
import { root } from './paths.mjs';
import { startMeasureService, verifyFlow, waitForDrain, waitIntakeReady } from './pipeline.mjs';
import { imapClient, sleep, startDovecot } from './servers.mjs';

/** The largest mail the service downloads and parses, from its default configuration. */
export function downloadLimit() {
  const defaults = parse(readFileSync(join(root, 'config', 'default.yaml'), 'utf8'));
  return Math.min(defaults.intake.maxDownloadBytes, defaults.analysis.maxMessageBytes);
}

export function memoryStages({ smoke }) {
  const limit = downloadLimit();
  const largest = largestAttachmentUnder(limit);
  return [
    { label: '2 MB attachment', attachmentBytes: 2_000_000, count: smoke ? 1 : 6 },
    // Base64 makes a 20 MB file a ~27 MB mail: over the download limit, so the
    // service quarantines it without downloading it. Measured as asked, and
    // followed by the largest attachment it does download and parse.
    { label: '20 MB attachment', attachmentBytes: 20_000_000, count: smoke ? 1 : 3 },
    {
      label: `${(largest / 1e6).toFixed(1)} MB attachment (largest mail under the ${(limit / 1048576).toFixed(0)} MiB download limit)`,
      attachmentBytes: largest,
      count: smoke ? 1 : 3,
    },
  ];
}

export async function measureMemory(ctx, { stages }) {
  const { cleanup, workDir, redis, sink, runId, log } = ctx;
  const dovecot = await startDovecot(cleanup, workDir, 'memory');
  const prefix = `${runId}-memory`;
  const { service, settings } = await startMeasureService(ctx, { name: 'memory', prefix, dovecot });
  const appender = imapClient(dovecot);
  try {
    await waitIntakeReady(redis, prefix, [service]);
    await sleep(500);
    const idle = service.status();
    await appender.connect();
    const messageIds = [];
    const results = [];
    for (const [s, stage] of stages.entries()) {
      // A burst: all mails of the stage arrive together, so they are in flight together.
      for (let i = 0; i < stage.count; i++) {
        const messageId = `<${runId}-mem-${s}-${i}@bench.invalid>`;
        messageIds.push(messageId);
        await appender.append('INBOX', attachmentMail(stage.attachmentBytes, messageId));
      }
      const mailBytes =
        attachmentMail(0, '<x@y>').length + Math.ceil((stage.attachmentBytes * 4) / 3) * (78 / 76);
      const drain = await waitForDrain({
        redis,
        prefix,
        imap: dovecot,
        expectedMails: messageIds.length,
        services: [service],
        timeoutMs: 120_000,
      });
      const st = service.status();
      log(`  memory: ${stage.label} ×${stage.count}: peak RSS so far ${st.hwmMB.toFixed(0)} MB`);
      results.push({
        ...stage,
        approxMailBytes: Math.round(mailBytes),
        peakRssSoFarMB: st.hwmMB,
        rssAfterMB: st.rssMB,
        timedOut: drain.timedOut,
      });
    }
    const flow = await verifyFlow({
      redis,
      prefix,
      imap: dovecot,
      expectedMails: messageIds.length,
      sink,
      messageIds,
    });
    const final = await service.stop();
    return {
      idleRssMB: idle.rssMB,
      serviceSettings: settings,
      peakRssMB: final?.hwmMB ?? null,
      stages: results,
      flow: { ...flow, casesList: undefined },
      ok: flow.ok && results.every((r) => !r.timedOut),
    };
  } finally {
    await appender.logout().catch(() => appender.close());
    await service.stop();
    await dovecot.stop();
  }
}
