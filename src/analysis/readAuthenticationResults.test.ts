import { describe, expect, it } from 'vitest';
import { mail, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';
import { withVerifiedDmarc } from './decideRoute.js';

const analyze = testAnalyzer({
  SENDER_VERIFICATION: 'authentication-results',
  AUTHSERV_ID: 'mx.caf35.example.fr',
});

const ar = (id: string, dmarc: string) =>
  `${id};\r\n dkim=${dmarc === 'pass' ? 'pass' : 'fail'} header.d=ille-et-vilaine.fr;\r\n dmarc=${dmarc} header.from=ille-et-vilaine.fr`;

/** Headers in the order they stand in the mail: our MTA's on top. */
function withAuthResults(...values: string[]): string {
  const base = mail(rubrics());
  const lines = values.map((v) => `Authentication-Results: ${v}`).join('\r\n');
  return `${lines}\r\n${base}`;
}

describe('sender verification from Authentication-Results', () => {
  it('quarantines, with no reply, a partner mail our MTA found failing DMARC', async () => {
    const a = await analyze(withAuthResults(ar('mx.caf35.example.fr', 'fail')));
    expect(a.authentication).toEqual({ dmarc: 'fail', source: 'authentication-results' });
    expect(a.route).toBe('quarantine');
    expect(a.reply).toBe('none');
  });

  it('routes as usual when our MTA found DMARC passing', async () => {
    const a = await analyze(withAuthResults(ar('mx.caf35.example.fr', 'pass')));
    expect(a.authentication.dmarc).toBe('pass');
    expect(a.route).toBe('standard');
  });

  it('ignores a forged "pass" lower in the headers when ours says fail', async () => {
    const a = await analyze(
      withAuthResults(ar('mx.caf35.example.fr', 'fail'), ar('mx.caf35.example.fr', 'pass')),
    );
    expect(a.route).toBe('quarantine');
  });

  it('does not trust a topmost header written by another server', async () => {
    const a = await analyze(
      withAuthResults(ar('mx.attacker.example', 'pass'), ar('mx.caf35.example.fr', 'fail')),
    );
    expect(a.authentication.dmarc).toBe('none');
    expect(a.route).toBe('standard');
  });

  it('is off by default: no header is read', async () => {
    const a = await testAnalyzer()(withAuthResults(ar('mx.caf35.example.fr', 'fail')));
    expect(a.authentication).toEqual({ dmarc: null, source: null });
    expect(a.route).toBe('standard');
  });
});

describe('sender verification by mailauth (the verifier’s verdict fed back to the analyzer)', () => {
  const plain = testAnalyzer();

  it('quarantines a failing partner mail exactly as a failing Authentication-Results header does', async () => {
    const byHeader = await analyze(withAuthResults(ar('mx.caf35.example.fr', 'fail')));
    const verified = withVerifiedDmarc(await plain(mail(rubrics())), 'fail');
    expect(verified.authentication).toEqual({ dmarc: 'fail', source: 'mailauth' });
    expect({ route: verified.route, reason: verified.routeReason, reply: verified.reply }).toEqual({
      route: byHeader.route,
      reason: byHeader.routeReason,
      reply: byHeader.reply,
    });
    expect(verified.route).toBe('quarantine');
  });

  it('keeps the route and reply of a mail that passes, and an urgency stays priority', async () => {
    const before = await plain(mail(rubrics(), { Subject: 'URGENCE DEFINIE' }));
    const verified = withVerifiedDmarc(before, 'pass');
    expect(verified.authentication).toEqual({ dmarc: 'pass', source: 'mailauth' });
    expect([verified.route, verified.routeReason, verified.reply]).toEqual([
      before.route,
      before.routeReason,
      before.reply,
    ]);
    expect(verified.route).toBe('priority');
  });
});
