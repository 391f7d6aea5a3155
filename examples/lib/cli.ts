/**
 * Declarative command-line flags for the example trainers, on top of node:util
 * parseArgs. Every flag knows its allowed values, so a bad value becomes one line that
 * names the flag and what it accepts, thrown as a UsageError (exit code 2) before the
 * script has written anything.
 */
import { parseArgs } from 'node:util';

/** Bad input on the command line: reported as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One flag: how it parses, what it accepts (for errors and --help), its default. */
export interface FlagSpec<T> {
  readonly description: string;
  /** What the flag accepts, as read in errors and --help: "an integer ≥ 1". */
  readonly allowed: string;
  readonly defaultValue: T;
  /** How the default reads in --help (when `String(defaultValue)` would not do). */
  readonly defaultLabel?: string;
  /** true: a switch that takes no value. */
  readonly isSwitch?: boolean;
  /** The parsed value, or undefined when `raw` is not allowed. */
  parse(raw: string): T | undefined;
}

/** The parsed values of a flag table, keyed like the table (camelCase). */
export type FlagValues<S extends Record<string, FlagSpec<unknown>>> = { [K in keyof S]: S[K] extends FlagSpec<infer T> ? T : never };

export interface Program<S extends Record<string, FlagSpec<unknown>>> {
  /** Script name without extension, as in `examples/<name>.ts`. */
  readonly name: string;
  readonly summary: string;
  readonly flags: S;
  /** Extra lines for --help (examples of use). */
  readonly epilog?: readonly string[];
}

export type ParseResult<S extends Record<string, FlagSpec<unknown>>> =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly values: FlagValues<S> };

/** `batchSize` → `batch-size`: flags are kebab-case, values camelCase. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

// ---------- flag builders ----------

export function integerFlag(description: string, defaultValue: number, range: { min?: number; max?: number } = {}): FlagSpec<number> {
  const { min, max } = range;
  const allowed =
    min !== undefined && max !== undefined ? `an integer from ${min} to ${max}`
      : min !== undefined ? `an integer ≥ ${min}`
        : max !== undefined ? `an integer ≤ ${max}` : 'an integer';
  return {
    description, allowed, defaultValue,
    parse(raw) {
      if (!/^[+-]?\d+$/.test(raw.trim())) return undefined;
      const v = Number(raw);
      if (!Number.isSafeInteger(v) || (min !== undefined && v < min) || (max !== undefined && v > max)) return undefined;
      return v;
    },
  };
}

export function numberFlag(description: string, defaultValue: number, range: { min?: number; greaterThan?: number; max?: number } = {}): FlagSpec<number> {
  const { min, greaterThan, max } = range;
  const parts = [
    min !== undefined ? `≥ ${min}` : '',
    greaterThan !== undefined ? `> ${greaterThan}` : '',
    max !== undefined ? `≤ ${max}` : '',
  ].filter(Boolean);
  return {
    description, defaultValue,
    allowed: `a number${parts.length ? ' ' + parts.join(' and ') : ''}`,
    parse(raw) {
      if (raw.trim() === '') return undefined;
      const v = Number(raw);
      if (!Number.isFinite(v)) return undefined;
      if ((min !== undefined && v < min) || (greaterThan !== undefined && v <= greaterThan) || (max !== undefined && v > max)) return undefined;
      return v;
    },
  };
}

export function choiceFlag<C extends string>(description: string, choices: readonly C[], defaultValue: C): FlagSpec<C> {
  return {
    description, defaultValue,
    allowed: `one of ${choices.join(', ')}`,
    parse: (raw) => (choices as readonly string[]).includes(raw) ? (raw as C) : undefined,
  };
}

/** A comma-separated subset of `choices`; `all` selects every choice (in `choices` order). */
export function choiceListFlag<C extends string>(description: string, choices: readonly C[], defaultValue: readonly C[]): FlagSpec<C[]> {
  return {
    description,
    defaultValue: [...defaultValue],
    defaultLabel: defaultValue.length === choices.length ? 'all' : defaultValue.join(','),
    allowed: `all, or a comma-separated list of ${choices.join(', ')}`,
    parse(raw) {
      if (raw === 'all') return [...choices];
      const picked = raw.split(',').map((s) => s.trim());
      if (picked.length === 0 || picked.some((p) => !(choices as readonly string[]).includes(p))) return undefined;
      return choices.filter((c) => picked.includes(c));
    },
  };
}

