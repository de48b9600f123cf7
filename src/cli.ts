import { Command, Option } from 'commander';
import { COMMON_EXIT_CODES, exitCodes, speakFrench } from './commands/french.js';

/*
 * Only commander loads up front: each command imports what it needs when it
 * runs, so `--help` or `analyze` never pays for Redis, BullMQ, fastify or pino.
 */

const program = speakFrench(new Command());

program
  .name('cdap-triage')
  .usage('<commande> [options]')
  .description(
    'Tri des messages des CDAS à la boîte partenaire de la CAF : urgence, rubriques, files prioritaire et standard.',
  )
  .addHelpText(
    'after',
    '\nChaque commande a son aide et ses exemples : cdap-triage <commande> --help' +
      exitCodes({ 0: 'aide affichée', ...COMMON_EXIT_CODES }),
  );

program
  .command('analyze')
  .alias('analyser')
  .description('Analyse des messages (.eml) et affiche ce qui a été compris et ce que le CDAS lirait.')
  .argument('<fichiers...>', 'fichiers .eml (ou - pour l’entrée standard)')
  .option('--json', 'une ligne JSON par fichier, pour les scripts')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage analyze fixtures/form-urgent-rsa-substantiated.eml\n  $ CDAP_RELAY_SENDERS=robot@caf.example cdap-triage analyze --json boite/*.eml' +
      '\n\nSans IMAP_HOST ni CDAP_RELAY_SENDERS, le robot du formulaire est celui de la démonstration (cdap-formulaire@caf35.example.fr), comme pour run.' +
      exitCodes({
        0: 'tous les fichiers ont été analysés',
        1: 'un fichier n’a pas pu être lu (les autres sont analysés)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (files: string[], opts: { json?: boolean }) => {
    const { analyzeFiles } = await import('./commands/analyze.js');
    process.exitCode = await analyzeFiles(files, opts);
  });

program
  .command('lint')
  .alias('relire')
  .description(
    'Relit un brouillon de message d’un CDAS et affiche les remarques qu’il recevrait. Avec --reponse, relit la réponse d’un technicien de la CAF à un CDAS.',
  )
  .argument('[fichier]', 'brouillon ou réponse (texte ou .eml) ; sans argument, l’entrée standard', '-')
  .option(
    '--reponse',
    'le fichier est la réponse d’un technicien de la CAF à un CDAS : vérifie les bonnes pratiques de réponse de la convention',
  )
  .addOption(new Option('--answer').hideHelp())
  .addOption(
    new Option(
      '--urgence <verdict>',
      'avec --reponse : la demande portait le mot-clé URGENCE DEFINIE, et l’urgence est justifiée ou non',
    ).choices(['justifiee', 'non-justifiee']),
  )
  .option(
    '--prestations <codes>',
    'avec --reponse : les prestations de la demande, séparées par des virgules (par exemple RSA,AAH)',
  )
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage lint brouillon.txt\n  $ pbpaste | cdap-triage lint' +
      '\n  $ cdap-triage lint --reponse reponse.eml\n  $ cdap-triage lint --reponse --urgence justifiee --prestations RSA reponse.txt' +
      '\n\n--answer est accepté pour --reponse.' +
      exitCodes({
        0: 'rien à corriger (au plus des remarques pour information)',
        1: 'au moins une remarque à corriger avant l’envoi',
        ...COMMON_EXIT_CODES,
        2: 'brouillon ou réponse illisible, ou commande mal écrite',
      }),
  )
  .action(
    async (
      file: string,
      opts: {
        reponse?: boolean;
        answer?: boolean;
        urgence?: 'justifiee' | 'non-justifiee';
        prestations?: string;
      },
    ) => {
      if (opts.reponse || opts.answer) {
        const { lintAnswerFile } = await import('./commands/lintAnswer.js');
        process.exitCode = await lintAnswerFile(file, opts);
        return;
      }
      if (opts.urgence !== undefined || opts.prestations !== undefined) {
        program.error('les options --urgence et --prestations vont avec --reponse', { exitCode: 2 });
      }
      const { lintDraft } = await import('./commands/analyze.js');
      process.exitCode = await lintDraft(file);
    },
  );

program
  .command('web')
  .description(
    'Lance seulement le tableau de bord web (dossiers, indicateurs, files, métriques), sans relève ni tri.',
  )
  .addHelpText(
    'after',
    '\nExemple :\n  $ HTTP_USER=operateur HTTP_PASSWORD=… cdap-triage web' +
      exitCodes({
        0: 'arrêté par Ctrl-C ou SIGTERM',
        1: 'n’a pas pu démarrer (Redis absent, port occupé…)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async () => {
    const { webCommand } = await import('./commands/serve.js');
    await webCommand();
  });

program
  .command('run')
  .alias('lancer')
  .description(
    'Lance le service : relève de la boîte (IMAP), tri, files prioritaire et standard, classement en dossiers. ' +
      'Sans IMAP_HOST, démarre un Dovecot local rempli de messages de démonstration (arrêté avec le service).',
  )
  .option('--no-web', 'sans le tableau de bord web')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage run\n  $ IMAP_HOST=imap.caf.example IMAP_USER=partenaires IMAP_PASSWORD=… REDIS_URL=redis://127.0.0.1:6379 cdap-triage run' +
      '\n\nDémonstration à zéro : cdap-triage demo --reinitialiser, puis cdap-triage run.' +
      exitCodes({
        0: 'arrêté par Ctrl-C ou SIGTERM',
        1: 'n’a pas pu démarrer, ou la boîte est devenue inaccessible',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (opts: { web: boolean }) => {
    const { runCommand } = await import('./commands/serve.js');
    await runCommand(opts);
  });

program
  .command('demo')
  .alias('démo')
  .description(
    'Gère la démonstration locale (sans IMAP_HOST) : la remet à zéro, ou arrête son Dovecot resté en marche.',
  )
  .addOption(
    new Option(
      '--reinitialiser',
      'arrête la démonstration, efface ses dossiers dans Redis, ses réponses et sa boîte : le prochain run recharge les messages',
    ).conflicts('arreter'),
  )
  .addOption(new Option('--reset').hideHelp())
  .option('--arreter', 'arrête le Dovecot de la démonstration (et un run de démonstration en cours)')
  .addOption(new Option('--stop').hideHelp())
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage demo --reinitialiser && cdap-triage run\n  $ ./scripts/start.sh --reset\n  $ cdap-triage demo --arreter' +
      '\n\n--reset et --stop sont acceptés pour --reinitialiser et --arreter.' +
      exitCodes({
        0: 'fait',
        1: 'impossible (IMAP_HOST est défini, Redis n’est pas local, ou un serveur ne s’arrête pas)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (opts: { reinitialiser?: boolean; reset?: boolean; arreter?: boolean; stop?: boolean }) => {
    const reset = opts.reinitialiser || opts.reset;
    const stop = opts.arreter || opts.stop;
    if (!reset && !stop) {
      program.commands.find((c) => c.name() === 'demo')?.help({ error: true });
    }
    const { demoCommand } = await import('./commands/demo.js');
    process.exitCode = await demoCommand(reset ? 'reset' : 'stop');
  });

program
  .command('backfill')
  .alias('rattraper')
  .description(
    'Trie et classe le courrier déjà présent dans la boîte, reçu depuis une date, sans jamais y répondre (rattrapage).',
  )
  .requiredOption('--since <date>', 'date de début, AAAA-MM-JJ')
  .option('--mailbox <identifiant>', 'identifiant de la boîte (config `mailboxes`), la première par défaut')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage backfill --since 2026-09-01\n  $ cdap-triage backfill --since 2026-11-01 --mailbox caf35' +
      exitCodes({
        0: 'rattrapage terminé (ou rien à rattraper)',
        1: 'échec (boîte ou Redis inaccessible, boîte inconnue)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (opts: { since: string; mailbox?: string }) => {
    const { backfillCommand } = await import('./commands/backfill.js');
    process.exit(await backfillCommand(opts));
  });

program
  .command('reprocess')
  .alias('reanalyser')
  .description(
    'Refait l’analyse d’un dossier sur son message (après une correction), ou relance les tâches en échec ; jamais de seconde réponse.',
  )
  .argument('[reference]', 'référence du dossier, CDAP-AAAA-NNNNNN')
  .option('--failed', 'relancer toutes les tâches de tri et de réponse en échec')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage reprocess CDAP-2026-000123\n  $ cdap-triage reprocess --failed' +
      exitCodes({
        0: 'fait, sans réponse envoyée',
        1: 'échec (dossier inconnu, message introuvable, boîte ou Redis inaccessible)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (ref: string | undefined, opts: { failed?: boolean }) => {
    const { reprocessCommand } = await import('./commands/reprocess.js');
    process.exit(await reprocessCommand(ref, opts));
  });

program
  .command('migrate-from-redis')
  .alias('migrer-depuis-redis')
  .description(
    'Copie les dossiers d’une installation 0.1 (gardés dans Redis) dans PostgreSQL ; relançable sans rien copier deux fois.',
  )
  .option('--redis-url <url>', 'Redis de la version 0.1 (par défaut REDIS_URL de la configuration)')
  .option(
    '--prefix <préfixe>',
    'préfixe des clés de la version 0.1 (par défaut QUEUE_PREFIX de la configuration)',
  )
  .option('--dry-run', 'lit Redis et compte ce qui serait copié, sans rien écrire')
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage migrate-from-redis --dry-run\n  $ DATABASE_URL=postgres://cdap@db/cdap cdap-triage migrate-from-redis --redis-url redis://127.0.0.1:6379 --prefix cdap' +
      '\n\nÀ lancer avant de démarrer la nouvelle version. Les clés Redis restent en place ; le résumé dit comment les supprimer une fois les dossiers vérifiés.' +
      exitCodes({
        0: 'dossiers copiés (ou déjà présents, ou rien à copier)',
        1: 'échec (Redis ou PostgreSQL inaccessible), ou des dossiers n’ont pas pu être copiés (le résumé dit lesquels)',
        ...COMMON_EXIT_CODES,
      }),
  )
  .action(async (opts: { redisUrl?: string; prefix?: string; dryRun?: boolean }) => {
    const { migrateCommand } = await import('./commands/migrateFromRedis.js');
    process.exit(await migrateCommand(opts));
  });

const users = program
  .command('utilisateurs')
  .alias('users')
  .usage('<commande> [options]')
  .description(
    'Gère les comptes du tableau de bord : technicien, superviseur, administrateur, comité. Les mots de passe sont lus sur l’entrée standard, jamais en argument.',
  )
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage utilisateurs ajouter mdupont --role technicien --nom "Marie Dupont"\n  $ cdap-triage utilisateurs mot-de-passe mdupont\n  $ cdap-triage utilisateurs désactiver mdupont\n  $ cdap-triage utilisateurs lister\n  $ cdap-triage utilisateurs jeton supervision' +
      '\n\nAu terminal, le mot de passe est demandé deux fois sans s’afficher ; par un tube, la première ligne est lue (au moins 12 caractères).' +
      exitCodes({
        0: 'fait',
        1: 'refusé (compte inconnu ou déjà existant, mot de passe refusé, base inaccessible)',
        ...COMMON_EXIT_CODES,
      }),
  );
const usersHelp = (extra: string) =>
  extra +
  exitCodes({
    0: 'fait',
    1: 'refusé (compte inconnu ou déjà existant, mot de passe refusé)',
    ...COMMON_EXIT_CODES,
  });
async function runUsers(action: import('./commands/users.js').UsersAction): Promise<void> {
  const { usersCommand } = await import('./commands/users.js');
  process.exitCode = await usersCommand(action);
}
users
  .command('ajouter')
  .alias('add')
  .description('Crée un compte ; son mot de passe est lu sur l’entrée standard.')
  .argument('<identifiant>', 'identifiant de connexion (lettres sans accent, chiffres, . _ @ -)')
  .requiredOption('--role <rôle>', 'technicien, superviseur, administrateur ou comité')
  .option('--nom <nom>', 'nom affiché (par défaut l’identifiant)')
  .addHelpText(
    'after',
    usersHelp(
      '\nExemples :\n  $ cdap-triage utilisateurs ajouter mdupont --role technicien --nom "Marie Dupont"\n  $ printf \'%s\\n\' "$MOT_DE_PASSE" | cdap-triage utilisateurs ajouter comite35 --role comité',
    ),
  )
  .action((login: string, opts: { role: string; nom?: string }) =>
    runUsers({ kind: 'add', login, role: opts.role, ...(opts.nom ? { name: opts.nom } : {}) }),
  );
users
  .command('mot-de-passe')
  .alias('password')
  .description('Change le mot de passe d’un compte (et le réactive) ; ses sessions ouvertes sont fermées.')
  .argument('<identifiant>', 'identifiant du compte')
  .addHelpText('after', usersHelp('\nExemple :\n  $ cdap-triage utilisateurs mot-de-passe mdupont'))
  .action((login: string) => runUsers({ kind: 'password', login }));
users
  .command('désactiver')
  .aliases(['desactiver', 'disable'])
  .description(
    'Désactive un compte : ses sessions sont fermées à leur prochaine requête, son jeton ne sert plus.',
  )
  .argument('<identifiant>', 'identifiant du compte')
  .addHelpText('after', usersHelp('\nExemple :\n  $ cdap-triage utilisateurs désactiver mdupont'))
  .action((login: string) => runUsers({ kind: 'disable', login }));
users
  .command('lister')
  .alias('list')
  .description('Liste les comptes : rôle, état, jeton d’API, dernière connexion.')
  .addHelpText('after', usersHelp('\nExemple :\n  $ cdap-triage utilisateurs lister'))
  .action(() => runUsers({ kind: 'list' }));
users
  .command('jeton')
  .alias('token')
  .description(
    'Crée un jeton d’API pour un compte (scripts, supervision) et l’affiche une seule fois ; le précédent ne sert plus.',
  )
  .argument('<identifiant>', 'identifiant du compte')
  .addHelpText(
    'after',
    usersHelp(
      '\nExemples :\n  $ cdap-triage utilisateurs jeton supervision\n  $ curl -H "Authorization: Bearer $JETON" http://127.0.0.1:8080/api/cases',
    ),
  )
  .action((login: string) => runUsers({ kind: 'token', login }));

program
  .command('config')
  .description(
    'Affiche la configuration effective (défauts, CONFIG_FILE, variables d’environnement), secrets masqués.',
  )
  .addOption(new Option('--format <format>', 'yaml ou json').choices(['yaml', 'json']).default('yaml'))
  .addHelpText(
    'after',
    '\nExemples :\n  $ cdap-triage config\n  $ CONFIG_FILE=prod.yaml cdap-triage config --format json' +
      exitCodes({ 0: 'configuration valide, affichée', ...COMMON_EXIT_CODES }),
  )
  .action(async (opts: { format: 'yaml' | 'json' }) => {
    const { printConfig } = await import('./commands/cliConfig.js');
    await printConfig(opts.format);
  });

await program.parseAsync(process.argv);
