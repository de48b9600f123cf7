// Cases as cdap-triage 0.1 kept them in Redis (src/cases/caseStore.ts and
// src/infra/redisKeys.ts at b0828e3), for the tests and the benchmark of
// `cdap-triage migrate-from-redis`. The keys are written as the 0.1 store wrote
// them; the cases are invented: no NIR, no name, no postal address.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const DAY = 86_400_000;

/** A small deterministic generator: the same seed gives the same cases. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted(rnd, entries) {
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [value, w] of entries) {
    x -= w;
    if (x < 0) return value;
  }
  return entries[entries.length - 1][0];
}

const sha = (s) => createHash('sha256').update(s).digest('hex');

const PRESTATIONS = [
  ['RSA', 30],
  ['APL', 18],
  ['PPA', 12],
  ['AF', 10],
  ['AAH', 8],
  ['ALS', 5],
  ['ASF', 5],
  ['ALF', 3],
  ['CF', 3],
  ['PAJE', 3],
  ['AEEH', 1],
  ['ARS', 1],
  ['CMG', 1],
];

const MOTIFS = [
  ['non-paiement', 25],
  ['baisse', 20],
  ['explication', 20],
  ['changement-situation', 15],
  ['document', 10],
  ['autre', 7],
  ['non-indique', 3],
];

const RULES = [
  ['rubric-missing', 'error', 'La rubrique « Motif de la demande » manque.'],
  ['rubric-empty', 'error', 'La rubrique « Prestations concernées » est vide.'],
  ['dates-missing', 'warning', 'Aucune date n’est donnée pour la période concernée.'],
  ['urgency-unsubstantiated', 'warning', 'L’urgence n’est pas justifiée.'],
  ['vocabulary-suspension', 'warning', 'Préférez « interruption du paiement » à « suspension ».'],
  ['multiple-situations', 'warning', 'Une demande par situation, s’il vous plaît.'],
  ['attachments-channel', 'info', 'Les pièces justificatives passent par le portail partenaires.'],
];

const SLA = { standardDueDays: 10, standardWarningDays: 7, urgentDueWorkingDays: 2 };

function addWorkingDays(from, days) {
  const d = new Date(from);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) left--;
  }
  return d;
}

/** The CDAS of config/cdas.yaml: id, name and their generic institutional address. */
export function loadCdas() {
  return parseYaml(readFileSync(join(root, 'config', 'cdas.yaml'), 'utf8')).map((c) => ({
    id: c.id,
    name: c.name,
    address: c.address,
  }));
}

/**
 * `count` cases received between `from` and `to`, numbered per year in order
 * of reception as 0.1 numbered them, with a realistic mix: mostly CDAS forms,
 * routes priority (urgent, ~10 %) and standard, some quarantined or ignored
 * robots, ~3 % still open (the recent ones), a few follow-ups and duplicates.
 * Each entry: { record (CaseRecord without replyState, with followUps),
 * reply (ReplyState or null), filed (FiledAt or null), duplicates (extra mail places) }.
 */
export function synthetic01Cases(options) {
  return [...synthetic01Stream(options)];
}

