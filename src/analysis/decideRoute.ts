import type { Finding, MailKind, ReplyDecision, Route } from './types.js';

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
