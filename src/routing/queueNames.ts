/** The BullMQ queues of the pipeline. `priority` and `standard` are the technicians' work. */
export const QUEUE = {
  triage: 'triage',
  priority: 'priority',
  standard: 'standard',
  notify: 'notify',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/** BullMQ forbids ':' in job ids it did not make; ours are built from parts joined by '-'. */
export function jobId(...parts: Array<string | number | bigint>): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9_.@-]/g, '_')).join('-');
}
