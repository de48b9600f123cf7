import Handlebars from 'handlebars';
import {
  agree,
  formatCalendarDay,
  formatDate,
  formatDateTime,
  formatLongCalendarDay,
  formatNumber,
  plural,
} from '../labels/formats.js';
import {
  capitalise,
  caseStatusLabels,
  kindLabels,
  motifLabels,
  queueLabels,
  rateLimitLabels,
  replyReasonLabels,
  replyStatusLabels,
  replySuppressionLabels,
  routeLabels,
  ruleLabels,
  severityLabels,
  slaLabels,
  urgencyCheckLabel,
  urgencySourceLabels,
} from '../labels/words.js';
import { allows, type Role, type RouteRole } from './accounts/roles.js';
import { daysText, deadlineText, monthLabel, percentText } from './statsWords.js';

/**
 * The dashboard's pages, in French. Handlebars escapes every value; the only
 * unescaped blocks are the JSON for the charts, serialised by us and made safe
 * for a <script type="application/json"> element, and the report's SVG charts
 * (svgBars.ts escapes every text it writes).
 */
export const hb = Handlebars.create();

// What the menu offers: the pages the account's role opens (no role given: the least, comité).
hb.registerHelper('can', (role: unknown, needed: RouteRole) =>
  allows(typeof role === 'string' ? (role as Role) : 'comite', needed),
);
hb.registerHelper('dateTime', (iso: unknown) => (typeof iso === 'string' ? formatDateTime(iso) : '—'));
hb.registerHelper('date', (iso: unknown) => (typeof iso === 'string' ? formatDate(iso) : '—'));
/** A day written YYYY-MM-DD (a chart bucket), as the calendar day it names. */
hb.registerHelper('day', (day: unknown) =>
  typeof day === 'string' ? formatCalendarDay(new Date(day)) : '—',
);
/** A day written YYYY-MM-DD, in full ("mercredi 1 janvier 2025"): a calendar day, not an instant. */
hb.registerHelper('longDay', (day: unknown) =>
  typeof day === 'string' ? formatLongCalendarDay(new Date(day)) : '—',
);
hb.registerHelper('number', (n: unknown) => (typeof n === 'number' ? formatNumber(n, 1) : '—'));
hb.registerHelper('join', (list: unknown) => (Array.isArray(list) && list.length ? list.join(', ') : '—'));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hb.registerHelper('plural', (n: unknown, singular: string, pluralForm: unknown) =>
  plural(Number(n), singular, typeof pluralForm === 'string' ? pluralForm : undefined),
);
hb.registerHelper('capitalise', (text: unknown) => capitalise(String(text ?? '')));
/** The noun alone, agreed with n (the number written apart, in a <strong>). */
hb.registerHelper('plural-word', (n: unknown, singular: string, pluralForm: unknown) =>
  agree(Number(n), singular, typeof pluralForm === 'string' ? pluralForm : undefined),
);
hb.registerHelper('percent', (share: unknown) => percentText(typeof share === 'number' ? share : null));
hb.registerHelper('days', (hours: unknown) => daysText(typeof hours === 'number' ? hours : null));
hb.registerHelper('dueWithin', (n: unknown, unit: 'jour' | 'jour ouvré') => deadlineText(Number(n), unit));
hb.registerHelper('decimal', (n: unknown) => (typeof n === 'number' ? formatNumber(n, 2) : '—'));
/** A month written YYYY-MM-01, as "janvier 2024". */
hb.registerHelper('month', (month: unknown) => (typeof month === 'string' ? monthLabel(month) : '—'));
hb.registerHelper(
  'json',
  (value: unknown) => new hb.SafeString(JSON.stringify(value ?? null).replace(/</g, '\\u003c')),
);

/** The label groups templates may name, all from src/labels. */
const labels: Record<string, Record<string, string>> = {
  sla: slaLabels,
  severity: severityLabels,
  route: routeLabels,
  queue: queueLabels,
  kind: kindLabels,
  motif: motifLabels,
  rule: ruleLabels,
  reply: replyStatusLabels,
  replyReason: replyReasonLabels,
  rateLimit: rateLimitLabels,
  suppression: replySuppressionLabels,
  status: caseStatusLabels,
  source: urgencySourceLabels,
};
hb.registerHelper('label', (group: string, key: unknown) => {
  if (group === 'check') return urgencyCheckLabel((key ?? null) as Parameters<typeof urgencyCheckLabel>[0]);
  return labels[group]?.[String(key)] ?? String(key ?? '—');
});

hb.registerPartial(
  'layout',
  `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}} — cdap-triage</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<header>
  <strong>cdap-triage</strong>
  {{#if user}}
  <nav>
    {{#if (can role "technicien")}}<a href="/cases">Dossiers</a>{{/if}}
    <a href="/stats">Indicateurs</a>
    {{#if (can role "superviseur")}}<a href="/audit">Journal</a>
    <a href="/admin/queues">Files (Bull Board)</a>{{/if}}
    <form method="post" action="/logout" class="inline">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit">Se déconnecter</button></form>
  </nav>
  {{/if}}
</header>
<main>
{{> @partial-block }}
</main>
</body>
</html>`,
);

export const loginPage = hb.compile(`{{#> layout title="Connexion"}}
<h1>Connexion</h1>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
<form method="post" action="/login" class="login">
  <label>Identifiant <input name="user" autocomplete="username" required autofocus></label>
  <label>Mot de passe <input name="password" type="password" autocomplete="current-password" required></label>
  <input type="hidden" name="next" value="{{next}}">
  <button type="submit">Se connecter</button>
</form>
{{/layout}}`);

