import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../cases/caseRecord.js';
import { Metrics } from './metrics.js';

const record = { receivedAt: new Date().toISOString() } as CaseRecord;

async function replies(metrics: Metrics): Promise<Array<Record<string, unknown>>> {
  const metric = metrics.registry.getSingleMetric('cdap_replies_total');
  return ((await metric?.get())?.values ?? []).map((v) => ({ ...v.labels, value: v.value }));
}

describe('reply metrics read the reason’s code, never its text', () => {
  it('labels a refused reply by the server’s code, other reasons by their code', async () => {
    const metrics = new Metrics();
    metrics.replied(
      'failed',
      { code: 'refused', detail: '550: rate-limited: by policy', serverCode: '550' },
      record,
    );
    metrics.replied(
      'failed',
      { code: 'uncertain', detail: 'ECONNRESET: lost', serverCode: 'ECONNRESET' },
      record,
    );
    metrics.replied('failed', { code: 'template', detail: 'rate-limited: is not a helper' }, record);
    metrics.replied('sent', null, record);
    expect(await replies(metrics)).toEqual(
      expect.arrayContaining([
        { outcome: 'failed', reason: '550', value: 1 },
        { outcome: 'failed', reason: 'uncertain', value: 1 },
        { outcome: 'failed', reason: 'template', value: 1 },
        { outcome: 'sent', reason: 'none', value: 1 },
      ]),
    );
    const loops = metrics.registry.getSingleMetric('cdap_loops_suppressed_total');
    const rateLimit = (await loops?.get())?.values.find((v) => v.labels.reason === 'rate-limit');
    expect(rateLimit?.value).toBe(0);
  });
});