/** synthetic01Cases one at a time, for sizes that should not sit in memory at once (the benchmark). */
export function* synthetic01Stream({
  count,
  from,
  to,
  seed = 1,
  mailboxId = 'default',
  uidValidity = '1',
  cdas = loadCdas(),
  openShare = 0.03,
}) {
  const rnd = random(seed);
  const span = to.getTime() - from.getTime();
  const times = Array.from({ length: count }, () => from.getTime() + Math.floor(rnd() * span)).sort(
    (a, b) => a - b,
  );
  // Open cases are the latest ones: a queue is worked oldest first.
  const recent = to.getTime() - Math.min(span, 60 * DAY);
  const recentCount = times.filter((t) => t >= recent).length;
  const openChance = recentCount ? Math.min(1, (openShare * count) / recentCount) : 0;
  const perYear = new Map();
  let uid = 0;
  for (let i = 0; i < count; i++) {
    const received = new Date(times[i]);
    const year = received.getUTCFullYear();
    const seq = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, seq);
    const ref = `CDAP-${year}-${String(seq).padStart(6, '0')}`;
    uid += 1;
    const mail = { mailboxId, uidValidity, uid };
    const kind = weighted(rnd, [
      ['cdap-form', 85],
      ['direct', 8],
      ['auto-reply', 4],
      ['bulk', 2],
      ['bounce', 1],
    ]);
    const human = kind === 'cdap-form' || kind === 'direct';
    const urgent = human && rnd() < 0.11;
    const route = !human ? 'ignored' : rnd() < 0.02 ? 'quarantine' : urgent ? 'priority' : 'standard';
    const routed = route === 'priority' || route === 'standard';
    const center =
      kind === 'cdap-form' || (kind === 'direct' && rnd() < 0.6)
        ? cdas[Math.floor(rnd() * cdas.length)]
        : null;
    const prestations = [weighted(rnd, PRESTATIONS)];
    if (rnd() < 0.2) {
      const second = weighted(rnd, PRESTATIONS);
      if (!prestations.includes(second)) prestations.push(second);
    }
    const lint = [];
    if (human && rnd() < 0.4) {
      const n = 1 + Math.floor(rnd() * 2);
      for (let k = 0; k < n; k++) {
        const [rule, severity, message] = RULES[Math.floor(rnd() * RULES.length)];
        if (!lint.some((f) => f.rule === rule)) lint.push({ rule, severity, message });
      }
    }
    const lintErrors = lint.filter((f) => f.severity === 'error').length;
    const lintWarnings = lint.filter((f) => f.severity === 'warning').length;
    const reply = !routed ? 'none' : lint.length ? 'ack-with-feedback' : 'ack';
    const open = routed && times[i] >= recent && rnd() < openChance;
    const triaged = new Date(times[i] + 2000 + Math.floor(rnd() * 3000));
    const handled = routed && !open ? new Date(times[i] + Math.floor((0.2 + rnd() * 9) * DAY)) : null;
    const due = urgent
      ? addWorkingDays(received, SLA.urgentDueWorkingDays)
      : new Date(times[i] + SLA.standardDueDays * DAY);
    const warn = urgent ? new Date(times[i] + DAY) : new Date(times[i] + SLA.standardWarningDays * DAY);
    const followUps = [];
    if (human && rnd() < 0.05) {
      uid += 1;
      followUps.push({
        receivedAt: new Date(times[i] + Math.floor(rnd() * 3 * DAY)).toISOString(),
        mail: { mailboxId, uidValidity, uid },
      });
    }
    const duplicates = [];
    if (rnd() < 0.01) {
      uid += 1;
      duplicates.push({ mailboxId, uidValidity, uid });
    }
    const record = {
      ref,
      mail,
      messageIdHash: sha(`mid-${seed}-${i}`).slice(0, 32),
      contentHash: sha(`content-${seed}-${i}`),
      receivedAt: received.toISOString(),
      triagedAt: triaged.toISOString(),
      route,
      routeReason: route === 'priority' ? 'urgent' : route === 'standard' ? 'cdap-form' : `${kind}`,
      kind,
      unreadable: false,
      unreadableReason: null,
      urgent,
      urgencySource: urgent ? 'subject' : null,
      urgencyCheck: urgent ? (rnd() < 0.8 ? 'substantiated' : 'unsubstantiated') : null,
      urgencyReason: urgent ? 'mot « URGENT » dans l’objet' : null,
      cdas: center ? { id: center.id, name: center.name } : null,
      senderDomain: center ? center.address.slice(center.address.indexOf('@') + 1) : 'example.org',
      replyTo: center ? center.address : null,
      prestations,
      motif: human ? weighted(rnd, MOTIFS) : 'non-indique',
      multipleSituations: lint.some((f) => f.rule === 'multiple-situations'),
      facts: [],
      dmarc: null,
      lint,
      lintErrors,
      lintWarnings,
      reply,
      replySuppressed: null,
      subject: human
        ? `${urgent ? 'URGENT – ' : ''}Demande CDAP – ${prestations.join(', ')}`
        : 'Réponse automatique',
      sla: routed ? { dueAt: due.toISOString(), warnAt: warn.toISOString() } : null,
      status: routed ? (open ? 'open' : 'handled') : 'recorded',
      handledAt: handled ? handled.toISOString() : null,
      followUps,
      backfill: false,
      replyState: null,
    };
    const replyState =
      reply === 'none'
        ? null
        : {
            status: 'sent',
            reasonCode: null,
            reason: null,
            at: new Date(triaged.getTime() + 1500).toISOString(),
            messageId: `<${ref}.${seq}@cdap-triage.invalid>`,
            text: 'Bonjour,\n\nNous avons bien reçu votre demande.\n\nLe pôle partenaires de la CAF',
          };
    const folder =
      { priority: 'CDAP.Prioritaire', standard: 'CDAP.Standard', quarantine: 'CDAP.Quarantaine' }[route] ??
      'CDAP.Ignores';
    const filed = { path: folder, uidValidity: '7', uid: i + 1 };
    yield { record, reply: replyState, filed, duplicates };
  }
}