export const casePage = hb.compile(`{{#> layout title=c.ref}}
<h1>Dossier {{c.ref}}</h1>
<p><a href="/cases">← dossiers</a></p>
{{#if facts.length}}
<ul class="case-facts">{{#each facts}}<li>{{this}}</li>{{/each}}</ul>
{{/if}}
<dl class="facts">
  <dt>Reçu le</dt><dd>{{dateTime c.receivedAt}}</dd>
  <dt>File</dt><dd>{{label "route" c.route}} — {{c.routeReason}}</dd>
  <dt>Type</dt><dd>{{label "kind" c.kind}}</dd>
  <dt>CDAS</dt><dd>{{#if c.cdas}}{{c.cdas.name}}{{else}}non identifié{{/if}}{{#if c.senderDomain}} ({{c.senderDomain}}){{/if}}</dd>
  <dt>Objet</dt><dd>{{#if c.subject}}{{c.subject}}{{else}}—{{/if}}</dd>
  <dt>Motif</dt><dd>{{label "motif" c.motif}}</dd>
  <dt>Prestations</dt><dd>{{join c.prestations}}</dd>
  <dt>Urgence</dt><dd>{{#if c.urgent}}oui, mot-clé trouvé dans {{label "source" c.urgencySource}} — {{label "check" c.urgencyCheck}}<br><small>{{c.urgencyReason}}</small>{{else}}non{{/if}}</dd>
  {{#if c.dmarc}}<dt>Authentification (DMARC)</dt><dd>{{c.dmarc}}</dd>{{/if}}
  <dt>Plusieurs situations</dt><dd>{{#if c.multipleSituations}}oui{{else}}non{{/if}}</dd>
  <dt>Échéance</dt><dd>{{#if c.sla}}{{date c.sla.dueAt}}{{#if work.deadline}}, {{work.deadline}}{{/if}} — {{label "sla" sla}}{{else}}—{{/if}}</dd>
  <dt>Statut</dt><dd id="case-status" data-status="{{c.status}}">{{label "status" c.status}}{{#if c.answeredAt}} le {{dateTime c.answeredAt}}{{/if}}{{#if c.assignee}} — attribué à {{#if work.assigneeName}}{{work.assigneeName}}{{else}}{{c.assignee}}{{/if}}{{/if}}</dd>
  <dt>Allers-retours</dt><dd id="case-round-trips">{{c.roundTrips}}</dd>
  {{#if c.firstAnsweredAt}}<dt>Première réponse</dt><dd>{{dateTime c.firstAnsweredAt}}</dd>{{/if}}
</dl>
<div class="actions">
{{#if awaiting}}
<form method="post" action="/cases/{{c.ref}}/answered">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit" class="primary" title="Réponse donnée hors messagerie (téléphone, courrier)">Marquer comme répondu</button></form>
{{/if}}
{{#if closable}}<form method="post" action="/cases/{{c.ref}}/close">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit">Clore</button></form>{{/if}}
</div>
<section id="assignment" class="work-panel">
<h2>Attribution</h2>
{{#if work.flash}}<div class="flash" role="status">{{work.flash}}{{#if work.undo}} <form method="post" action="/cases/{{c.ref}}/{{work.undo.action}}" class="inline">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}{{#if work.undo.assignee}}<input type="hidden" name="assignee" value="{{work.undo.assignee}}">{{/if}}<button type="submit" class="link" id="undo">Annuler</button></form>{{/if}}</div>{{/if}}
<p id="assignee">{{#if c.assignee}}Attribué à {{work.assigneeName}}{{#if c.takenAt}} depuis le {{dateTime c.takenAt}}{{/if}}.{{else}}Attribué à personne.{{/if}}</p>
<div class="actions">
{{#if work.canTake}}<form method="post" action="/cases/{{c.ref}}/prendre">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit" class="primary" id="take">Je prends</button></form>{{/if}}
{{#if work.canGiveBack}}<form method="post" action="/cases/{{c.ref}}/rendre">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit" id="give-back" title="Le dossier n’est plus attribué : un collègue peut le prendre">Rendre</button></form>{{/if}}
{{#if work.canAssign}}<form method="post" action="/cases/{{c.ref}}/attribuer" class="assign">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<label>Attribuer à <select name="assignee" required><option value="">choisir un collègue</option>{{#each work.colleagues}}<option value="{{login}}">{{name}}</option>{{/each}}</select></label> <button type="submit">Attribuer</button></form>{{/if}}
</div>
{{#if work.noColleagues}}<p class="hint">Aucun compte nommé à qui attribuer le dossier (les comptes se créent avec <code>cdap-triage utilisateurs ajouter</code>).</p>{{/if}}
</section>
<section id="notes" class="work-panel">
<h2>Notes internes</h2>
<p class="hint">Pour les collègues de la CAF, jamais transmises au CDAS. Les numéros (NIR, allocataire), les adresses et les noms après «\u00a0Madame\u00a0» ou «\u00a0Monsieur\u00a0» sont masqués à l’enregistrement.</p>
{{#if work.notes.length}}<ol class="notes">{{#each work.notes}}<li data-note="{{id}}"><p class="note-meta"><strong>{{#if authorName}}{{authorName}}{{else}}{{author}}{{/if}}</strong>, le {{dateTime at}}</p><p class="note-body">{{body}}</p></li>{{/each}}</ol>{{else}}<p>Aucune note.</p>{{/if}}
<form method="post" action="/cases/{{c.ref}}/notes" class="note-form">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<label>Nouvelle note <textarea name="body" rows="3" maxlength="{{work.noteMax}}" required></textarea></label> <button type="submit">Ajouter la note</button></form>
</section>
<h2>Historique</h2>
<ol class="timeline">{{#each timeline}}<li><time datetime="{{at}}">{{dateTime at}}</time> — {{text}}{{#if actor}} ({{actor}}){{/if}}</li>{{/each}}</ol>
{{#if answers.length}}
<h2>Réponses de la CAF et bonnes pratiques de réponse</h2>
<p class="hint">Conseils pour le rédacteur, jamais transmis au CDAS.</p>
<ul class="answers">{{#each answers}}<li>{{dateTime at}}{{#if by}} — {{by}}{{/if}} : {{#if advice.length}}<ul class="findings">{{#each advice}}<li data-rule="{{rule}}">{{message}}</li>{{/each}}</ul>{{else}}{{#if checked}}rien à signaler.{{else}}texte non vérifié (réponse vue sans son texte).{{/if}}{{/if}}</li>{{/each}}</ul>
{{/if}}
<h2>Remarques sur la forme</h2>
{{#if c.lint.length}}
<ul class="findings">{{#each c.lint}}<li class="{{severity}}" data-rule="{{rule}}"><strong>{{capitalise (label "severity" severity)}}</strong> ({{label "rule" rule}}) : {{message}}</li>{{/each}}</ul>
{{else}}<p>Aucune : le message suit les bonnes pratiques.</p>{{/if}}
<h2>Réponse au CDAS</h2>
{{#if c.replyState}}
<p>{{capitalise (label "reply" c.replyState.status)}}{{#if c.replyState.at}} le {{dateTime c.replyState.at}}{{/if}}{{#if c.replyState.reasonCode}} — {{label "replyReason" c.replyState.reasonCode}}{{/if}}{{#if c.replyState.reason}} ({{#if (eq c.replyState.reasonCode "rate-limited")}}{{label "rateLimit" c.replyState.reason}}{{else}}{{c.replyState.reason}}{{/if}}){{/if}}</p>
{{#if c.replyState.text}}<pre class="reply">{{c.replyState.text}}</pre>{{/if}}
{{else}}<p>{{#if c.replySuppressed}}Pas de réponse : {{label "suppression" c.replySuppressed}}.{{else}}{{#if (eq c.reply "none")}}Pas de réponse prévue.{{else}}Réponse en attente.{{/if}}{{/if}}</p>{{/if}}
{{#if c.followUps.length}}
<h2>Suites reçues</h2>
<ul>{{#each c.followUps}}<li>{{dateTime receivedAt}}</li>{{/each}}</ul>
{{/if}}
{{#if family}}{{> familyPanels family}}{{/if}}
{{/layout}}`);

