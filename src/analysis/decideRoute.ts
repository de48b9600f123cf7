import type { Finding, MailKind, ReplyDecision, Route } from './types.js';

const automatic: ReadonlySet<MailKind> = new Set(['auto-reply', 'bounce', 'bulk']);

export function isAutomatic(kind: MailKind): boolean {
  return automatic.has(kind);
}

/** Robots are ignored, strangers quarantined, urgencies first, the rest standard. */
export function decideRoute(kind: MailKind, senderAllowed: boolean, urgent: boolean): Route {
  if (isAutomatic(kind)) return 'ignored';
  if (!senderAllowed) return 'quarantine';
  return urgent ? 'priority' : 'standard';
}

/** One answer per request: feedback when a good practice was missed, else a plain acknowledgement. */
export function decideReply(route: Route, lint: readonly Finding[]): ReplyDecision {
  if (route === 'ignored' || route === 'quarantine') return 'none';
  return lint.some((f) => f.severity !== 'info') ? 'ack-with-feedback' : 'ack';
}
