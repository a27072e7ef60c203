import { homedir } from 'node:os';

/** The environment a config value is expanded against (normally `process.env`). */
export type VariableSource = Readonly<Record<string, string | undefined>>;

const maximumRounds = 10;
// Python's os.path.expandvars: `$NAME` or `${anything}`; a name that is not set stays as written,
// which is also what keeps config references like `${server.endpoint}` intact for later.
const variablePattern = /\$(\w+|\{[^}]*\})/g;
const escapes: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };

/**
 * Turns the backslash escapes a shell or manifest leaves in a `PREFECT__…` value into the
 * characters they stand for: `\n`, `\t`, `\r`, and `\\` for a literal backslash. Any other
 * backslash is kept, so quotes escaped inside a Python literal (`'it\'s'`) still parse.
 */
export function decodeEscapes(text: string): string {
  if (!text.includes('\\')) return text;
  let decoded = '';
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    const replacement = character === '\\' ? escapes[text[index + 1] ?? ''] : undefined;
    if (replacement === undefined) {
      decoded += character;
    } else {
      decoded += replacement;
      index += 1;
    }
  }
  return decoded;
}

/**
 * Expands `$VAR` / `${VAR}` from `variables` and a leading `~` (the `HOME` in `variables`, else this
 * user's home directory), repeating until nothing changes, at most 10 rounds — values may name
 * variables whose own values name variables (spec 6.6 item 4). Unset variables and `~user` are left
 * as written.
 */
export function expandVariables(text: string, variables: VariableSource): string {
  let current = text;
  for (let round = 0; round < maximumRounds; round += 1) {
    const next = expandHome(
      current.includes('$')
        ? current.replace(variablePattern, (match, reference: string) => {
            const name = reference.startsWith('{') ? reference.slice(1, -1) : reference;
            return Object.hasOwn(variables, name) ? (variables[name] ?? match) : match;
          })
        : current,
      variables,
    );
    if (next === current) return current;
    current = next;
  }
  return current;
}

function expandHome(text: string, variables: VariableSource): string {
  if (text !== '~' && !text.startsWith('~/')) return text;
  const home = (variables.HOME ?? homedir()).replace(/\/+$/, '');
  return `${home}${text.slice(1)}` || '/';
}
