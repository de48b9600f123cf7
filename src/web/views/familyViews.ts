import { hb } from '../views.js';

/**
 * The case page's sections of the family and the mail (issue 15): the
 * family's history, the mail read live from the mailbox, the composer and,
 * on a quarantined case, the supervisor's decision. Rendered by casePage
 * before its end; everything escaped by Handlebars (the mail's text too).
 */
const composerForm = `<form method="post" action="/cases/{{ref}}/reponse" class="composer">
{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}
<input type="hidden" name="draft" value="{{draft}}">
<label>À\u00a0: <input name="to" type="email" value="{{to}}" required></label>
<small class="hint">Adresse du CDAS\u00a0; seules les adresses des domaines partenaires ({{domains}}) sont acceptées.</small>
<label>Objet\u00a0: <input name="subject" value="{{subject}}" required maxlength="300"></label>
<label>Message\u00a0:
<textarea name="body" rows="14" required>{{body}}</textarea></label>
<div class="actions">
<button type="submit" name="action" value="verifier">Vérifier</button>
<button type="submit" name="action" value="envoyer" class="primary">Envoyer</button>
</div>
</form>`;
hb.registerPartial('composerForm', composerForm);

const advice = `{{#if checked}}{{#if advice.length}}
<ul class="findings" id="composer-advice">{{#each advice}}<li data-rule="{{rule}}">{{message}}</li>{{/each}}</ul>
{{else}}<p id="composer-advice" class="ok">Rien à signaler\u00a0: la réponse suit les bonnes pratiques de réponse.</p>{{/if}}{{/if}}`;
hb.registerPartial('composerAdvice', advice);

hb.registerPartial(
  'familyPanels',
  `{{#if notice}}<p class="notice" role="status" id="family-notice">{{notice}}</p>{{/if}}
<section id="family-history">
<h2>Historique de la famille</h2>
{{#if history.enabled}}
{{#if history.rows.length}}
<table class="cases">
<thead><tr><th>Dossier</th><th>Reçu le</th><th>Statut</th><th>Délai de réponse</th><th>Allers-retours</th></tr></thead>
<tbody>{{#each history.rows}}<tr data-ref="{{ref}}"><td><a href="/cases/{{ref}}">{{ref}}</a> <small>({{#if earlier}}antérieur{{else}}postérieur{{/if}})</small></td><td>{{dateTime receivedAt}}</td><td>{{label "status" status}}</td><td>{{answerTime}}</td><td>{{roundTrips}}</td></tr>{{/each}}</tbody>
</table>
{{else}}<p>Aucun autre dossier sur cette famille (même numéro d’allocataire ou même NIR).</p>{{/if}}
{{else}}<p class="note">Historique indisponible\u00a0: la clé des familles (CDAP_FAMILY_KEY) n’est pas configurée.</p>{{/if}}
</section>
<section id="case-mail">
<h2>Message reçu</h2>
{{#if mail.found}}
<p class="hint">Lu à l’instant dans la boîte aux lettres ({{mail.path}})\u00a0: il n’est pas copié dans la base, et cette lecture est tracée.</p>
<pre class="reply mail-text">{{mail.text}}</pre>
{{#if mail.attachments.length}}<h3>Pièces jointes</h3>
<ul class="attachments">{{#each mail.attachments}}<li>{{name}} — {{size}}</li>{{/each}}</ul>{{/if}}
{{else}}<p class="error" id="mail-missing">{{mail.reason}}</p>{{/if}}
</section>
{{#if composer}}
<section id="composer">
<h2>Répondre au CDAS</h2>
<p class="hint">Envoyée depuis l’adresse partenaire, rangée dans les messages envoyés et comptée comme la réponse du dossier.</p>
{{> composerForm composer ref=ref csrf=csrf}}
</section>
{{/if}}
{{#if quarantine}}
<section id="quarantine-decision">
<h2>Décision sur la quarantaine</h2>
<p>{{quarantine.reason}}</p>
{{#if quarantine.decisions.length}}<ul>{{#each quarantine.decisions}}<li>{{dateTime at}} — {{text}} ({{actor}})</li>{{/each}}</ul>{{/if}}
<div class="actions">
<form method="post" action="/cases/{{ref}}/quarantaine/liberer">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit" class="primary" title="Le message est trié comme s’il venait d’un partenaire autorisé, classé et acquitté une fois">Libérer comme demande</button></form>
<form method="post" action="/cases/{{ref}}/quarantaine/confirmer">{{#if csrf}}<input type="hidden" name="_csrf" value="{{csrf}}">{{/if}}<button type="submit">Confirmer la quarantaine</button></form>
</div>
</section>
{{/if}}`,
);

/** The composer alone, after « Vérifier » or a refusal: the draft, the advice, the buttons again. */
export const composerPage = hb.compile(`{{#> layout title=title}}
<h1>Réponse au dossier {{ref}}</h1>
<p><a href="/cases/{{ref}}">← retour au dossier</a></p>
{{#if error}}<p class="error" role="alert" id="composer-error">{{error}}</p>{{/if}}
{{#if checked}}<h2>Bonnes pratiques de réponse</h2><p class="hint">Conseils pour vous, jamais transmis au CDAS.</p>{{/if}}
{{> composerAdvice}}
{{> composerForm composer ref=ref csrf=csrf}}
{{/layout}}`);