const countTable = `<table class="counts" id="{{id}}">
<thead><tr><th>{{heading}}</th><th>{{unit}}</th></tr></thead>
<tbody>{{#each rows}}<tr><td>{{#if ../labelGroup}}{{label ../labelGroup key}}{{else}}{{key}}{{/if}}</td><td>{{number count}}</td></tr>{{else}}<tr><td colspan="2">Aucune demande sur la période.</td></tr>{{/each}}</tbody>
</table>
<p><a href="/stats.csv?table={{id}}&amp;{{query}}">Exporter en CSV</a></p>`;
hb.registerPartial('countTable', countTable);

hb.registerPartial(
  'delayCells',
  '<td>{{number rounds}}</td><td>{{number withinDeadline}}</td><td>{{percent share}}</td><td>{{number pending}}</td><td>{{days medianHours}}</td><td>{{days p90Hours}}</td>',
);

hb.registerPartial(
  'chart',
  `<figure class="chart{{#if wide}} wide{{/if}}"><div class="chart-box" style="height:{{height}}px"><canvas id="{{id}}" aria-label="{{title}}" role="img"></canvas></div><figcaption>{{title}}</figcaption></figure>`,
);

export const statsPage = hb.compile(`{{#> layout title="Indicateurs"}}
<h1>Indicateurs de la convention</h1>
<form method="get" action="/stats" class="period">
  <label>Période
  <select name="period">
    <option value="week"{{#if (eq s.period "week")}} selected{{/if}}>7 derniers jours</option>
    <option value="month"{{#if (eq s.period "month")}} selected{{/if}}>mois en cours</option>
    <option value="year"{{#if (eq s.period "year")}} selected{{/if}}>année en cours</option>
  </select></label>
  <button type="submit">Afficher</button>
</form>
{{#if years.length}}
<form method="get" action="/stats" class="period" id="choose-year">
  <label>Année civile
  <select name="year">
    {{#each years}}<option value="{{year}}"{{#if selected}} selected{{/if}}>{{year}}</option>{{/each}}
  </select></label>
  <button type="submit">Afficher</button>
</form>
{{/if}}
<form method="get" action="/stats" class="period" id="choose-dates">
  <label>Du <input type="date" name="from" required{{#if (eq s.period "dates")}} value="{{s.firstDay}}"{{/if}}></label>
  <label>au <input type="date" name="to" required{{#if (eq s.period "dates")}} value="{{s.lastDay}}"{{/if}}></label>
  <button type="submit">Afficher</button>
</form>
{{#if (eq s.period "calendar-year")}}<p id="range">Année {{s.year}}\u00a0: du {{longDay s.firstDay}} au {{longDay s.lastDay}}.</p>
{{else}}{{#if (eq s.period "dates")}}<p id="range">Du {{longDay s.firstDay}} au {{longDay s.lastDay}} inclus.</p>
{{else}}<p id="range">Du {{date s.from}} au {{date s.to}}.</p>{{/if}}{{/if}}
<p class="exports"><a id="report-link" href="/rapport?{{s.query}}">Rapport au comité de suivi (à imprimer)</a> · <a id="csv-all" href="/stats.csv?{{s.query}}">Tous les tableaux en CSV (Excel)</a></p>
{{#if s.archivedMonths.length}}<p class="note" id="archived">Pour {{plural s.archivedMonths.length "mois" "mois"}} de la période, les dossiers ont été supprimés au terme de leur durée de conservation\u00a0: leurs comptes anonymes sont inclus, mais pas dans les délais médians, le 90e\u00a0centile ni l’évolution de la forme par jour ou par semaine.</p>{{/if}}
<ul class="figures">
  <li><strong id="fig-mails">{{number s.mails}}</strong> {{plural-word s.mails "message reçu" "messages reçus"}}, dont <strong id="fig-requests">{{number s.requests}}</strong> {{plural-word s.requests "demande" "demandes"}} de partenaires</li>
  <li><strong id="fig-urgent">{{number s.urgent}}</strong> {{plural-word s.urgent "urgence signalée" "urgences signalées"}}, dont <strong id="fig-unsubstantiated">{{number s.urgentUnsubstantiated}}</strong> {{plural-word s.urgentUnsubstantiated "non justifiée" "non justifiées"}}</li>
  <li><strong id="fig-multiple">{{number s.multipleSituations}}</strong> {{plural-word s.multipleSituations "message" "messages"}} à plusieurs situations</li>
  <li><strong id="fig-answered">{{number s.answered}}</strong> {{plural-word s.answered "demande répondue" "demandes répondues"}}\u00a0; délai médian de la première réponse\u00a0: <strong id="fig-median">{{days s.medianHoursToFirstAnswer}}</strong></li>
  <li>Allers-retours répondus dans le délai\u00a0: <strong id="fig-standard-share">{{percent s.delays.standard.share}}</strong> des demandes standard (sous {{dueWithin s.delays.standardDueDays "jour"}}), <strong id="fig-urgent-share">{{percent s.delays.urgent.share}}</strong> des urgences (sous {{dueWithin s.delays.urgentDueWorkingDays "jour ouvré"}})</li>
  <li>Situations réglées en un seul aller-retour\u00a0: <strong id="fig-one-round-trip">{{percent s.roundTrips.settledInOneShare}}</strong>{{#if s.roundTrips.settled}} de {{plural s.roundTrips.settled "situation réglée" "situations réglées"}}{{/if}}</li>
</ul>
<div class="charts">
{{#each charts}}{{> chart}}{{/each}}
</div>

<h2 id="flows">Flux par mois</h2>
<p class="hint">Messages reçus par la boîte CDAP dans le mois\u00a0; demandes\u00a0: celles des partenaires (files prioritaire et standard), sans les messages d’automates ni la quarantaine.</p>
<table class="counts" id="months">
<thead><tr><th>Mois</th><th>Messages</th><th>Demandes</th><th>Urgences signalées</th><th>dont non justifiées</th><th>Répondues</th></tr></thead>
<tbody>{{#each s.byMonth}}<tr><td>{{month month}}</td><td>{{number mails}}</td><td>{{number requests}}</td><td>{{number urgent}}</td><td>{{number urgentUnsubstantiated}}</td><td>{{number answered}}</td></tr>{{/each}}</tbody>
</table>
<p><a href="/stats.csv?table=mois&amp;{{s.query}}">Exporter en CSV</a> · par mois et <a href="/stats.csv?table=mois-cdas&amp;{{s.query}}">par CDAS</a>, <a href="/stats.csv?table=mois-prestations&amp;{{s.query}}">par prestation</a>, <a href="/stats.csv?table=mois-motifs&amp;{{s.query}}">par motif</a></p>
<h2>Par CDAS</h2>
{{> countTable id="cdas" heading="CDAS" unit="Demandes" rows=s.byCdas query=s.query}}
<h2>Par prestation</h2>
<p class="hint">Une demande qui nomme plusieurs prestations compte pour chacune.</p>
{{> countTable id="prestations" heading="Prestation" unit="Demandes" rows=s.byPrestation query=s.query}}
<h2>Par motif</h2>
{{> countTable id="motifs" heading="Motif" unit="Demandes" rows=s.byMotif query=s.query labelGroup="motif"}}
<h2>Par file</h2>
{{> countTable id="routes" heading="File" unit="Messages" rows=s.byRoute query=s.query labelGroup="route"}}
<h2>Bonnes pratiques non suivies</h2>
{{> countTable id="rules" heading="Bonne pratique" unit="Demandes" rows=s.byRule query=s.query labelGroup="rule"}}

<h2 id="delays">Délais de réponse</h2>
<p class="hint">Par aller-retour commencé dans la période (la demande, ou une relance du CDAS reçue après la réponse). Dans le délai\u00a0: la CAF a répondu au plus tard {{dueWithin s.delays.standardDueDays "jour"}} après (demande standard), ou dans les {{dueWithin s.delays.urgentDueWorkingDays "jour ouvré"}} (urgence). Un aller-retour sans réponse dont l’échéance est passée compte hors délai\u00a0; celui dont l’échéance n’est pas encore passée n’est pas compté (colonne «\u00a0non échus\u00a0»).</p>
<table class="counts" id="delay-table">
<thead><tr><th>Allers-retours</th><th>Comptés</th><th>Dans le délai</th><th>Part</th><th>Non échus</th><th>Délai médian</th><th>90e\u00a0centile</th></tr></thead>
<tbody>
<tr><td>Standard (sous {{dueWithin s.delays.standardDueDays "jour"}})</td>{{> delayCells s.delays.standard}}</tr>
<tr><td>Urgences (sous {{dueWithin s.delays.urgentDueWorkingDays "jour ouvré"}})</td>{{> delayCells s.delays.urgent}}</tr>
<tr><td>Ensemble</td>{{> delayCells s.delays.all}}</tr>
</tbody>
</table>
<p><a href="/stats.csv?table=delais&amp;{{s.query}}">Exporter en CSV</a> · <a href="/stats.csv?table=delais-mois&amp;{{s.query}}">par mois</a></p>

<h2 id="round-trips">Allers-retours par situation</h2>
<p class="hint">Objectif de la convention\u00a0: «\u00a01 seul aller-retour de mail pour une situation\u00a0». Situations\u00a0: les demandes reçues dans la période auxquelles la CAF a répondu, ou closes\u00a0; une relance du CDAS après la réponse ouvre un aller-retour de plus.</p>
<table class="counts" id="round-trip-table">
<thead><tr><th>Mois de réception</th><th>Situations réglées</th><th>En 1 aller-retour</th><th>En 2</th><th>En 3 ou plus</th><th>Part en un seul</th><th>Moyenne</th></tr></thead>
<tbody>{{#each s.roundTrips.byMonth}}<tr><td>{{month month}}</td><td>{{number settled}}</td><td>{{number one}}</td><td>{{number two}}</td><td>{{number threeOrMore}}</td><td>{{percent settledInOneShare}}</td><td>{{decimal average}}</td></tr>{{/each}}
<tr class="total"><td>Ensemble</td><td>{{number s.roundTrips.settled}}</td><td>{{number s.roundTrips.one}}</td><td>{{number s.roundTrips.two}}</td><td>{{number s.roundTrips.threeOrMore}}</td><td>{{percent s.roundTrips.settledInOneShare}}</td><td>{{decimal s.roundTrips.average}}</td></tr></tbody>
</table>
<p><a href="/stats.csv?table=allers-retours&amp;{{s.query}}">Exporter en CSV</a></p>

<h2 id="format-cdas">Forme des demandes par CDAS</h2>
<p class="hint">Part des demandes lisibles sans erreur de forme, par CDAS et par mois\u00a0: pour les ateliers CDAP.</p>
<div class="scroll"><table class="counts" id="format-cdas-table">
<thead><tr><th>CDAS</th>{{#each s.months}}<th>{{month this}}</th>{{/each}}<th>Ensemble</th></tr></thead>
<tbody>{{#each s.formatByCdas}}<tr><td>{{cdas}}</td>{{#each byMonth}}<td>{{percent share}}</td>{{/each}}<td>{{percent share}} ({{number mails}})</td></tr>{{else}}<tr><td colspan="2">Aucune demande lisible sur la période.</td></tr>{{/each}}</tbody>
</table></div>
<p><a href="/stats.csv?table=forme-cdas&amp;{{s.query}}">Exporter en CSV</a></p>
<h2>La forme s’améliore-t-elle ?</h2>
<table class="counts" id="format">
<thead><tr><th>Période</th><th>Demandes</th><th>Sans erreur de forme</th><th>Part</th></tr></thead>
<tbody>{{#each s.formatOverTime}}<tr><td>{{day bucket}}</td><td>{{mails}}</td><td>{{withoutFormatError}}</td><td>{{number share}}\u00a0%</td></tr>{{else}}<tr><td colspan="4">Aucune demande sur la période.</td></tr>{{/each}}</tbody>
</table>
<p><a href="/stats.csv?table=format&amp;{{s.query}}">Exporter en CSV</a></p>
<script type="application/json" id="charts-data">{{json charts}}</script>
<script src="/assets/chart.umd.min.js"></script>
<script src="/assets/stats.js"></script>
{{/layout}}`);

