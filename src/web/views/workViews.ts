import { hb } from '../views.js';

/**
 * The technicians' work views: the cases list with its tabs, filters, search
 * and pages; the page for an address that names nothing (404); a refused
 * action. Same Handlebars instance, helpers and layout as src/web/views.ts.
 */

const csrfField = `{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}`;
hb.registerPartial('csrfField', csrfField);

/** One row per case; under 600 px each row is a card, its cells labelled (data-label). */
hb.registerPartial(
  'workTable',
  `<table class="cases work">
<thead><tr><th>Référence</th><th>Reçu le</th><th>CDAS</th><th>Objet</th><th>Prestations</th><th>Forme</th><th>Statut</th><th>Échéance</th></tr></thead>
<tbody>
{{#each rows}}
<tr class="sla-{{sla}}{{#if urgent}} urgent{{/if}}" data-ref="{{ref}}">
  <td data-label="Référence"><a href="/cases/{{ref}}">{{ref}}</a>{{#if urgent}} <span class="badge urgent">urgent{{#if (eq urgencyCheck "unsubstantiated")}} non justifié{{/if}}</span>{{/if}}{{#if unreadable}} <span class="badge error">illisible</span>{{/if}}{{#if (eq route "quarantine")}} <span class="badge warning">quarantaine</span>{{/if}}{{#if followUps}} <span class="badge">+{{plural followUps "suite"}}</span>{{/if}}</td>
  <td data-label="Reçu le">{{dateTime receivedAt}}</td>
  <td data-label="CDAS">{{#if cdas}}{{cdas}}{{else}}—{{/if}}</td>
  <td data-label="Objet" class="subject">{{#if subject}}{{subject}}{{else}}—{{/if}}</td>
  <td data-label="Prestations">{{join prestations}}</td>
  <td data-label="Forme">{{#if lintErrors}}<span class="badge error">{{plural lintErrors "erreur"}}</span>{{else}}{{#if lintWarnings}}<span class="badge warning">{{plural lintWarnings "remarque"}}</span>{{else}}<span class="badge ok">conforme</span>{{/if}}{{/if}}</td>
  <td data-label="Statut" class="status" data-status="{{status}}">{{label "status" status}}{{#if assignee}} — {{#if assigneeName}}{{assigneeName}}{{else}}{{assignee}}{{/if}}{{/if}}</td>
  <td data-label="Échéance" class="sla">{{#if deadline}}<time datetime="{{dueAt}}" title="{{dateTime dueAt}}">{{deadline}}</time>{{else}}—{{/if}}</td>
</tr>
{{else}}
<tr class="empty"><td colspan="8">{{empty}}</td></tr>
{{/each}}
</tbody>
</table>`,
);

export const casesPage = hb.compile(`{{#> layout title="Dossiers"}}
<h1>Dossiers</h1>
<nav class="tabs" aria-label="Vues">
{{#each tabs}}<a href="{{href}}"{{#if current}} aria-current="page" class="current"{{/if}} data-view="{{view}}">{{name}} <span class="count">{{number count}}</span></a>{{/each}}
</nav>
<p class="summary">{{explain}}</p>
<form method="get" action="/cases" class="filters" role="search">
  {{#if keepView}}<input type="hidden" name="view" value="{{keepView}}">{{/if}}
  <label class="search">Rechercher <input type="search" name="q" value="{{f.search}}" placeholder="référence, CDAS ou mots de l’objet" maxlength="200"></label>
  <details class="more-filters"{{#if filtersOpen}} open{{/if}}><summary>Filtres{{#if filterCount}} ({{filterCount}}){{/if}}</summary><div class="filter-fields">
  <label>Statut <select name="status"><option value="">{{statusDefault}}</option>{{#each statuses}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{name}}</option>{{/each}}</select></label>
  <label>File <select name="route"><option value="">toutes</option>{{#each routes}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{name}}</option>{{/each}}</select></label>
  <label>CDAS <select name="cdas"><option value="">tous</option>{{#each cdasList}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{name}}</option>{{/each}}</select></label>
  <label>Prestation <select name="prestation"><option value="">toutes</option>{{#each prestations}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{name}}</option>{{/each}}</select></label>
  <label>Reçu du <input type="date" name="from" value="{{f.from}}"></label>
  <label>au <input type="date" name="to" value="{{f.to}}"></label>
  <label>Attribué à <select name="assignee"><option value="">tous</option>{{#each assignees}}<option value="{{value}}"{{#if selected}} selected{{/if}}>{{name}}</option>{{/each}}</select></label>
  <label class="check"><input type="checkbox" name="overdue" value="1"{{#if f.overdue}} checked{{/if}}> en retard seulement</label>
  </div></details>
  <button type="submit" class="primary">Filtrer</button>
  {{#if clear}}<a href="{{clear}}" class="clear">Effacer les filtres</a>{{/if}}
</form>
<nav class="pager" aria-label="Pages de la liste">{{#if total}}<span class="count">{{#if (eq total 1)}}1 dossier{{else}}Dossiers {{number first}} à {{number last}} sur {{number total}}{{/if}}</span>{{/if}}
{{#if previous}}<a rel="prev" href="{{previous}}">← précédents</a>{{/if}}
{{#if next}}<a rel="next" href="{{next}}">suivants →</a>{{/if}}</nav>
<section id="cases" data-view="{{view}}">
{{> workTable}}
</section>
{{/layout}}`);

/** The page for an address that names nothing, with the way back. */
export const notFoundPage = hb.compile(`{{#> layout title="Page introuvable"}}
<h1>Page introuvable</h1>
<p>{{#if message}}{{message}}{{else}}Aucune page à cette adresse : le lien est peut-être incomplet, ou la page a été déplacée.{{/if}}</p>
<ul class="way-back">
  <li><a href="/cases">Dossiers</a></li>
  <li><a href="/cases?view=mine">Mes dossiers</a></li>
  <li><a href="/stats">Indicateurs</a></li>
</ul>
<form method="get" action="/cases" class="filters" role="search"><label class="search">Rechercher un dossier <input type="search" name="q" placeholder="CDAP-2025-000123" maxlength="200"></label> <input type="hidden" name="view" value="all"><button type="submit">Rechercher</button></form>
{{/layout}}`);

/** An action refused (not allowed, or no longer possible), said in French, with the way back. */
export const refusedPage = hb.compile(`{{#> layout title=title}}
<h1>{{title}}</h1>
<p role="alert">{{message}}</p>
<p>{{#if ref}}<a href="/cases/{{ref}}">← revenir au dossier {{ref}}</a>{{else}}<a href="/cases">← dossiers</a>{{/if}}</p>
{{/layout}}`);