/** A comma-separated list of distinct integers in [min, max]. */
export function integerListFlag(description: string, defaultValue: readonly number[], range: { min: number; max: number; maxCount?: number }): FlagSpec<number[]> {
  const { min, max, maxCount } = range;
  return {
    description,
    defaultValue: [...defaultValue],
    defaultLabel: defaultValue.join(','),
    allowed: `a comma-separated list of distinct integers from ${min} to ${max}${maxCount !== undefined ? ` (at most ${maxCount})` : ''}`,
    parse(raw) {
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.some((p) => !/^\d+$/.test(p))) return undefined;
      const vs = parts.map(Number);
      if (vs.some((v) => v < min || v > max) || new Set(vs).size !== vs.length) return undefined;
      if (maxCount !== undefined && vs.length > maxCount) return undefined;
      return vs;
    },
  };
}

/** A free-form string (paths); `null` default means "computed later". */
export function textFlag(description: string, defaultValue: string | null, defaultLabel: string, allowed = 'a non-empty string'): FlagSpec<string | null> {
  return {
    description, defaultValue, defaultLabel, allowed,
    parse: (raw) => (raw.trim() === '' ? undefined : raw),
  };
}

export function switchFlag(description: string): FlagSpec<boolean> {
  return { description, defaultValue: false, allowed: 'no value', isSwitch: true, parse: () => true };
}

// ---------- parsing ----------

/**
 * Parses `argv` (without node and script). Throws UsageError with one line naming the
 * flag and its allowed values for: unknown flags, missing values, bad values, stray
 * positional arguments.
 */
export function parseCommandLine<S extends Record<string, FlagSpec<unknown>>>(program: Program<S>, argv: readonly string[]): ParseResult<S> {
  const byFlag = new Map<string, [string, FlagSpec<unknown>]>();
  for (const [key, spec] of Object.entries(program.flags)) byFlag.set(flagName(key), [key, spec]);
  const allFlags = [...byFlag.keys(), 'help'].map((f) => `--${f}`).join(', ');

  // `--epochs -3` would make parseArgs complain about an "ambiguous" value instead of
  // letting us say that -3 is not ≥ 1, so glue values to their flags first.
  const normalised: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([^=]+)$/.exec(arg);
    const spec = m ? byFlag.get(m[1]!)?.[1] : undefined;
    if (m && spec && !spec.isSwitch) {
      // A following `--flag` means this one's value is missing (negative numbers have one dash).
      if (i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) throw new UsageError(`--${m[1]} needs a value: ${spec.allowed}`);
      normalised.push(`${arg}=${argv[++i]}`);
    } else normalised.push(arg);
  }

  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [flag, [, spec]] of byFlag) options[flag] = { type: spec.isSwitch ? 'boolean' : 'string' };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...normalised], options, strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const bad = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
      throw new UsageError(`unknown flag ${bad.split('=')[0]} (allowed flags: ${allFlags})`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const bad = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
      throw new UsageError(`unexpected argument '${bad}': this script takes only flags (allowed flags: ${allFlags})`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? 'a flag';
      throw new UsageError(`${flag} does not take a value (it is a switch)`);
    }
    throw err;
  }

  if (parsed.values['help']) return { kind: 'help', text: helpText(program) };

  const values: Record<string, unknown> = {};
  for (const [flag, [key, spec]] of byFlag) {
    const raw = parsed.values[flag];
    if (raw === undefined) {
      values[key] = spec.defaultValue;
      continue;
    }
    const v = spec.parse(String(raw));
    if (v === undefined) throw new UsageError(`--${flag} must be ${spec.allowed}; got '${String(raw)}'`);
    values[key] = v;
  }
  return { kind: 'run', values: values as FlagValues<S> };
}

/** The --help text: usage line, summary, one entry per flag with allowed values and default. */
export function helpText<S extends Record<string, FlagSpec<unknown>>>(program: Program<S>): string {
  const rows: [string, string][] = Object.entries(program.flags).map(([key, spec]) => {
    const left = `--${flagName(key)}${spec.isSwitch ? '' : ' <value>'}`;
    const def = spec.isSwitch ? '' : `; default ${spec.defaultLabel ?? String(spec.defaultValue)}`;
    return [left, `${spec.description} (${spec.allowed}${def})`];
  });
  rows.push(['--help, -h', 'Show this help and exit']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [
    `Usage: npx tsx examples/${program.name}.ts [flags]`,
    '',
    program.summary,
    '',
    'Flags:',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`),
    ...(program.epilog?.length ? ['', ...program.epilog] : []),
  ].join('\n');
}
