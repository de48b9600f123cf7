import Handlebars from 'handlebars';
import {
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

/**
 * The dashboard's pages, in French. Handlebars escapes every value; the only
 * unescaped block is the JSON for the charts, serialised by us and made safe
 * for a <script type="application/json"> element.
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
hb.registerHelper(
  'json',
  (value: unknown) => new hb.SafeString(JSON.stringify(value).replace(/</g, '\\u003c')),
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
<thead><tr><th>{{heading}}</th><th>Messages</th></tr></thead>
<tbody>{{#each rows}}<tr><td>{{#if ../labelGroup}}{{label ../labelGroup key}}{{else}}{{key}}{{/if}}</td><td>{{count}}</td></tr>{{else}}<tr><td colspan="2">Aucun message sur la période.</td></tr>{{/each}}</tbody>
</table>
<p><a href="/stats.csv?table={{id}}&amp;{{query}}">Exporter en CSV</a></p>`;
hb.registerPartial('countTable', countTable);

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
{{#if (eq s.period "calendar-year")}}<p id="range">Année {{s.year}} : du {{longDay s.firstDay}} au {{longDay s.lastDay}}.</p>
{{else}}{{#if (eq s.period "dates")}}<p id="range">Du {{longDay s.firstDay}} au {{longDay s.lastDay}} inclus.</p>
{{else}}<p id="range">Du {{date s.from}} au {{date s.to}}.</p>{{/if}}{{/if}}
{{#if s.archivedMonths.length}}<p class="note" id="archived">Pour {{plural s.archivedMonths.length "mois" "mois"}} de la période, les dossiers ont été supprimés au terme de leur durée de conservation : leurs comptes anonymes sont inclus, mais pas dans le délai médian ni dans l’évolution de la forme.</p>{{/if}}
<ul class="figures">
  <li><strong id="fig-mails">{{s.mails}}</strong> messages reçus, dont <strong id="fig-requests">{{s.requests}}</strong> demandes de partenaires</li>
  <li><strong id="fig-urgent">{{s.urgent}}</strong> urgences signalées, dont <strong id="fig-unsubstantiated">{{s.urgentUnsubstantiated}}</strong> non justifiées</li>
  <li><strong id="fig-multiple">{{s.multipleSituations}}</strong> messages à plusieurs situations</li>
  <li><strong id="fig-handled">{{s.handled}}</strong> dossiers traités ; délai médian : <strong id="fig-median">{{#if s.medianHoursToHandled}}{{number s.medianHoursToHandled}}\u00a0h{{else}}—{{/if}}</strong></li>
  <li><strong id="fig-breaches">{{s.slaBreaches}}</strong> dépassements du délai de réponse</li>
</ul>
<div class="charts">
  <figure><canvas id="chart-cdas" aria-label="Messages par CDAS" role="img"></canvas><figcaption>Messages par CDAS</figcaption></figure>
  <figure><canvas id="chart-prestations" aria-label="Messages par prestation" role="img"></canvas><figcaption>Messages par prestation</figcaption></figure>
  <figure><canvas id="chart-format" aria-label="Part des messages sans erreur de forme" role="img"></canvas><figcaption>Part des messages sans erreur de forme (%)</figcaption></figure>
</div>
<h2>Par CDAS</h2>
{{> countTable id="cdas" heading="CDAS" rows=s.byCdas query=s.query}}
<h2>Par prestation</h2>
{{> countTable id="prestations" heading="Prestation" rows=s.byPrestation query=s.query}}
<h2>Par motif</h2>
{{> countTable id="motifs" heading="Motif" rows=s.byMotif query=s.query labelGroup="motif"}}
<h2>Par file</h2>
{{> countTable id="routes" heading="File" rows=s.byRoute query=s.query labelGroup="route"}}
<h2>Bonnes pratiques non suivies</h2>
{{> countTable id="rules" heading="Bonne pratique" rows=s.byRule query=s.query labelGroup="rule"}}
<h2>La forme s’améliore-t-elle ?</h2>
<table class="counts" id="format">
<thead><tr><th>Période</th><th>Demandes</th><th>Sans erreur de forme</th><th>Part</th></tr></thead>
<tbody>{{#each s.formatOverTime}}<tr><td>{{day bucket}}</td><td>{{mails}}</td><td>{{withoutFormatError}}</td><td>{{number share}}\u00a0%</td></tr>{{else}}<tr><td colspan="4">Aucune demande sur la période.</td></tr>{{/each}}</tbody>
</table>
<p><a href="/stats.csv?table=format&amp;{{s.query}}">Exporter en CSV</a></p>
<script type="application/json" id="stats-data">{{json s}}</script>
<script src="/assets/chart.umd.min.js"></script>
<script src="/assets/stats.js"></script>
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
`;

/** Draws the charts from the JSON the page carries; served as a file so the CSP can forbid inline scripts. */
export const statsJs = `(() => {
  const s = JSON.parse(document.getElementById('stats-data').textContent);
  const bar = (id, rows, label) => new Chart(document.getElementById(id), {
    type: 'bar',
    data: { labels: rows.map((r) => r.key), datasets: [{ label, data: rows.map((r) => r.count), backgroundColor: '#12355b' }] },
    options: { animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  bar('chart-cdas', s.byCdas, 'Messages');
  bar('chart-prestations', s.byPrestation, 'Messages');
  new Chart(document.getElementById('chart-format'), {
    type: 'line',
    data: { labels: s.formatOverTime.map((p) => p.bucket), datasets: [{ label: '% sans erreur', data: s.formatOverTime.map((p) => p.share), borderColor: '#1d5e2b' }] },
    options: { animation: false, scales: { y: { min: 0, max: 100 } } },
  });
  document.body.dataset.chartsReady = 'true';
})();
`;
