import type { Command, Help } from 'commander';
import { agree, frenchTypography } from '../labels/formats.js';

/**
 * The command line speaks French: commander's own words (titles, defaults,
 * usage errors) are replaced here, and every text goes through the same
 * French typography (non-breaking spaces inside « » and before : ; ? !).
 */

export { frenchTypography };

const titles: Record<string, string> = {
  'Usage:': 'Utilisation :',
  'Arguments:': 'Arguments :',
  'Options:': 'Options :',
  'Commands:': 'Commandes :',
  'Global Options:': 'Options générales :',
};

/** commander's usage errors, in French. The English patterns are commander 14's. */
const errors: [RegExp, (...groups: string[]) => string][] = [
  [/^error: unknown option '(.+?)'/, (o) => `option inconnue « ${o} »`],
  [/^error: unknown command '(.+?)'/, (c) => `commande inconnue « ${c} »`],
  [/^error: missing required argument '(.+?)'/, (a) => `il manque l’argument « ${a} »`],
  [/^error: option '(.+?)' argument missing/, (o) => `l’option « ${o} » attend une valeur`],
  [/^error: required option '(.+?)' not specified/, (o) => `l’option « ${o} » est obligatoire`],
  [
    /^error: too many arguments.*Expected (\d+) arguments? but got (\d+)/,
    (want, got) => `trop d’arguments : ${want} ${agree(Number(want), 'attendu')}, ${got} donnés`,
  ],
  [
    /^error: option '(.+?)' argument '(.*?)' is invalid\. Allowed choices are (.+?)\.?$/m,
    (o, v, choices) =>
      `« ${v} » n’est pas une valeur de l’option « ${o} » : ${choices.replace(/, /g, ' ou ')}`,
  ],
  [
    /^error: option '(.+?)' cannot be used with option '(.+?)'/m,
    (a, b) => `les options « ${a} » et « ${b} » s’excluent`,
  ],
];

/** One usage error, in French; an unknown English text is kept rather than lost. */
export function frenchError(text: string): string {
  const suggestion = /\(Did you mean (?:one of )?(.+?)\?\)/.exec(text)?.[1];
  let message = text.trim().split('\n')[0] ?? '';
  for (const [pattern, fr] of errors) {
    const m = pattern.exec(text);
    if (m) {
      message = fr(...m.slice(1));
      break;
    }
  }
  message = message.replace(/^error: /, '');
  const hint = suggestion ? `\n(Vouliez-vous dire ${suggestion.replace(/, /g, ' ou ')} ?)` : '';
  return frenchTypography(`cdap-triage : ${message}${hint}\n`);
}

function frenchExtras(
  description: string,
  choices: readonly string[] | undefined,
  defaultValue: unknown,
  shown: boolean,
): string {
  const extra: string[] = [];
  if (choices) extra.push(`valeurs : ${choices.join(', ')}`);
  if (shown && defaultValue !== undefined) extra.push(`par défaut : ${String(defaultValue)}`);
  return extra.length ? `${description} (${extra.join(' ; ')})` : description;
}

/**
 * Sets the French help and errors on the program; subcommands created after
 * this inherit them (commander copies these settings to each `.command()`).
 * Usage errors exit with 2, as is usual for a command line.
 */
export function speakFrench(program: Command): Command {
  return program
    .helpOption('-h, --help', 'affiche cette aide')
    .helpCommand('help [commande]', 'affiche l’aide d’une commande')
    .configureHelp({
      styleTitle: (title: string) => titles[title] ?? title,
      optionDescription: (option) =>
        frenchExtras(
          option.description,
          option.argChoices,
          option.defaultValue,
          option.required || option.optional,
        ),
      argumentDescription: (argument) =>
        frenchExtras(argument.description, argument.argChoices, argument.defaultValue, false),
    } satisfies Partial<Help>)
    .configureOutput({
      writeOut: (text) => process.stdout.write(frenchTypography(text)),
      writeErr: (text) => process.stderr.write(frenchTypography(text)),
      outputError: (text, write) => write(frenchError(text)),
    })
    .showHelpAfterError('(ajoutez --help pour l’aide et des exemples)')
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
}

/** The "Codes de sortie" paragraph of a command's help. */
export function exitCodes(codes: Record<number, string>): string {
  const lines = Object.entries(codes).map(([code, meaning]) => `  ${code.padEnd(3)} ${meaning}`);
  return `\n\nCodes de sortie :\n${lines.join('\n')}`;
}

/** What every command may also exit with. */
export const COMMON_EXIT_CODES = {
  2: 'commande mal écrite (option inconnue, argument manquant ou invalide)',
  78: 'configuration invalide (le message nomme la clé et d’où vient la valeur)',
} as const;
