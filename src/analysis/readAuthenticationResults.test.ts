import { describe, expect, it } from 'vitest';
import { mail, rubrics, testAnalyzer } from '../../tests/support/analyzer.js';

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
