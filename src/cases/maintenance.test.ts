import { describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { Metrics } from '../web/metrics.js';
import { type MaintenanceDeps, runRetention } from './maintenance.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({
    level: 'debug',
    stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

async function failures(metrics: Metrics, task: string): Promise<number> {
  const values = (await metrics.registry.getSingleMetric('cdap_maintenance_failures_total')?.get())?.values;
  return values?.find((v) => v.labels.task === task)?.value ?? 0;
}

describe('retention maintenance', () => {
  it('logs a failing task at error with its error and counts it; the other task still runs', async () => {
    const { log, lines } = capture();
    const metrics = new Metrics();
    const cleaned: number[] = [];
    const deps: MaintenanceDeps = {
      deleteExpired: async () => {
        throw new Error('Connection terminated unexpectedly');
      },
      workQueues: [
        {
          clean: async (grace: number) => {
            cleaned.push(grace);
            return [];
          },
        },
      ],
      retentionMs: 86_400_000,
      log,
      onFailure: (task) => metrics.maintenanceFailed(task),
    };

    await runRetention(deps);
    await runRetention(deps);

    const failed = lines.filter((l) => l.event === 'maintenance.failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ level: 50, task: 'delete-expired' });
    const err = failed[0]?.err as { message: string; stack: string };
    expect(err.message).toContain('Connection terminated');
    expect(err.stack).toContain('maintenance.test.ts');
    expect(await failures(metrics, 'delete-expired')).toBe(2);
    expect(await failures(metrics, 'clean-work-queues')).toBe(0);
    expect(cleaned).toEqual([86_400_000, 86_400_000]);
  });

  it('logs one info line, with the count deleted, when every task succeeds', async () => {
    const { log, lines } = capture();
    await runRetention({
      deleteExpired: async () => 0,
      workQueues: [{ clean: async () => [] }],
      retentionMs: 1000,
      log,
    });
    expect(lines.map((l) => [l.level, l.event, l.deleted])).toEqual([[30, 'maintenance.retention', 0]]);
  });
});
