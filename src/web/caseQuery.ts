import type { PrestationCode, Route } from '../analysis/types.js';
import {
  CASE_STATUSES,
  type CaseFilters,
  ROUTES,
  UNASSIGNED,
  WORK_TABS,
  type WorkView,
} from '../cases/caseSearch.js';
import type { CaseStatus } from '../cases/lifecycle.js';
import { prestationLabels } from '../labels/words.js';
import { type ParamError, type Parsed, pageOf } from './queryParams.js';

/**
 * The parameters of the cases page and of GET /api/cases, the same on both:
 * `view`, `status`, `route` (or `queue`, priority or standard, as the API had
 * it), `cdas`, `prestation`, `from` and `to` (days of reception), `overdue`,
 * `assignee` (a login, or "-" for nobody), `q` (the search), `limit`, `offset`.
 */
export interface CaseListQuery {
  view: WorkView;
  filters: CaseFilters;
  limit: number;
  offset: number;
  /** The API's `queue`, kept to write the `next` link as it was asked. */
  queue: 'priority' | 'standard' | null;
}

const refuse = (fr: string, en: string): { ok: false; error: ParamError } => ({
  ok: false,
  error: { fr, en },
});

const TEXT_MAX = 200;

function day(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() >= 1970 && d.toISOString().slice(0, 10) === text;
}

/** A query parameter as one string: the last one when repeated; "" is absent. */
function one(value: unknown): string | null {
  const v = Array.isArray(value) ? value.at(-1) : value;
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

export function caseListQueryOf(
  query: Record<string, unknown>,
  defaultView: WorkView,
): Parsed<CaseListQuery> {
  const page = pageOf({ limit: one(query.limit) ?? undefined, offset: one(query.offset) ?? undefined });
  if (!page.ok) return page;
  const view = one(query.view) ?? defaultView;
  if (view !== 'open' && !(WORK_TABS as readonly string[]).includes(view))
    return refuse(
      'La vue (view) est l’une de : mine, priority, standard, review, all.',
      'view must be one of mine, priority, standard, review, all, open',
    );
  const status = one(query.status);
  if (status !== null && !CASE_STATUSES.includes(status as CaseStatus))
    return refuse(
      `Le statut (status) est l’un de : ${CASE_STATUSES.join(', ')}.`,
      `status must be one of ${CASE_STATUSES.join(', ')}`,
    );
  const queue = one(query.queue);
  if (queue !== null && queue !== 'priority' && queue !== 'standard')
    return refuse('La file (queue) est priority ou standard.', 'queue must be priority or standard');
  const route = one(query.route) ?? queue;
  if (route !== null && !ROUTES.includes(route as Route))
    return refuse(
      `La file (route) est l’une de : ${ROUTES.join(', ')}.`,
      `route must be one of ${ROUTES.join(', ')}`,
    );
  const prestation = one(query.prestation);
  if (prestation !== null && !(prestation in prestationLabels))
    return refuse(
      `La prestation (prestation) est l’un des codes : ${Object.keys(prestationLabels).join(', ')}.`,
      `prestation must be one of ${Object.keys(prestationLabels).join(', ')}`,
    );
  const from = one(query.from);
  const to = one(query.to);
  if ((from !== null && !day(from)) || (to !== null && !day(to)))
    return refuse(
      'Les dates de réception (from, to) s’écrivent AAAA-MM-JJ (par exemple 2025-01-31).',
      'from and to must be dates YYYY-MM-DD',
    );
  if (from !== null && to !== null && from > to)
    return refuse(
      'La date de début (from) est postérieure à la date de fin (to).',
      'from must not be after to',
    );
  const overdueText = one(query.overdue);
  const overdue = overdueText === null ? false : ['1', 'true', 'on', 'oui'].includes(overdueText);
  if (overdueText !== null && !overdue && !['0', 'false', 'off', 'non'].includes(overdueText))
    return refuse('« En retard » (overdue) vaut 1 ou 0.', 'overdue must be 1 or 0');
  const cdas = one(query.cdas);
  const assignee = one(query.assignee);
  const search = one(query.q);
  if ([cdas, assignee, search].some((t) => t !== null && t.length > TEXT_MAX))
    return refuse(
      `La recherche et les filtres tiennent en ${TEXT_MAX} caractères.`,
      `text parameters are at most ${TEXT_MAX} characters`,
    );
  return {
    ok: true,
    value: {
      view: view as WorkView,
      queue: queue as CaseListQuery['queue'],
      limit: page.value.limit,
      offset: page.value.offset,
      filters: {
        status: status as CaseStatus | null,
        route: route as Route | null,
        cdas,
        prestation: prestation as PrestationCode | null,
        from,
        to,
        overdue,
        assignee,
        search,
      },
    },
  };
}

/**
 * The query string of a list: its parameters in a fixed order, the defaults
 * left out (so a link reads as short as the person wrote it).
 */
export function caseListParams(
  q: CaseListQuery,
  change: { view?: WorkView; offset?: number; limit?: number | null },
  defaultView: WorkView,
): URLSearchParams {
  const params = new URLSearchParams();
  const view = change.view ?? q.view;
  const f = q.filters;
  if (view !== defaultView) params.set('view', view);
  if (f.status) params.set('status', f.status);
  // A route asked for as the API's queue is written back as it was asked.
  if (q.queue && f.route === q.queue) params.set('queue', q.queue);
  else if (f.route) params.set('route', f.route);
  if (f.cdas) params.set('cdas', f.cdas);
  if (f.prestation) params.set('prestation', f.prestation);
  if (f.from) params.set('from', f.from);
  if (f.to) params.set('to', f.to);
  if (f.overdue) params.set('overdue', '1');
  if (f.assignee) params.set('assignee', f.assignee);
  if (f.search) params.set('q', f.search);
  const limit = change.limit === undefined ? q.limit : change.limit;
  if (limit !== null) params.set('limit', String(limit));
  const offset = change.offset ?? q.offset;
  if (offset > 0 || limit !== null) params.set('offset', String(offset));
  return params;
}

/** Whether any filter narrows the list (the page then says so and offers to clear them). */
export function filtered(f: CaseFilters): boolean {
  return Boolean(
    f.status || f.route || f.cdas || f.prestation || f.from || f.to || f.overdue || f.assignee || f.search,
  );
}

export { UNASSIGNED };
