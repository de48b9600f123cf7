import { userInfo } from 'node:os';
import { quietLogLevel } from '../config/loadConfig.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../infra/database.js';
import { formatDateTime } from '../labels/formats.js';
import { passwordProblem } from '../web/accounts/passwords.js';
import { type Role, roleLabels, roleOf } from '../web/accounts/roles.js';
import type { Account, UserStore } from '../web/accounts/userStore.js';
import { frenchTypography } from './french.js';

/** 0 done, 1 refused (unknown or taken login, password refused), 2 usage error. */
export type ExitCode = 0 | 1 | 2;

const say = (text: string) => process.stderr.write(frenchTypography(`${text}\n`));
const print = (text: string) => process.stdout.write(frenchTypography(`${text}\n`));

/** Logins: letters, digits and . _ @ -, 2 to 64 characters; they name people in the audit trail. */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;

/** Who the audit trail names for a change made here. */
function cliActor(): string {
  let name = 'inconnu';
  try {
    name = userInfo().username;
  } catch {}
  return `ligne de commande (${name})`;
}

/** One line typed at a terminal, not echoed. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(frenchTypography(prompt));
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let typed = '';
    const done = (value: string | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (value === null) reject(new Error('interrompu'));
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(typed);
        if (ch === '\u0003' || ch === '\u0004') return done(null);
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of a pipe (without its line end). */
async function firstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return (Buffer.concat(chunks).toString('utf8').split('\n', 1)[0] ?? '').replace(/\r$/, '');
}

/**
 * The new password, never from an argument (it would stay in the shell's
 * history and the process list): typed twice at a terminal, without echo, or
 * the first line of a pipe. Null, said in French, when refused.
 */
export async function readNewPassword(): Promise<string | null> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await promptHidden('Nouveau mot de passe : ');
    const again = await promptHidden('Le même, encore une fois : ');
    if (again !== password) {
      say('cdap-triage : les deux mots de passe diffèrent ; rien n’a été changé.');
      return null;
    }
  } else password = await firstLine();
  const problem = passwordProblem(password);
  if (problem) {
    say(`cdap-triage : ${problem} ; rien n’a été changé.`);
    return null;
  }
  return password;
}

function accountLine(a: Account): string[] {
  return [
    a.login,
    a.displayName,
    roleLabels[a.role],
    a.disabled ? 'désactivé' : 'actif',
    a.hasToken ? 'oui' : 'non',
    a.lastLoginAt ? formatDateTime(a.lastLoginAt) : 'jamais',
  ];
}

/** The accounts as a table for a terminal. */
export function accountsTable(accounts: Account[]): string {
  if (accounts.length === 0)
    return 'Aucun compte. Créez-en un : cdap-triage utilisateurs ajouter <identifiant> --role <rôle>';
  const rows = [
    ['identifiant', 'nom', 'rôle', 'état', 'jeton d’API', 'dernière connexion'],
    ...accounts.map(accountLine),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export type UsersAction =
  | { kind: 'add'; login: string; role: string; name?: string }
  | { kind: 'password'; login: string }
  | { kind: 'disable'; login: string }
  | { kind: 'list' }
  | { kind: 'token'; login: string };

/** What the command does with the store; exported for the tests of its words. */
export async function runUsersAction(
  action: UsersAction,
  store: UserStore,
  config: Config,
  readPassword: () => Promise<string | null> = readNewPassword,
): Promise<ExitCode> {
  const actor = cliActor();
  const unknown = (login: string) => {
    say(`cdap-triage : aucun compte « ${login} » (cdap-triage utilisateurs lister les montre tous).`);
    return 1 as const;
  };
  switch (action.kind) {
    case 'list':
      print(accountsTable(await store.list()));
      return 0;
    case 'add': {
      const role: Role | null = roleOf(action.role);
      if (!role) {
        say(
          `cdap-triage : « ${action.role} » n’est pas un rôle : technicien, superviseur, administrateur ou comité.`,
        );
        return 2;
      }
      if (!LOGIN.test(action.login)) {
        say(
          `cdap-triage : l’identifiant « ${action.login} » ne convient pas : de 2 à 64 lettres sans accent, chiffres, points, tirets, @ ou _.`,
        );
        return 2;
      }
      if (config.http.user && action.login === config.http.user) {
        say(
          `cdap-triage : « ${action.login} » est l’administrateur de démarrage (HTTP_USER) ; choisissez un autre identifiant.`,
        );
        return 1;
      }
      if (await store.byLogin(action.login)) {
        say(
          `cdap-triage : le compte « ${action.login} » existe déjà (cdap-triage utilisateurs mot-de-passe ${action.login} pour changer son mot de passe).`,
        );
        return 1;
      }
      const password = await readPassword();
      if (password === null) return 1;
      const created = await store.create(
        { login: action.login, displayName: action.name?.trim() || action.login, role, password },
        actor,
      );
      if (!created) {
        say(`cdap-triage : le compte « ${action.login} » existe déjà.`);
        return 1;
      }
      print(`Compte « ${created.login} » créé, rôle ${roleLabels[created.role]}.`);
      return 0;
    }
    case 'password': {
      if (!(await store.byLogin(action.login))) return unknown(action.login);
      const password = await readPassword();
      if (password === null) return 1;
      if (!(await store.setPassword(action.login, password, actor))) return unknown(action.login);
      print(
        `Mot de passe de « ${action.login} » changé ; ses sessions ouvertes sont fermées, le compte est actif.`,
      );
      return 0;
    }
    case 'disable': {
      const account = await store.byLogin(action.login);
      if (!account) return unknown(action.login);
      if (account.disabled) {
        print(`Le compte « ${action.login} » était déjà désactivé.`);
        return 0;
      }
      await store.disable(action.login, actor);
      print(
        `Compte « ${action.login} » désactivé : ses sessions sont fermées et son jeton d’API ne sert plus. ` +
          `Pour le réactiver : cdap-triage utilisateurs mot-de-passe ${action.login}.`,
      );
      return 0;
    }
    case 'token': {
      const account = await store.byLogin(action.login);
      if (!account) return unknown(action.login);
      if (account.disabled) {
        say(`cdap-triage : le compte « ${action.login} » est désactivé ; aucun jeton créé.`);
        return 1;
      }
      const token = await store.newToken(action.login, actor);
      if (!token) return unknown(action.login);
      // The token alone on stdout, for `$(…)`; the advice on stderr.
      process.stdout.write(`${token}\n`);
      say(
        `Jeton d’API de « ${action.login} » (rôle ${roleLabels[account.role]}), affiché cette seule fois : ` +
          'envoyez-le dans l’en-tête « Authorization: Bearer … ». Le précédent, s’il y en avait un, ne sert plus.',
      );
      return 0;
    }
  }
}

/** `cdap-triage utilisateurs …`: opens the database (migrating it: accounts may come before the first start). */
export async function usersCommand(action: UsersAction): Promise<ExitCode | 78> {
  const { configOrExit } = await import('./cliConfig.js');
  const config = configOrExit();
  const { createLogger } = await import('../log.js');
  const log = createLogger({ level: quietLogLevel(config) });
  const { openDatabase } = await import('../infra/database.js');
  const { UserStore } = await import('../web/accounts/userStore.js');
  let db: Database;
  try {
    db = await openDatabase(config.database, log, { poolSize: 2 });
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}`);
    return 1;
  }
  try {
    return await runUsersAction(action, new UserStore(db), config);
  } catch (err) {
    say(`cdap-triage : ${(err as Error).message}`);
    return 1;
  } finally {
    await db.destroy();
  }
}
