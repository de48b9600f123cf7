import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addNote, NOTE_MAX, notesOf } from '../../cases/caseNotes.js';
import type { CaseRecord } from '../../cases/caseRecord.js';
import {
  CASE_STATUSES,
  type CaseFilters,
  type CaseListRow,
  cdasNames,
  countViews,
  NO_FILTERS,
  ROUTES,
  searchCases,
  UNASSIGNED,
  WORK_TABS,
  type WorkTab,
  type WorkView,
} from '../../cases/caseSearch.js';
import { listColleagues } from '../../cases/colleagues.js';
import { isAwaiting } from '../../cases/lifecycle.js';
import { deadlineInDays } from '../../labels/deadline.js';
import { caseStatusLabels, prestationLabels, routeLabels } from '../../labels/words.js';
import { syncWork } from '../../triage/enqueueWork.js';
import { slaOf } from '../caseLists.js';
import { type CaseListQuery, caseListParams, caseListQueryOf, filtered } from '../caseQuery.js';
import { PAGE_DEFAULT } from '../queryParams.js';
import { casesPage, notFoundPage, refusedPage } from '../views/workViews.js';
import type { WebDeps } from '../webServer.js';

/**
 * The technicians' work views (issue 15): the cases list with its tabs,
 * filters, search and pages (GET /cases, GET /api/cases), taking, giving and
 * giving back a case, internal notes, and the 404 page. Each route declares
 * the role it needs (route config `role`, read by the accounts' request hook).
 */

type Role = 'technicien' | 'superviseur' | 'administrateur' | 'comite';

/** The tabs' names, in the order of WORK_TABS. */
const tabNames: Record<WorkTab, string> = {
  mine: 'Mes dossiers',
  priority: 'Prioritaire',
  standard: 'Standard',
  review: 'À examiner',
  all: 'Tous',
};

const NBSP = '\u00a0';

/** What each view holds, said under the tabs. */
const explanations: Record<WorkView, string> = {
  mine: 'Les dossiers que vous avez pris ou qui vous ont été attribués, en attente de réponse — les urgences d’abord, puis les plus anciens.',
  priority: `Les urgences, en attente de réponse, les plus anciennes d’abord. Engagement${NBSP}: une réponse sous 2${NBSP}jours ouvrés.`,
  standard: `Les demandes en attente de réponse, les plus anciennes d’abord. Engagement${NBSP}: une réponse sous 7 à 10${NBSP}jours.`,
  review: `Les messages en quarantaine (expéditeur non reconnu comme partenaire) qu’aucun superviseur n’a encore examinés, et les messages illisibles (trop volumineux ou abîmés)${NBSP}: à lire dans la boîte aux lettres avant toute suite.`,
  all: 'Tous les dossiers, les plus récents d’abord.',
  open: 'Les dossiers en attente de réponse des deux files, les urgences d’abord.',
};

/** The page the cases list opens on. */
const PAGE_VIEW: WorkView = 'priority';
/** What GET /api/cases lists without a view: both queues, waiting for the answer, as before issue 15. */
const API_VIEW: WorkView = 'open';

/** Confirmations after an action, in the case page's `fait` parameter. */
const done: Record<string, string> = {
  pris: 'Vous avez pris le dossier en charge.',
  rendu: `Dossier rendu${NBSP}: il n’est plus attribué.`,
  attribue: 'Dossier attribué.',
  note: 'Note ajoutée.',
};

/** Before named accounts, the one shared login is the bootstrap administrator. */
function roleOf(req: FastifyRequest): Role {
  return req.auth?.role ?? 'comite';
}

const supervises = (role: Role) => role === 'superviseur' || role === 'administrateur';

const csrfOf = (req: FastifyRequest): string | null =>
  req.auth?.via === 'session' ? req.auth.session.csrfToken : null;

const html = (reply: FastifyReply) => reply.type('text/html; charset=utf-8');

/** One case of a list, for the page and the API: the fields GET /api/cases always had, and its status and assignee. */
function listRow(r: CaseListRow, now: Date) {
  const waiting = isAwaiting(r.status);
  return {
    ref: r.ref,
    queue: r.route,
    route: r.route,
    status: r.status,
    receivedAt: r.receivedAt,
    urgent: r.urgent,
    urgencyCheck: r.urgencyCheck,
    cdas: r.cdasName,
    prestations: r.prestations,
    motif: r.motif,
    lintErrors: r.lintErrors,
    lintWarnings: r.lintWarnings,
    unreadable: r.unreadable,
    dueAt: r.dueAt,
    sla: waiting && r.dueAt ? slaOf(r.dueAt, r.warnAt, now) : 'none',
    hoursLeft: r.dueAt ? Math.round((new Date(r.dueAt).getTime() - now.getTime()) / 3_600_000) : null,
    daysLeft: waiting && r.dueAt ? deadlineInDays(r.dueAt, now).days : null,
    followUps: r.followUps,
    assignee: r.assignee,
  };
}