/** The committee's report: tables and inline SVG charts, printable on A4 without a script. */
export const reportPage = hb.compile(`{{#> layout title=r.title}}
<article class="report">
<p class="no-print"><a href="/stats?{{r.query}}">← Indicateurs</a> · Pour l’imprimer ou l’enregistrer en PDF\u00a0: Ctrl+P (⌘+P sur Mac).</p>
<h1>{{r.title}}</h1>
<p class="report-range" id="report-range">{{r.range}}.</p>
<p class="made-on">Établi le {{r.madeOn}} à partir des demandes reçues dans la boîte CDAP.</p>
{{#if r.archived}}<p class="note" id="archived">{{r.archived}}</p>{{/if}}
<section id="summary">
<h2>L’essentiel</h2>
<ul class="figures">
  <li>{{r.figures.mails}}, dont {{r.figures.requests}} des partenaires (CDAS).</li>
  <li>{{r.figures.urgent}} ({{r.figures.urgentShare}} des demandes), dont {{r.figures.unsubstantiated}} ({{r.figures.unsubstantiatedShare}} des urgences).</li>
  <li>Réponses dans le délai\u00a0: {{r.figures.standardWithin}} des allers-retours standard (sous {{r.standardDeadline}}), {{r.figures.urgentWithin}} des urgences (sous {{r.urgentDeadline}}).</li>
  <li>Situations réglées en un seul aller-retour\u00a0: {{r.figures.settledInOne}}\u00a0; {{r.figures.average}} aller-retour par situation en moyenne.</li>
  <li>{{r.figures.answered}}\u00a0; délai médian de la première réponse\u00a0: {{r.figures.medianFirstAnswer}}.</li>
</ul>
</section>

<section id="flows">
<h2>1. Flux et nature des demandes</h2>
<p class="what">Ce qui est compté\u00a0: les demandes adressées par les partenaires à la boîte CDAP (formulaire Mon Compte Partenaire ou message direct), au mois de leur réception. Les messages d’automates et ceux mis en quarantaine figurent dans les messages reçus, pas dans les demandes.</p>
<table class="counts"><thead><tr><th>Mois</th><th>Messages reçus</th><th>Demandes</th><th>Urgences signalées</th><th>dont non justifiées</th><th>Demandes répondues</th></tr></thead>
<tbody>{{#each r.months}}<tr{{#if total}} class="total"{{/if}}><td>{{name}}</td><td>{{number mails}}</td><td>{{number requests}}</td><td>{{number urgent}}</td><td>{{number urgentUnsubstantiated}}</td><td>{{number answered}}</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.months}}}<figcaption>Demandes reçues par mois, selon l’urgence</figcaption></figure>
<h3>Par CDAS</h3>
<p class="what">Le CDAS qui a écrit, reconnu à son adresse\u00a0; «\u00a0non identifié\u00a0»\u00a0: une adresse qui n’est pas celle d’un CDAS connu.</p>
<table class="counts"><thead><tr><th>CDAS</th><th>Demandes</th><th>Part</th></tr></thead>
<tbody>{{#each r.cdas}}<tr><td>{{name}}</td><td>{{number count}}</td><td>{{share}}</td></tr>{{else}}<tr><td colspan="3">Aucune demande.</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.cdas}}}<figcaption>Demandes par CDAS</figcaption></figure>
<h3>Par prestation</h3>
<p class="what">La prestation dont parle la demande\u00a0; une demande qui en nomme plusieurs compte pour chacune, les parts peuvent donc dépasser 100\u00a0% ensemble.</p>
<table class="counts"><thead><tr><th>Prestation</th><th>Demandes</th><th>Part des demandes</th></tr></thead>
<tbody>{{#each r.prestations}}<tr><td>{{name}}</td><td>{{number count}}</td><td>{{share}}</td></tr>{{else}}<tr><td colspan="3">Aucune demande.</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.prestations}}}<figcaption>Demandes par prestation</figcaption></figure>
<h3>Par motif</h3>
<p class="what">La nature de la demande, lue dans la rubrique «\u00a0motif\u00a0» du formulaire ou dans le message.</p>
<table class="counts"><thead><tr><th>Motif</th><th>Demandes</th><th>Part</th></tr></thead>
<tbody>{{#each r.motifs}}<tr><td>{{capitalise name}}</td><td>{{number count}}</td><td>{{share}}</td></tr>{{else}}<tr><td colspan="3">Aucune demande.</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.motifs}}}<figcaption>Demandes par motif</figcaption></figure>
</section>

<section id="urgencies">
<h2>2. Urgences</h2>
<p class="what">Ce qui est compté\u00a0: les demandes portant le mot-clé URGENCE DEFINIE. «\u00a0Non justifiée\u00a0»\u00a0: la situation décrite ne répond pas à la définition de l’urgence de la convention (annexe «\u00a0Recueil de bonnes pratiques\u00a0»)\u00a0; ces demandes sont traitées comme les autres urgences, et la réponse en explique la raison.</p>
<ul class="figures"><li>{{r.figures.urgent}}, soit {{r.figures.urgentShare}} des demandes ;</li><li>dont {{r.figures.unsubstantiated}}, soit {{r.figures.unsubstantiatedShare}} des urgences.</li></ul>
<p>Leur évolution mois par mois figure dans le tableau des flux (partie 1).</p>
</section>

<section id="delays">
<h2>3. Délais de réponse</h2>
<p class="what">Ce qui est compté\u00a0: chaque aller-retour (la demande, ou une relance du CDAS reçue après une réponse de la CAF), au mois où il a commencé. Il est dans le délai quand la CAF a répondu au plus tard {{r.standardDeadline}} après (demande standard), ou dans les {{r.urgentDeadline}} (urgence\u00a0: hors samedis, dimanches et jours fériés). Un aller-retour resté sans réponse après son échéance compte hors délai\u00a0; celui dont l’échéance n’est pas encore passée n’est pas compté («\u00a0non échus\u00a0»). Délai médian\u00a0: la moitié des réponses a été donnée en moins de ce temps\u00a0; 90e\u00a0centile\u00a0: neuf réponses sur dix.</p>
<table class="counts"><thead><tr><th>Allers-retours</th><th>Comptés</th><th>Dans le délai</th><th>Part dans le délai</th><th>Non échus</th><th>Répondus</th><th>Délai médian</th><th>90e\u00a0centile</th></tr></thead>
<tbody>{{#each r.delays}}<tr><td>{{name}}</td><td>{{number rounds}}</td><td>{{number within}}</td><td>{{share}}</td><td>{{number pending}}</td><td>{{number answered}}</td><td>{{median}}</td><td>{{p90}}</td></tr>{{/each}}</tbody></table>
<h3>Mois par mois</h3>
<table class="counts"><thead><tr><th>Mois</th><th>Standard dans le délai</th><th>Urgences dans le délai</th><th>Non échus</th></tr></thead>
<tbody>{{#each r.delaysByMonth}}<tr><td>{{name}}</td><td>{{standard}}</td><td>{{urgent}}</td><td>{{number pending}}</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.delays}}}<figcaption>Part des allers-retours répondus dans le délai, par mois</figcaption></figure>
</section>

<section id="round-trips">
<h2>4. Allers-retours par situation</h2>
<p class="what">Objectif de la convention\u00a0: «\u00a01 seul aller-retour de mail pour une situation\u00a0». Ce qui est compté\u00a0: les demandes reçues dans la période auxquelles la CAF a répondu (ou closes), selon le nombre d’allers-retours qu’elles ont demandés\u00a0; chaque relance du CDAS reçue après une réponse en ajoute un.</p>
<p>{{r.roundTrips.settled}}\u00a0; réglées en un seul aller-retour\u00a0: <strong>{{r.figures.settledInOne}}</strong>\u00a0; en moyenne {{r.figures.average}} aller-retour par situation.</p>
<table class="counts"><thead><tr><th>Réglées en</th><th>Situations</th><th>Part</th></tr></thead>
<tbody>{{#each r.roundTrips.rows}}<tr><td>{{name}}</td><td>{{number count}}</td><td>{{share}}</td></tr>{{/each}}</tbody></table>
<table class="counts"><thead><tr><th>Mois de réception</th><th>Situations réglées</th><th>En 1</th><th>En 2</th><th>En 3 ou plus</th><th>Part en un seul</th></tr></thead>
<tbody>{{#each r.roundTrips.byMonth}}<tr><td>{{name}}</td><td>{{number settled}}</td><td>{{number one}}</td><td>{{number two}}</td><td>{{number more}}</td><td>{{share}}</td></tr>{{/each}}</tbody></table>
<figure>{{{r.svg.roundTrips}}}<figcaption>Situations réglées selon le nombre d’allers-retours, par mois de réception</figcaption></figure>
</section>

<section id="format">
<h2>5. Forme des demandes, par CDAS</h2>
<p class="what">Ce qui est compté\u00a0: la part des demandes lisibles qui ne présentent aucune erreur de forme au regard des bonnes pratiques de la convention (rubriques du formulaire renseignées, une seule situation par message, mot-clé d’urgence bien placé…), par CDAS et par mois\u00a0: le support des ateliers CDAP. Entre parenthèses, le nombre de demandes lisibles.</p>
<table class="counts compact"><thead><tr><th>CDAS</th>{{#each r.format.months}}<th>{{this}}</th>{{/each}}<th>Ensemble</th></tr></thead>
<tbody>{{#each r.format.rows}}<tr><td>{{name}}</td>{{#each shares}}<td>{{this}}</td>{{/each}}<td>{{total}} ({{number mails}})</td></tr>{{/each}}
<tr class="total"><td>Tous les CDAS</td>{{#each r.format.all.shares}}<td>{{this}}</td>{{/each}}<td>{{r.format.all.total}} ({{number r.format.all.mails}})</td></tr></tbody></table>
<figure>{{{r.svg.formatCdas}}}<figcaption>Part des demandes sans erreur de forme, par CDAS, sur la période</figcaption></figure>
<figure>{{{r.svg.formatMonths}}}<figcaption>Part des demandes sans erreur de forme, tous CDAS, par mois</figcaption></figure>
</section>

<section id="annex">
<h2>Annexe\u00a0: demandes par CDAS et par mois</h2>
<table class="counts compact"><thead><tr><th>CDAS</th>{{#each r.cdasByMonth.months}}<th>{{this}}</th>{{/each}}<th>Total</th></tr></thead>
<tbody>{{#each r.cdasByMonth.rows}}<tr><td>{{name}}</td>{{#each counts}}<td>{{number this}}</td>{{/each}}<td>{{number total}}</td></tr>{{/each}}</tbody></table>
</section>
</article>
{{/layout}}`);

