import type { Analysis, Finding, MailKind, ReplyDecision, Route } from './types.js';

const automatic: ReadonlySet<MailKind> = new Set(['auto-reply', 'bounce', 'bulk']);

export function isAutomatic(kind: MailKind): boolean {
  return automatic.has(kind);
}

export interface RouteDecision {
  route: Route;
  reason: string;
}

/** Robots are ignored, strangers (and forged partners) quarantined, urgencies first, the rest standard. */
export function decideRoute(
  kind: MailKind,
  sender: { address: string | null; allowed: boolean; problem: string | null },
  dmarc: string | null,
  urgent: boolean,
): RouteDecision {
  if (isAutomatic(kind)) return { route: 'ignored', reason: `message automatique (${kind})` };
  // Checked before the domain: `<a@evil.example,b@ille-et-vilaine.fr>` ends on an allowed domain.
  if (sender.problem) return { route: 'quarantine', reason: sender.problem };
  if (!sender.address) return { route: 'quarantine', reason: 'expéditeur introuvable' };
  if (!sender.allowed) return { route: 'quarantine', reason: 'domaine de l’expéditeur non autorisé' };
  if (dmarc === 'fail') return { route: 'quarantine', reason: 'authentification DMARC en échec' };
  return urgent
    ? { route: 'priority', reason: 'mot-clé URGENCE DEFINIE' }
    : { route: 'standard', reason: 'demande d’un partenaire' };
}

/** One answer per request: feedback when a good practice was missed, else a plain acknowledgement. */
export function decideReply(route: Route, lint: readonly Finding[]): ReplyDecision {
  if (route === 'ignored' || route === 'quarantine') return 'none';
  return lint.some((f) => f.severity !== 'info') ? 'ack-with-feedback' : 'ack';
}

/**
 * The analysis once the sender verifier (mailauth) has given its DMARC
 * verdict: route and reply decided again by the rules above, so a failed
 * verification quarantines a mail exactly as a failed Authentication-Results
 * header does. Pure: the verification itself happens in triage.
 */
export function withVerifiedDmarc(a: Analysis, dmarc: string | null): Analysis {
  const authentication = { dmarc, source: 'mailauth' as const };
  if (a.unreadable) return { ...a, authentication };
  const { route, reason } = decideRoute(a.kind, a.sender, dmarc, a.urgent);
  return { ...a, authentication, route, routeReason: reason, reply: decideReply(route, a.lint) };
}
