import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, mail, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';
import { caseFor } from '../../tests/support/cases.js';
import { projectRoot } from '../config/loadConfig.js';
import { loadReplyTemplates, replySubject } from './renderReply.js';

const analyze = testAnalyzer();
const templates = loadReplyTemplates(
  join(projectRoot, 'config', 'templates'),
  'Le service Relations partenaires de la CAF',
);

describe('reply templates', () => {
  it('ack: reference, date received, the 7–10 day commitment and what was understood', async () => {
    const r = templates.render(caseFor(await analyze(fixture('form-standard-clean.eml'))));
    expect(r.text).toContain('CDAP-2026-000042');
    expect(r.text).toContain('vendredi 20 novembre 2026');
    expect(r.text).toMatch(/dans un délai de 7 à 10 jours, au plus tard le lundi 30 novembre 2026/);
    expect(r.text).toContain('Ce que nous avons compris');
    expect(r.text).toContain('Le service Relations partenaires de la CAF');
    expect(r.text).not.toContain('remarques sur la forme');
    expect(r.html).toContain('<strong>CDAP-2026-000042</strong>');
  });

  it('lists the dates and facts read, so the CDAS can spot a misreading at once', async () => {
    const r = templates.render(caseFor(await analyze(mail(rubrics()))));
    const understood = r.text.slice(r.text.indexOf('Ce que nous avons compris'));
    expect(understood).toContain('- Non-paiement de l’aide au logement depuis le 5\u00a0octobre 2026');
    expect(r.html).toContain('<li>Non-paiement de l’aide au logement depuis le 5\u00a0octobre 2026');
  });

  it('urgent: says it is treated first, and that RSA/AAH unblocking is asked at once', async () => {
    const r = templates.render(caseFor(await analyze(fixture('form-urgent-rsa-substantiated.eml'))));
    expect(r.text).toContain('repérée comme urgente\u00a0: elle est traitée en priorité');
    expect(r.text).toContain('nous demandons le déblocage');
    expect(r.text).not.toContain('7 à 10 jours, au plus tard');
  });

  it('ack-with-feedback: findings ordered by severity, then the four-heading model', async () => {
    const a = await analyze(mail('Bonjour, le RSA de Madame est suspendu. Merci.'));
    expect(a.reply).toBe('ack-with-feedback');
    const r = templates.render(caseFor(a));
    const correct = r.text.indexOf('À corriger');
    const attention = r.text.indexOf('Attention');
    const tip = r.text.indexOf('Conseil');
    expect(correct).toBeGreaterThan(0);
    expect(attention).toBeGreaterThan(correct);
    expect(tip).toBeGreaterThan(attention);
    expect(r.text).toContain('Le modèle de message, à recopier');
    expect(r.text).toContain('Motif(s) de la demande\u00a0:');
  });

  it('several situations: says once that this one is registered and asks once for one mail per situation', async () => {
    const a = await analyze(
      mail(rubrics({ commentaire: 'Situation 1 : APL depuis le 01/09/2026.\nSituation 2 : ASF.' })),
    );
    const r = templates.render(caseFor(a));
    expect(r.text.match(/enregistrée/g)).toHaveLength(2); // the reference sentence, then the remark
    expect(r.text.match(/un message par situation/g)).toHaveLength(1);
  });

  it('is typographically French: one apostrophe, non-breaking spaces before : ; ? ! and inside « », plurals', async () => {
    const one = templates.render(caseFor(await analyze(mail(rubrics({ specificites: 'allophone' })))));
    const two = templates.render(
      caseFor(await analyze(mail(rubrics({ prestations: 'APL, prime d’activité' })))),
    );
    for (const r of [one, two]) {
      expect(r.text).not.toMatch(/\p{L}'\p{L}/u);
      expect(r.text).not.toMatch(/ [:;?!»]|« /);
      expect(r.html.replace(/<[^>]*>/g, '')).not.toMatch(/ [:;?!»]|« |\p{L}'\p{L}/u);
    }
    expect(one.text).toContain('- prestation\u00a0: aide personnalisée au logement');
    expect(two.text).toContain('- prestations\u00a0: prime d’activité, aide personnalisée au logement (APL)');
    // Attributes are code: the style of the HTML part keeps its plain colons.
    expect(one.html).toContain('style="font-family: Arial');
  });

  it('ack with tips only: info findings appear, without the feedback heading', async () => {
    const a = await analyze(mail(rubrics({ specificites: 'allophone' })));
    expect(a.reply).toBe('ack');
    const r = templates.render(caseFor(a));
    expect(r.text).toContain('Quelques conseils');
    expect(r.text).not.toContain('remarques sur la forme');
  });

  it('spells benefits out instead of bare acronyms', async () => {
    const r = templates.render(caseFor(await analyze(fixture('form-urgent-rsa-substantiated.eml'))));
    expect(r.text).toContain('revenu de solidarité active (RSA)');
  });

  it('never echoes the incoming mail into the HTML part', async () => {
    const a = await analyze(
      mail(
        `${rubrics({ commentaire: '<script>alert(1)</script><img src=x onerror=alert(2)> depuis le 01/10/2026' })}`,
        {
          Subject: '<b>Objet</b> <script>x</script>',
        },
      ),
    );
    const r = templates.render(caseFor(a));
    expect(r.html).not.toMatch(/<script|onerror|<img/i);
  });
});

describe('replySubject', () => {
  const base = { ref: 'CDAP-2026-000001', urgent: false, reply: 'ack' } as const;
  it('is ours, with the reference, whatever the incoming subject said', () => {
    expect(replySubject(base)).toBe('Accusé de réception de votre demande [CDAP-2026-000001]');
  });
  it('says when the request is urgent and when it carries remarks on its form', () => {
    expect(replySubject({ ...base, urgent: true, reply: 'ack-with-feedback' })).toBe(
      'Accusé de réception de votre demande urgente et remarques sur sa forme [CDAP-2026-000001]',
    );
  });
  it('never echoes the incoming subject (a URL, an advert, a header injection)', async () => {
    const a = await analyze(mail(rubrics(), { Subject: 'Gagnez un iPhone : http://evil.example/promo' }));
    const c = caseFor(a);
    const r = templates.render(c);
    expect(r.subject).not.toMatch(/iphone|evil|http/i);
    expect(r.subject).toContain(c.ref);
  });
});