export const appCss = `
*{box-sizing:border-box}body{margin:0;font-family:system-ui,Arial,sans-serif;font-size:15px;color:#1b1b1b;background:#f7f7f5}
header{display:flex;flex-wrap:wrap;gap:.4rem 2rem;align-items:center;padding:.6rem 1.5rem;background:#12355b;color:#fff}
header nav{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem 0}
header a,header button{color:#fff;margin-right:1.2rem;text-decoration:none;background:none;border:0;font:inherit;cursor:pointer}
main{padding:1rem 1.5rem;max-width:1280px}
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:.5rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
tr.urgent td:first-child{border-left:4px solid #b00020}
tr.sla-overdue .sla{color:#b00020;font-weight:bold}tr.sla-due-soon .sla{color:#a15c00;font-weight:bold}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:.8rem;background:#e6e6e6}
.badge.urgent,.badge.error{background:#fde2e4;color:#8a0015}.badge.warning{background:#fff1d6;color:#7a4a00}.badge.ok{background:#dff3e3;color:#1d5e2b}
.findings li.error{color:#8a0015}.findings li.warning{color:#7a4a00}
.case-facts{background:#fff;border-left:4px solid #12355b;padding:.6rem 1rem .6rem 2rem;margin:0 0 1rem;font-size:1.05em}
dl.facts{display:grid;grid-template-columns:12rem 1fr;gap:.3rem 1rem}dt{font-weight:bold}
pre.reply{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.8rem;max-width:60rem}
button.primary{background:#12355b;color:#fff;border:0;padding:.5rem 1rem;border-radius:.3rem;cursor:pointer}
form.inline{display:inline}form.period{display:inline-block;margin:0 1.5rem .5rem 0}nav.pager a{margin-left:1rem}.note{color:#555}form.login{display:grid;gap:.8rem;max-width:22rem}.error{color:#b00020}
nav.tabs{display:flex;flex-wrap:wrap;gap:.3rem;margin:.5rem 0 1rem;border-bottom:2px solid #12355b}
nav.tabs a{padding:.4rem .8rem;text-decoration:none;color:#12355b;border-radius:.3rem .3rem 0 0}
nav.tabs a.current{background:#12355b;color:#fff}nav.tabs .count{font-size:.85em;opacity:.85}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:.8rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;gap:.15rem;max-width:100%}form.filters label.check{flex-direction:row;align-items:center;gap:.3rem}
form.filters label.search{flex:1 1 16rem}details.more-filters{flex:1 1 100%}details.more-filters summary{cursor:pointer;color:#12355b}
.filter-fields{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-top:.4rem}
@media (min-width:601px){details.more-filters{flex:0 1 auto}}form.filters input,form.filters select{font:inherit;max-width:100%}
.flash{background:#dff3e3;border-left:4px solid #1d5e2b;padding:.5rem .8rem;margin:.8rem 0}
button.link{background:none;border:0;color:#12355b;text-decoration:underline;cursor:pointer;font:inherit;padding:0}
.work-panel .actions{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}.work-panel .actions form{margin:0}
ol.notes{list-style:none;padding:0}ol.notes li{background:#fff;border:1px solid #ddd;padding:.4rem .8rem;margin-bottom:.5rem}
.note-meta{margin:0;font-size:.85rem;color:#555}.note-body{margin:.3rem 0 0;white-space:pre-wrap;overflow-wrap:anywhere}
form.note-form label{display:flex;flex-direction:column;max-width:40rem}form.note-form textarea{font:inherit;width:100%}
td.subject{max-width:24rem;overflow-wrap:anywhere}.actions{display:flex;flex-wrap:wrap;gap:.5rem}
@media (max-width:600px){
main{padding:.6rem .7rem}header{padding:.5rem .7rem}header a,header button{margin-right:.8rem}
dl.facts{grid-template-columns:1fr}dl.facts dd{margin:0 0 .4rem}
table.work thead{display:none}table.work,table.work tbody,table.work tr,table.work td{display:block;width:100%}
table.work tr{background:#fff;border:1px solid #ddd;border-radius:.3rem;margin-bottom:.6rem;padding:.3rem .5rem}
table.work td{border:0;padding:.15rem 0;overflow-wrap:anywhere}
table.work td::before{content:attr(data-label) "\u00a0: ";font-weight:bold;color:#555}
table.work tr.empty td::before{content:none}
tr.urgent td:first-child{border-left:0}table.work tr.urgent{border-left:4px solid #b00020}
form.filters label,.filter-fields label{flex:1 1 100%}form.filters label.check{flex:1 1 auto}
pre.reply{max-width:100%}
}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
figure{background:#fff;margin:0;padding:.5rem;border:1px solid #ddd}figcaption{text-align:center;font-size:.9rem}
figure.wide{grid-column:1/-1}.chart-box{position:relative;width:100%}.hint,.what{color:#444;max-width:60rem}
tr.total td{font-weight:bold;border-top:2px solid #999}.scroll{overflow-x:auto}.exports a{font-weight:bold}
.report{max-width:60rem}.report figure{margin:.8rem 0;border:0;padding:0}.report svg.chart{max-width:100%;height:auto}
.report table.compact th,.report table.compact td{padding:.2rem .3rem;font-size:.85em}
@media print{
  @page{size:A4;margin:14mm 12mm}
  body{background:#fff;font-size:10pt}header,nav,form,button,.no-print{display:none!important}main{padding:0;max-width:none}
  .report section{break-before:page}.report section#summary{break-before:avoid}
  h2,h3{break-after:avoid}tr,figure,.what{break-inside:avoid}table{font-size:9pt}
  .report table.compact th,.report table.compact td{font-size:7.5pt;padding:.1rem .2rem}
  a{color:inherit;text-decoration:none}
}
`;

