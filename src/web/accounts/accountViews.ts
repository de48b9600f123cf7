import { hb } from '../views.js';
import { roleLabels } from './roles.js';

hb.registerHelper(
  'roleLabel',
  (role: unknown) => roleLabels[role as keyof typeof roleLabels] ?? String(role),
);

/** Logged in, but the page asks for another role. */
export const forbiddenPage = hb.compile(`{{#> layout title="Accès refusé"}}
<h1>Accès refusé</h1>
<p>Cette page est réservée au rôle {{roleLabel needed}}{{#if (eq needed "technicien")}} et aux rôles au-dessus{{/if}}{{#if (eq needed "superviseur")}} et aux administrateurs{{/if}}. Votre compte ({{user}}) a le rôle {{roleLabel role}}.</p>
<p>Si vous en avez besoin, demandez à un administrateur de changer votre rôle.</p>
<p>{{#if (eq role "comite")}}<a href="/stats">Aller aux indicateurs</a>{{else}}<a href="/cases">Aller aux dossiers</a>{{/if}}</p>
{{/layout}}`);

/** The supervisors' audit trail: filters, one page, links to the pages around it and to the CSV. */
export const auditPage = hb.compile(`{{#> layout title="Journal d’audit"}}
<h1>Journal d’audit</h1>
{{#if error}}<p class="error" role="alert">{{error}}</p>{{/if}}
<form method="get" action="/audit" class="period">
  <label>Dossier <input name="ref" value="{{filter.ref}}" placeholder="CDAP-2026-000123"></label>
  <label>Acteur <input name="actor" value="{{filter.actor}}"></label>
  <label>Du <input type="date" name="from" value="{{filter.from}}"></label>
  <label>au <input type="date" name="to" value="{{filter.to}}"></label>
  <button type="submit">Filtrer</button>
</form>
<p><a href="{{csv}}">Exporter en CSV</a> — {{plural total "événement"}}{{#if total}}, {{number first}} à {{number last}} affichés{{/if}}.</p>
<table class="audit">
<thead><tr><th>Date</th><th>Acteur</th><th>Action</th><th>Dossier</th><th>Détail</th></tr></thead>
<tbody>
{{#each lines}}
<tr><td>{{dateTime at}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{#if ref}}<a href="/cases/{{ref}}">{{ref}}</a>{{else}}—{{/if}}</td><td>{{detail}}</td></tr>
{{else}}
<tr><td colspan="5">Aucun événement.</td></tr>
{{/each}}
</tbody>
</table>
<nav class="pager" aria-label="Pages du journal">{{#if previous}}<a rel="prev" href="{{previous}}">← plus récents</a>{{/if}}
{{#if next}}<a rel="next" href="{{next}}">plus anciens →</a>{{/if}}</nav>
{{/layout}}`);
