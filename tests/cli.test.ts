import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { LOOP_HEADER } from '../src/analysis/classifyKind.js';
import type { CaseRecord } from '../src/cases/caseRecord.js';
import { caseTotals } from '../src/commands/caseSummary.js';
import { DEMO_RELAY_SENDER } from '../src/commands/cliConfig.js';
import { assertDemoResettable } from '../src/commands/demo.js';
import { frenchError, frenchTypography } from '../src/commands/french.js';
import { demoReport } from '../src/commands/serve.js';
import { ConfigError, loadConfig, projectRoot } from '../src/config/loadConfig.js';
import { DemoState } from '../src/local/demoState.js';
import { replyFileName, replyRef } from '../src/local/localSmtpSink.js';
import { runCli } from './support/cli.js';

/** The CLI as a person runs it: the built bin, a shell's environment without our settings. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string) {
  const base = { ...process.env };
  for (const k of ['CDAP_RELAY_SENDERS', 'IMAP_HOST', 'CONFIG_FILE', 'LOG_LEVEL', 'QUEUE_PREFIX'])
    delete base[k];
  return runCli(args, { ...base, ...env }, input);
}

const COMMANDS = ['run', 'web', 'analyze', 'lint', 'backfill', 'reprocess', 'config', 'demo', 'utilisateurs'];
/** commander's own English, which must never reach a user. */
const ENGLISH = /Usage:|Options:|Commands:|Arguments:|display help|\(default:|choices:|error:|Did you mean/;

describe('command line in French', () => {
  it('every --help is French, has examples and lists its exit codes', async () => {
    for (const command of ['', ...COMMANDS]) {
      const { code, out } = await cli(command ? [command, '--help'] : ['--help']);
      expect({
        command,
        code,
        english: ENGLISH.exec(out)?.[0] ?? null,
        usage: out.includes('Utilisation\u00a0:'),
        exitCodes: /Codes de sortie\u00a0:\n {2}0 /.test(out) && /\n {2}78 /.test(out),
        examples: command === '' || /Exemples?\u00a0:/.test(out),
      }).toEqual({ command, code: 0, english: null, usage: true, exitCodes: true, examples: true });
    }
  });

  it('lint --help says that 1 means something to correct', async () => {
    const { out } = await cli(['lint', '--help']);
    expect(out).toMatch(/\n {2}1 +au moins une remarque à corriger/);
  });

  it('usage errors are French and exit 2', async () => {
    const unknown = await cli(['analyze', '--nope', 'x.eml']);
    expect({ code: unknown.code, err: unknown.err.split('\n')[0] }).toEqual({
      code: 2,
      err: 'cdap-triage\u00a0: option inconnue «\u00a0--nope\u00a0»',
    });
    const typo = await cli(['anlyze']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('commande inconnue «\u00a0anlyze\u00a0»');
    expect(typo.err).toContain('Vouliez-vous dire analyze\u00a0?');
    const choice = await cli(['config', '--format', 'xml']);
    expect(choice.code).toBe(2);
    for (const r of [unknown, typo, choice]) expect(r.err).not.toMatch(ENGLISH);
  });

  it('a bad configuration value exits 78 naming the key, the variable and the value, in French', async () => {
    const { code, err } = await cli(['config'], { IMAP_PORT: 'abc' });
    expect(code).toBe(78);
    expect(err).toContain('imap.port (variable IMAP_PORT=«\u00a0abc\u00a0»)\u00a0: doit être un nombre');
    expect(err).not.toMatch(/Invalid|expected|received/);
  });

  it('a bad URL is shown to help find the typo, its password masked', async () => {
    const { code, err } = await cli(['config'], { REDIS_URL: 'http://u:topsecret@redis.example' });
    expect(code).toBe(78);
    expect(err).toContain('REDIS_URL=«\u00a0http://u:********@redis.example\u00a0»');
    expect(err).not.toContain('topsecret');
  });

  it('analyze, the help’s first example, routes the urgent form mail to the priority queue', async () => {
    const { code, out, err } = await cli([
      'analyze',
      '--json',
      join(projectRoot, 'fixtures', 'form-urgent-rsa-substantiated.eml'),
    ]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const analysis = JSON.parse(out) as { route: string; sender: { via: string } };
    expect({ route: analysis.route, via: analysis.sender.via }).toEqual({ route: 'priority', via: 'form' });
  });

  it('config shows the same relay default as run and analyze; IMAP_HOST turns it off', async () => {
    const local = await cli(['config', '--format', 'json']);
    expect(JSON.parse(local.out).relaySenders).toEqual([DEMO_RELAY_SENDER]);
    const real = await cli(['config', '--format', 'json'], { IMAP_HOST: 'imap.caf.example' });
    expect(JSON.parse(real.out).relaySenders).toEqual([]);
  });

  it('analyze of a missing file says so in French and exits 1', async () => {
    const { code, err } = await cli(['analyze', '/nonexistent/x.eml']);
    expect(code).toBe(1);
    expect(err).toContain('impossible de lire /nonexistent/x.eml\u00a0: fichier introuvable');
  });
});

describe('lint --reponse: a technician’s answer to a CDAS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdap-answer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads an answer mail, the CDAS’s request quoted below it, and finds nothing to correct', async () => {
    const file = join(dir, 'reponse.eml');
    writeFileSync(
      file,
      [
        'From: Claire Lebrun <c.lebrun@caf35.example.fr>',
        'To: camille.essai@ille-et-vilaine.fr',
        'Subject: RE: Demande',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        'Bonjour Madame,',
        '',
        'Vous nous interrogez sur l’aide au logement de Monsieur K., non versée depuis le 05/10/2026.',
        'Le versement reprendra dès réception de l’attestation de loyer.',
        '',
        'Cordialement,',
        'C. Lebrun',
        '',
        'Le 20/11/2026 à 10:02, Camille Essai <camille.essai@ille-et-vilaine.fr> a écrit :',
        '> Prestation(s) concernée(s) : APL',
        '',
      ].join('\r\n'),
    );
    const { code, out } = await cli(['lint', '--reponse', file]);
    expect(code).toBe(0);
    expect(out).toContain('Aucune remarque\u00a0: la réponse suit les bonnes pratiques de la convention.');
    expect(out).toContain('précisez --urgence et --prestations');
  });

  it('lists what to correct, errors first, and exits 1', async () => {
    const { code, out } = await cli(
      ['relire', '--answer', '--urgence', 'justifiee', '--prestations', 'rsa'],
      {},
      'Bonjour,\nLe RSA est interrompu.\nCordialement\n',
    );
    expect(code).toBe(1);
    const lines = out.split('\n');
    expect(lines[0]).toBe('5\u00a0remarques sur la réponse\u00a0:');
    expect(lines[1]).toMatch(
      /^ {2}\[à corriger\] La demande est une urgence qui concerne le revenu de solidarité active/,
    );
    expect(lines[2]).toMatch(/^ {2}\[à corriger\] Votre réponse ne se termine pas par votre identité/);
    expect(out).toContain('«\u00a0revenu de solidarité active\u00a0» plutôt que RSA');
    expect(out).not.toContain('précisez --urgence');
  });

  it('refuses an unknown benefit, and the answer options without --reponse, with exit 2', async () => {
    const unknown = await cli(['lint', '--reponse', '--prestations', 'RSA,XYZ', '-'], {}, 'Bonjour');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('prestation inconnue «\u00a0XYZ\u00a0»');
    const alone = await cli(['lint', '--urgence', 'justifiee', '-'], {}, 'Bonjour');
    expect(alone.code).toBe(2);
    expect(alone.err).toContain('les options --urgence et --prestations vont avec --reponse');
  });
});

describe('French texts', () => {
  it('commander messages are translated, typography included', () => {
    expect(frenchError("error: missing required argument 'fichiers'\n")).toBe(
      'cdap-triage\u00a0: il manque l’argument «\u00a0fichiers\u00a0»\n',
    );
    expect(frenchError("error: required option '--since <date>' not specified\n")).toBe(
      'cdap-triage\u00a0: l’option «\u00a0--since <date>\u00a0» est obligatoire\n',
    );
    expect(frenchTypography('A : b ; c ? « d » !')).toBe('A\u00a0: b\u00a0; c\u00a0? «\u00a0d\u00a0»\u00a0!');
    expect(frenchTypography('http://x')).toBe('http://x');
  });

  it('loadConfig names the source of a bad value, in French', () => {
    let message = '';
    try {
      loadConfig({ env: { TRIAGE_CONCURRENCY: 'plenty', REPLY_MODE: 'loud' } });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('Configuration invalide');
    expect(message).toContain(
      'triage.concurrency (variable TRIAGE_CONCURRENCY=« plenty ») : doit être un nombre',
    );
    expect(message).toContain(
      'replies.mode (variable REPLY_MODE=« loud ») : doit valoir live, ou shadow, ou off',
    );
  });

  it('totals agree in number: 0 and 1 singular', () => {
    const c = (route: string) => ({ route }) as CaseRecord;
    expect(caseTotals([c('priority'), c('ignored')])).toBe(
      '2\u00a0messages\u00a0: 1\u00a0prioritaire, 0\u00a0standard, 0\u00a0en quarantaine, 1\u00a0ignoré (robots).',
    );
  });
});

describe('local SMTP sink file names', () => {
  it('names a reply by its case reference although its encoded subject hides it', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
    const info = await transport.sendMail({
      from: 'CAF 35 <partenaires@caf35.example.fr>',
      to: 'cdas@ille-et-vilaine.fr',
      subject: 'Re: [CDAP-2026-000042] Accusé de réception — demande très urgente concernant le RSA',
      text: 'Bonjour',
      messageId: '<CDAP-2026-000042.ack@caf35.example.fr>',
      headers: { [LOOP_HEADER]: 'CDAP-2026-000042' },
    });
    const raw = info.message as Buffer;
    // The premise: the reference is not readable in the subject as sent.
    expect(/^Subject:.*\[CDAP-2026-000042\]/m.test(raw.toString('latin1'))).toBe(false);
    expect(replyRef(raw)).toBe('CDAP-2026-000042');
    expect(replyFileName(raw, () => false)).toBe('CDAP-2026-000042.eml');
    const taken = new Set(['CDAP-2026-000042.eml']);
    expect(replyFileName(raw, (n) => taken.has(n))).toBe('CDAP-2026-000042-2.eml');
  });

  it('falls back on our Message-ID when the loop header is missing', () => {
    const raw = Buffer.from(
      'Message-ID:\r\n <CDAP-2026-000007.ack@caf35.example.fr>\r\nSubject: x\r\n\r\nCDAP-2026-999999',
    );
    expect(replyRef(raw)).toBe('CDAP-2026-000007');
    expect(replyRef(Buffer.from('Subject: x\r\n\r\nCDAP-2026-999999 in the body only'))).toBeNull();
  });
});

describe('demo state and reset', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'cdap-demo-'));
    dirs.push(d);
    return d;
  };

  it('keeps the demo login across starts, readable by its owner only', () => {
    const dir = tmp();
    const first = new DemoState(dir).login();
    const second = new DemoState(dir).login();
    expect(second).toEqual(first);
    expect(first.password.length).toBeGreaterThanOrEqual(12);
    expect(statSync(join(dir, 'demo', 'login.json')).mode & 0o077).toBe(0);
  });

  it('shows only the cases new since the last start', () => {
    const dir = tmp();
    const state = new DemoState(dir);
    const all = [{ ref: 'CDAP-2026-000001' }, { ref: 'CDAP-2026-000002' }];
    const first = demoReport(all, state.seenRefs(), (refs) => refs.join(','));
    expect(first.fresh).toEqual(['CDAP-2026-000001', 'CDAP-2026-000002']);
    state.saveSeenRefs(all.map((c) => c.ref));
    const again = demoReport(all, state.seenRefs(), (refs) => refs.join(','));
    expect(again.text).toBe('Aucun nouveau message depuis le dernier démarrage.');
    const more = demoReport([...all, { ref: 'CDAP-2026-000003' }], state.seenRefs(), (r) => r.join(','));
    expect(more.fresh).toEqual(['CDAP-2026-000003']);
    expect(more.text).toContain('Nouveaux depuis le dernier démarrage\u00a0: 1\u00a0message.');
  });

  it('forgets the mailbox, replies and shown cases, keeps the login', () => {
    const dir = tmp();
    const state = new DemoState(dir);
    const login = state.login();
    state.saveSeenRefs(['CDAP-2026-000001']);
    state.forgetMailAndCases();
    expect(state.seenRefs().size).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'demo', 'login.json'), 'utf8'))).toEqual(login);
  });

  it('refuses to reset anything but the local demo', () => {
    const database = { url: '' };
    const local = { imap: { host: '' }, redis: { url: 'redis://127.0.0.1:6379' }, database } as never;
    expect(() => assertDemoResettable(local)).not.toThrow();
    expect(() =>
      assertDemoResettable({
        imap: { host: 'imap.caf.example' },
        redis: { url: 'redis://127.0.0.1:6379' },
        database,
      } as never),
    ).toThrow(/IMAP_HOST/);
    expect(() =>
      assertDemoResettable({
        imap: { host: '' },
        redis: { url: 'redis://:pw@redis.caf.example:6379' },
        database,
      } as never),
    ).toThrow(/redis\.caf\.example/);
    expect(() =>
      assertDemoResettable({
        imap: { host: '' },
        redis: { url: 'redis://127.0.0.1:6379' },
        database: { url: 'postgres://cdap:pw@db.caf.example/cdap' },
      } as never),
    ).toThrow(/DATABASE_URL/);
  });
});
