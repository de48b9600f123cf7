import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../../infra/database.js';
import { formatDateTime } from '../../labels/formats.js';
import { auditPage } from '../accounts/accountViews.js';
import { type AuditFilter, describeDetail, readAudit } from '../accounts/auditLog.js';
import { frenchCsv } from '../accounts/frenchCsv.js';
import { offsetOf } from '../queryParams.js';

export interface AuditRoutesDeps {
  db: Database;
}

const PAGE = 50;
/** The CSV holds at most this many lines: beyond, narrow the filter. */
const CSV_MAX = 100_000;

function isDay(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** The filter of the query, or what is wrong with it in French. */
function filterOf(req: FastifyRequest): { filter: AuditFilter; error: string | null } {
  const q = req.query as Record<string, unknown>;
  const text = (k: string) => (typeof q[k] === 'string' ? (q[k] as string).trim() : '');
  const filter: AuditFilter = {};
  const ref = text('ref').toUpperCase();
  if (ref) filter.ref = ref;
  const actor = text('actor');
  if (actor) filter.actor = actor;
  for (const k of ['from', 'to'] as const) {
    const day = text(k);
    if (!day) continue;
    if (!isDay(day)) return { filter, error: 'Les dates s’écrivent AAAA-MM-JJ (par exemple 2026-03-01).' };
    filter[k] = day;
  }
  if (filter.from && filter.to && filter.from > filter.to)
    return { filter, error: 'La date de début est postérieure à la date de fin.' };
  return { filter, error: null };
}

function query(filter: AuditFilter, offset = 0): string {
  const params = new URLSearchParams(filter as Record<string, string>);
  if (offset) params.set('offset', String(offset));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The audit trail for supervisors: who did what on which case, and the
 * logins and account changes. GET /audit (filters, pages of 50, newest
 * first) and GET /audit.csv (the same filter, for a spreadsheet).
 */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRoutesDeps): void {
  app.get('/audit', { config: { role: 'superviseur' } }, async (req, reply) => {
    const { filter, error } = filterOf(req);
    const offset = offsetOf((req.query as { offset?: unknown }).offset);
    const at = offset.ok ? offset.value : 0;
    const { lines, total } = error
      ? { lines: [], total: 0 }
      : await readAudit(deps.db, filter, { limit: PAGE, offset: at });
    const auth = req.auth;
    return reply
      .code(error || !offset.ok ? 400 : 200)
      .type('text/html; charset=utf-8')
      .send(
        auditPage({
          user: auth?.user,
          csrf: auth?.via === 'session' ? auth.session.csrfToken : null,
          error: error ?? (offset.ok ? null : offset.error.fr),
          filter,
          lines: lines.map((l) => ({ ...l, detail: describeDetail(l.detail) })),
          total,
          first: lines.length ? at + 1 : 0,
          last: at + lines.length,
          previous: at > 0 ? `/audit${query(filter, Math.max(0, at - PAGE))}` : null,
          next: at + PAGE < total ? `/audit${query(filter, at + PAGE)}` : null,
          csv: `/audit.csv${query(filter)}`,
        }),
      );
  });

  app.get('/audit.csv', { config: { role: 'superviseur' } }, async (req, reply) => {
    const { filter, error } = filterOf(req);
    if (error) return reply.code(400).type('text/plain; charset=utf-8').send(error);
    const { lines } = await readAudit(deps.db, filter, { limit: CSV_MAX, offset: 0 });
    const csv = frenchCsv(
      ['date', 'acteur', 'action', 'dossier', 'détail'],
      lines.map((l) => [formatDateTime(l.at), l.actor, l.action, l.ref ?? '', describeDetail(l.detail)]),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('Content-Disposition', 'attachment; filename="cdap-audit.csv"')
      .send(csv);
  });
}