export interface WorkPanels {
  work: {
    flash: string | null;
    undo: { action: string; assignee: string | null } | null;
    assigneeName: string | null;
    deadline: string | null;
    canTake: boolean;
    canGiveBack: boolean;
    canAssign: boolean;
    noColleagues: boolean;
    colleagues: Array<{ login: string; name: string }>;
    notes: Awaited<ReturnType<typeof notesOf>>;
    noteMax: number;
  };
}

export function registerWorkViewRoutes(
  app: FastifyInstance,
  deps: WebDeps,
): { workPanels(req: FastifyRequest, c: CaseRecord): Promise<WorkPanels> } {
  const { db, caseStore, config } = deps;
  const now = deps.now ?? (() => new Date());
  const actorOf = (req: FastifyRequest) => req.auth?.user ?? 'tableau de bord';

  function refuse(reply: FastifyReply, code: number, title: string, message: string, ref?: string) {
    return html(reply.code(code)).send(
      refusedPage({ user: reply.request.auth?.user, csrf: csrfOf(reply.request), title, message, ref }),
    );
  }

  const unknownCase = (reply: FastifyReply) =>
    html(reply.code(404)).send(
      notFoundPage({
        user: reply.request.auth?.user,
        csrf: csrfOf(reply.request),
        message:
          'Aucun dossier ne porte cette référence (il a peut-être été supprimé au terme de sa conservation).',
      }),
    );

  /** Gives the case (or gives it back: null), its queue entries kept in step with its lifecycle. */
  async function assign(ref: string, assignee: string | null, actor: string) {
    const settled = await caseStore.assign(ref, assignee, actor, now());
    if (!settled) return null;
    const { priority, standard } = deps.queues;
    if (priority && standard) await syncWork({ priority, standard }, settled, config.cases.retentionDays);
    deps.log.info({ event: 'web.case_assign', ref, status: settled.after.status }, 'case assignment changed');
    return settled;
  }

  async function nameOf(login: string | null): Promise<string | null> {
    if (!login) return null;
    const found = (await listColleagues(db)).find((c) => c.login === login);
    return found?.name ?? login;
  }

  app.get('/cases', { config: { role: 'technicien' } }, async (req, reply) => {
    const parsed = caseListQueryOf(req.query as Record<string, unknown>, PAGE_VIEW);
    if (!parsed.ok) return refuse(reply, 400, 'Recherche impossible', parsed.error.fr);
    const q = parsed.value;
    const user = req.auth?.user ?? null;
    const at = now();
    const [page, counts, cdas, colleagues] = await Promise.all([
      searchCases(db, { view: q.view, filters: q.filters, user, limit: q.limit, offset: q.offset }, at),
      countViews(db, q.filters, user, at),
      cdasNames(db),
      listColleagues(db),
    ]);
    const limit = q.limit === PAGE_DEFAULT ? null : q.limit;
    const link = (change: { view?: WorkView; offset?: number }) => {
      const text = caseListParams(q, { limit, ...change }, PAGE_VIEW).toString();
      return text ? `/cases?${text}` : '/cases';
    };
    const f = q.filters;
    const options = (values: readonly string[], names: (v: string) => string, current: string | null) =>
      values.map((value) => ({ value, name: names(value), selected: value === current }));
    const assignees = [
      { value: UNASSIGNED, name: 'personne (non attribués)' },
      ...colleagues.map((c) => ({ value: c.login, name: c.name })),
    ];
    if (user && !assignees.some((a) => a.value === user)) assignees.splice(1, 0, { value: user, name: user });
    if (f.assignee && !assignees.some((a) => a.value === f.assignee))
      assignees.push({ value: f.assignee, name: f.assignee });
    const awaitingByDefault = q.view !== 'all' && q.view !== 'review';
    const cleared = { ...q, filters: NO_FILTERS };
    return html(reply).send(
      casesPage({
        user: req.auth?.user,
        csrf: csrfOf(req),
        view: q.view,
        keepView: q.view === PAGE_VIEW ? null : q.view,
        explain: explanations[q.view],
        tabs: WORK_TABS.map((view) => ({
          view,
          name: tabNames[view],
          count: counts[view],
          current: view === q.view,
          href: link({ view, offset: 0 }),
        })),
        f,
        filterCount: filterCount(f),
        // Narrow screens fold the filters away, unless one is set.
        filtersOpen: filterCount(f) > 0,
        statusDefault: awaitingByDefault ? 'en attente de réponse' : 'tous',
        statuses: options(
          CASE_STATUSES,
          (s) => caseStatusLabels[s as keyof typeof caseStatusLabels],
          f.status,
        ),
        routes: options(ROUTES, (r) => routeLabels[r as keyof typeof routeLabels], f.route),
        cdasList: options(cdas, (c) => c, f.cdas),
        prestations: options(
          Object.keys(prestationLabels),
          (p) => prestationLabels[p as keyof typeof prestationLabels],
          f.prestation,
        ),
        assignees: assignees.map((a) => ({ ...a, selected: a.value === f.assignee })),
        clear: filtered(f) ? clearedLink(cleared, limit) : null,
        rows: page.rows.map((r) => ({
          ...listRow(r, at),
          subject: r.subject,
          assigneeName: r.assigneeName,
          deadline: isAwaiting(r.status) && r.dueAt ? deadlineInDays(r.dueAt, at).text : null,
        })),
        empty: filtered(f) ? 'Aucun dossier ne répond à ces critères.' : 'Aucun dossier dans cette vue.',
        total: page.total,
        first: page.rows.length ? q.offset + 1 : 0,
        last: q.offset + page.rows.length,
        previous: q.offset > 0 ? link({ offset: Math.max(0, q.offset - q.limit) }) : null,
        next: q.offset + q.limit < page.total ? link({ offset: q.offset + q.limit }) : null,
      }),
    );
  });

  app.get('/api/cases', { config: { role: 'technicien' } }, async (req, reply) => {
    const parsed = caseListQueryOf(req.query as Record<string, unknown>, API_VIEW);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error.en });
    const q = parsed.value;
    const at = now();
    const { rows, total } = await searchCases(
      db,
      { view: q.view, filters: q.filters, user: req.auth?.user ?? null, limit: q.limit, offset: q.offset },
      at,
    );
    const { limit, offset } = q;
    return {
      cases: rows.map((r) => listRow(r, at)),
      total,
      limit,
      offset,
      next:
        offset + limit < total
          ? `/api/cases?${caseListParams(q, { offset: offset + limit }, API_VIEW)}`
          : null,
    };
  });

  app.post('/cases/:ref/prendre', { config: { role: 'technicien' } }, async (req, reply) => {
    const { ref } = req.params as { ref: string };
    const actor = actorOf(req);
    const c = await caseStore.get(ref);
    if (!c) return unknownCase(reply);
    if (c.assignee && c.assignee !== actor)
      return refuse(
        reply,
        409,
        'Dossier déjà pris',
        `Ce dossier est déjà pris en charge par ${await nameOf(c.assignee)}${NBSP}: demandez-lui, ou à un superviseur, de vous l’attribuer.`,
        ref,
      );
    if (!isAwaiting(c.status))
      return refuse(
        reply,
        409,
        'Dossier sans réponse attendue',
        `Ce dossier n’attend plus de réponse (statut${NBSP}: ${caseStatusLabels[c.status]})${NBSP}: il ne se prend plus.`,
        ref,
      );
    await assign(ref, actor, actor);
    return reply.redirect(`/cases/${encodeURIComponent(ref)}?fait=pris`, 303);
  });

  app.post('/cases/:ref/rendre', { config: { role: 'technicien' } }, async (req, reply) => {
    const { ref } = req.params as { ref: string };
    const actor = actorOf(req);
    const c = await caseStore.get(ref);
    if (!c) return unknownCase(reply);
    if (!c.assignee) return reply.redirect(`/cases/${encodeURIComponent(ref)}`, 303);
    if (c.assignee !== actor && !supervises(roleOf(req)))
      return refuse(
        reply,
        403,
        'Action réservée',
        `Ce dossier est attribué à ${await nameOf(c.assignee)}${NBSP}: seul cette personne ou un superviseur peut le rendre.`,
        ref,
      );
    await assign(ref, null, actor);
    const before = new URLSearchParams({ fait: 'rendu', avant: c.assignee });
    return reply.redirect(`/cases/${encodeURIComponent(ref)}?${before}`, 303);
  });

  app.post('/cases/:ref/attribuer', { config: { role: 'superviseur' } }, async (req, reply) => {
    const { ref } = req.params as { ref: string };
    const actor = actorOf(req);
    const wanted = String((req.body as { assignee?: unknown } | null)?.assignee ?? '').trim();
    const c = await caseStore.get(ref);
    if (!c) return unknownCase(reply);
    const colleagues = await listColleagues(db);
    if (!wanted || (wanted !== actor && !colleagues.some((u) => u.login === wanted)))
      return refuse(
        reply,
        400,
        'Attribution impossible',
        'Choisissez un collègue dans la liste (un compte actif de technicien, superviseur ou administrateur).',
        ref,
      );
    if (!isAwaiting(c.status))
      return refuse(
        reply,
        409,
        'Dossier sans réponse attendue',
        `Ce dossier n’attend plus de réponse (statut${NBSP}: ${caseStatusLabels[c.status]})${NBSP}: il ne s’attribue plus.`,
        ref,
      );
    await assign(ref, wanted, actor);
    const before = new URLSearchParams({ fait: 'attribue', avant: c.assignee ?? UNASSIGNED });
    return reply.redirect(`/cases/${encodeURIComponent(ref)}?${before}`, 303);
  });

  app.post('/cases/:ref/notes', { config: { role: 'technicien' } }, async (req, reply) => {
    const { ref } = req.params as { ref: string };
    const body = String((req.body as { body?: unknown } | null)?.body ?? '').trim();
    if (!body)
      return refuse(reply, 400, 'Note vide', `La note est vide${NBSP}: écrivez-la avant de l’ajouter.`, ref);
    if (body.length > NOTE_MAX)
      return refuse(
        reply,
        400,
        'Note trop longue',
        `Une note tient en ${NOTE_MAX.toLocaleString('fr-FR')}${NBSP}caractères${NBSP}: coupez-la en plusieurs.`,
        ref,
      );
    const id = await addNote(db, ref, actorOf(req), body);
    if (id === null) return unknownCase(reply);
    // Never the note's text in the logs.
    deps.log.info({ event: 'web.case_note', ref, note: id }, 'note added');
    return reply.redirect(`/cases/${encodeURIComponent(ref)}?fait=note#notes`, 303);
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? '/';
    if (path === '/api' || path.startsWith('/api/')) return reply.code(404).send({ error: 'not found' });
    return html(reply.code(404)).send(notFoundPage({ user: req.auth?.user, csrf: csrfOf(req) }));
  });

  /** The case page's assignment and notes (spread into its data by GET /cases/:ref). */
  async function workPanels(req: FastifyRequest, c: CaseRecord): Promise<WorkPanels> {
    const user = actorOf(req);
    const role = roleOf(req);
    const [colleagues, notes] = await Promise.all([listColleagues(db), notesOf(db, c.ref)]);
    const q = req.query as { fait?: string; avant?: string };
    const waiting = isAwaiting(c.status);
    const name = (login: string) => colleagues.find((u) => u.login === login)?.name ?? login;
    let flash = q.fait ? (done[q.fait] ?? null) : null;
    if (q.fait === 'attribue' && c.assignee) flash = `Dossier attribué à ${name(c.assignee)}.`;
    const before = q.avant && q.avant !== UNASSIGNED ? q.avant : null;
    // Undo what was just done, while nothing else changed the case since.
    let undo: WorkPanels['work']['undo'] = null;
    if (q.fait === 'pris' && c.assignee === user) undo = { action: 'rendre', assignee: null };
    else if (q.fait === 'rendu' && !c.assignee && before && waiting) {
      if (before === user) undo = { action: 'prendre', assignee: null };
      else if (supervises(role)) undo = { action: 'attribuer', assignee: before };
    } else if (q.fait === 'attribue' && supervises(role) && c.assignee && c.assignee !== before)
      undo = before ? { action: 'attribuer', assignee: before } : { action: 'rendre', assignee: null };
    const others = colleagues.filter((u) => u.login !== c.assignee);
    return {
      work: {
        flash,
        undo,
        assigneeName: c.assignee ? name(c.assignee) : null,
        deadline: waiting && c.sla ? deadlineInDays(c.sla.dueAt, now()).text : null,
        canTake: waiting && !c.assignee,
        canGiveBack: Boolean(c.assignee) && (c.assignee === user || supervises(role)),
        canAssign: waiting && supervises(role) && others.length > 0,
        noColleagues: waiting && supervises(role) && others.length === 0,
        colleagues: others,
        notes,
        noteMax: NOTE_MAX,
      },
    };
  }

  return { workPanels };
}

/** The filters set, the search aside. */
function filterCount(f: CaseFilters): number {
  return [f.status, f.route, f.cdas, f.prestation, f.from || f.to, f.overdue, f.assignee].filter(Boolean)
    .length;
}

function clearedLink(q: CaseListQuery, limit: number | null): string {
  const text = caseListParams({ ...q, queue: null }, { offset: 0, limit }, PAGE_VIEW).toString();
  return text ? `/cases?${text}` : '/cases';
}