/** The 0.1 keys (src/infra/redisKeys.ts at b0828e3). */
export function keys01(prefix) {
  return {
    case: (ref) => `${prefix}:case:${ref}`,
    mail: (m) => `${prefix}:mail:${m.mailboxId}:${m.uidValidity}:${m.uid}`,
    hash: (h) => `${prefix}:hash:${h}`,
    sequence: (year) => `${prefix}:refseq:${year}`,
    open: (route) => `${prefix}:cases:open:${route}`,
    all: () => `${prefix}:cases:all`,
    filings: (mailboxId) => `${prefix}:filing:${mailboxId}`,
    reply: (ref) => `${prefix}:reply:${ref}`,
    filed: (ref) => `${prefix}:filed:${ref}`,
    located: (path, uidValidity, uid) => `${prefix}:located:${path}:${uidValidity}:${uid}`,
    epoch: () => `${prefix}:epoch`,
  };
}

/**
 * Writes cases into Redis under `prefix` as the 0.1 store did: the case JSON
 * (follow-ups included, reply state apart), its reply state and filed place,
 * the keys of its mails and bytes (follow-ups and duplicates included), the
 * indexes, where its mail was filed, the yearly counters (`sequenceSlack` past
 * the highest number: 0.1 could burn numbers), the store's epoch, and
 * `pendingFilings` of the latest mails still waiting to be moved.
 * No TTL: the migration reads what is there.
 */
export async function seed01(
  redis,
  prefix,
  entries,
  { epoch = null, sequenceSlack = 0, pendingFilings = 0, batch = 1000 } = {},
) {
  const k = keys01(prefix);
  const highest = new Map();
  const latest = [];
  let count = 0;
  let p = redis.pipeline();
  let inPipeline = 0;
  for (const { record, reply, filed, duplicates } of entries) {
    count++;
    if (pendingFilings > 0) {
      latest.push(record);
      if (latest.length > pendingFilings) latest.shift();
    }
    const [, y, n] = /^CDAP-(\d{4})-(\d+)$/.exec(record.ref);
    highest.set(Number(y), Math.max(highest.get(Number(y)) ?? 0, Number(n)));
    const score = new Date(record.receivedAt).getTime();
    const pairs = [
      k.case(record.ref),
      JSON.stringify(record),
      k.mail(record.mail),
      record.ref,
      k.hash(record.contentHash),
      record.ref,
    ];
    if (reply) pairs.push(k.reply(record.ref), JSON.stringify(reply));
    if (filed) {
      pairs.push(k.filed(record.ref), JSON.stringify(filed));
      pairs.push(k.located(filed.path, filed.uidValidity, filed.uid), record.ref);
    }
    for (const f of record.followUps) {
      pairs.push(k.mail(f.mail), record.ref);
      pairs.push(k.hash(sha(`follow-up-${record.ref}-${f.mail.uid}`)), record.ref);
    }
    for (const d of duplicates ?? []) pairs.push(k.mail(d), record.ref);
    p.mset(...pairs);
    p.zadd(k.all(), score, record.ref);
    if (record.status === 'open') p.zadd(k.open(record.route), score, record.ref);
    if (++inPipeline >= batch) {
      await p.exec();
      p = redis.pipeline();
      inPipeline = 0;
    }
  }
  if (inPipeline) await p.exec();
  p = redis.pipeline();
  for (const [year, n] of highest) p.set(k.sequence(year), String(n + sequenceSlack));
  if (epoch) p.set(k.epoch(), String(epoch.getTime()));
  for (const record of latest) {
    const folder =
      record.route === 'priority' ? 'priority' : record.route === 'standard' ? 'standard' : record.route;
    p.hset(
      k.filings(record.mail.mailboxId),
      `${record.mail.uidValidity}:${record.mail.uid}`,
      JSON.stringify({ folder, flagged: record.urgent, ownRef: record.ref, at: Date.now() }),
    );
  }
  await p.exec();
  return { highest, count };
}