/**
 * Draws the charts from the JSON the page carries (statsCharts.ts); served as
 * a file so the CSP can forbid inline scripts. No label is skipped: category
 * ticks never auto-skip, months turn when they lack room, and the page gives
 * charts across (CDAS, benefits) a row of height per category.
 */
export const statsJs = `(() => {
  const charts = JSON.parse(document.getElementById('charts-data').textContent);
  const number = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
  for (const c of charts) {
    const canvas = document.getElementById(c.id);
    if (!canvas) continue;
    const category = c.horizontal ? 'y' : 'x';
    const value = c.horizontal ? 'x' : 'y';
    new Chart(canvas, {
      type: c.kind,
      data: {
        labels: c.labels,
        datasets: c.series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color, borderColor: s.color })),
      },
      options: {
        locale: 'fr-FR',
        animation: false,
        maintainAspectRatio: false,
        indexAxis: category,
        plugins: { legend: { display: c.series.length > 1, position: 'bottom' } },
        scales: {
          [category]: { stacked: c.stacked, ticks: { autoSkip: false, maxRotation: 90, minRotation: 0 } },
          [value]: {
            stacked: c.stacked,
            beginAtZero: true,
            max: c.percent ? 100 : undefined,
            ticks: { precision: 0, callback: (v) => number.format(v) + (c.percent ? '\\u00a0%' : '') },
          },
        },
      },
    });
  }
  document.body.dataset.chartsReady = 'true';
})();
`;
