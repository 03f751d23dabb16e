/**
 * Which files of the project go into the build context: the rules of `.gcloudignore` and
 * `.dockerignore` (gitignore syntax: `#` comments, `!` negation, `*`, `?`, `**`, a trailing `/` for
 * folders, a `/` inside anchoring the pattern at the project root; `#!include:.gitignore` in a
 * `.gcloudignore` pulls in that file), after a fixed list that cannot be negated: version control,
 * dependencies, the store, the data folders (the job pulls data from the bucket) and files that
 * hold credentials.
 */

/** One compiled rule. */
interface Rule {
  negate: boolean;
  dirOnly: boolean;
  regex: RegExp;
  source: string;
}

/** Paths never sent, whatever the ignore files say (relative, `/`-separated). */
export const ALWAYS_EXCLUDED = [
  '.git/',
  '.hg/',
  '.svn/',
  'node_modules/',
  // Credentials: the image must never carry them (pass secrets with --secret instead).
  '.env',
  '.env.*',
  '.netrc',
  '.npmrc',
  '.pypirc',
  '*.pem',
  '*.p12',
  '.wandb/',
  'wandb/',
  '.config/gcloud/',
];

/** Compiled ignore rules; see the module comment. */
export class IgnoreRules {
  private readonly fixed: Rule[];
  private readonly rules: Rule[];

  /** `fixed` patterns always exclude; `patterns` are the ignore files' lines, in order. */
  constructor(fixed: readonly string[], patterns: readonly string[]) {
    this.fixed = fixed.map(compile).filter((r): r is Rule => r !== undefined && !r.negate);
    this.rules = patterns.map(compile).filter((r): r is Rule => r !== undefined);
  }

  /** Whether `path` (relative, `/`-separated; `dir` for folders) is left out of the context. */
  excludes(path: string, dir: boolean): boolean {
    if (this.fixed.some((rule) => matches(rule, path, dir))) return true;
    let excluded = false;
    for (const rule of this.rules) if (matches(rule, path, dir)) excluded = !rule.negate;
    return excluded;
  }

  /** The fixed rule that excludes `path`, if one does (for messages). */
  fixedRuleFor(path: string, dir: boolean): string | undefined {
    return this.fixed.find((rule) => matches(rule, path, dir))?.source;
  }
}

/** Lines of an ignore file as patterns: comments and blank lines dropped. */
export function parseIgnoreFile(text: string): { patterns: string[]; includes: string[] } {
  const patterns: string[] = [];
  const includes: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const include = /^#!include:(.+)$/.exec(raw.trim());
    if (include) {
      includes.push((include[1] as string).trim());
      continue;
    }
    const line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    patterns.push(line);
  }
  return { patterns, includes };
}

function matches(rule: Rule, path: string, dir: boolean): boolean {
  if (rule.dirOnly && !dir) return false;
  return rule.regex.test(path);
}

function compile(pattern: string): Rule | undefined {
  let source = pattern.trim();
  const negate = source.startsWith('!');
  if (negate) source = source.slice(1);
  if (source.startsWith('\\')) source = source.slice(1);
  const dirOnly = source.endsWith('/');
  source = source.replace(/\/+$/, '');
  if (source === '' || source === '.') return undefined;
  // A slash at the start or in the middle anchors the pattern at the root; otherwise it matches
  // at any depth.
  const anchored = source.includes('/');
  source = source.replace(/^\/+/, '');
  let body = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '*' && source[i + 1] === '*') {
      const slashAfter = source[i + 2] === '/';
      body += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') body += '[^/]*';
    else if (c === '?') body += '[^/]';
    else body += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}$`);
  return { negate, dirOnly, regex, source: pattern };
}
