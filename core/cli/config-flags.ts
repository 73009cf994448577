/**
 * Config fields as command-line flags: every field of an algorithm's zod schema is a kebab-case flag
 * (`lr` → `--lr`, `clipCoef` → `--clip-coef`). Values are converted by the field's JSON Schema type (numbers,
 * integers, booleans, enums, number lists, null) and then validated by the schema itself, so the CLI, the app and
 * stored runs share one definition. Errors name the flag and what was wrong.
 */
import { z } from 'zod';

/** A mistake in what the user typed: printed as one message, exit status 2 (training errors exit 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function camel(kebabName: string): string {
  return kebabName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: FieldSchema[];
  items?: FieldSchema;
  default?: unknown;
  description?: string;
}

/** The JSON Schema of each config field, by camelCase name. */
export function configFields(schema: z.ZodType): Record<string, FieldSchema> {
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, FieldSchema> };
  return json.properties ?? {};
}

function kindsOf(field: FieldSchema): Set<string> {
  const kinds = new Set<string>();
  const add = (f: FieldSchema): void => {
    if (f.anyOf) f.anyOf.forEach(add);
    if (Array.isArray(f.type)) f.type.forEach((t) => kinds.add(t));
    else if (f.type) kinds.add(f.type);
    if (f.enum) kinds.add('enum');
  };
  add(field);
  return kinds;
}

/** `42`, `-3`: what an integer flag accepts. */
export const DECIMAL_INTEGER = /^-?[0-9]+$/;
/** `3e-4`, `0.5`, `-1`, `.5`: what a number flag accepts (no hex, binary, Infinity or surrounding spaces). */
export const DECIMAL_NUMBER = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** Converts one flag's text to the field's type (validation of ranges is left to the schema). */
export function convertFlagValue(flag: string, field: FieldSchema, raw: string | true): unknown {
  const kinds = kindsOf(field);
  if (raw === true) {
    if (kinds.has('boolean')) return true;
    throw new UsageError(`${flag} needs a value`);
  }
  const text = raw.trim();
  if (kinds.has('null') && (text === 'null' || text === 'none')) return null;
  if (kinds.has('boolean')) {
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    throw new UsageError(`${flag} expects true or false, got ${JSON.stringify(raw)}`);
  }
  if (kinds.has('integer') && !kinds.has('number')) {
    // Decimal digits only: Number() would also take 0x10, 1e3, 0b1 and ' 16'.
    if (!DECIMAL_INTEGER.test(raw)) throw new UsageError(`${flag} expects a decimal integer${kinds.has('null') ? ' or none' : ''}, got ${JSON.stringify(raw)}`);
    // Past 2^53 − 1 the digits typed are not the number used: refuse them as typed (the schema's own bound may be lower).
    if (!Number.isSafeInteger(Number(raw))) {
      throw new UsageError(`${flag} must be ${raw.startsWith('-') ? `≥ ${Number.MIN_SAFE_INTEGER}` : `≤ ${Number.MAX_SAFE_INTEGER}`}, got ${raw}`);
    }
    return Number(raw);
  }
  if (kinds.has('number')) {
    if (!DECIMAL_NUMBER.test(raw)) {
      throw new UsageError(`${flag} expects a decimal number${kinds.has('null') ? ' or none' : ''}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
  }
  if (kinds.has('array')) {
    const parts = text.replace(/^\[|\]$/g, '').split(/[,\s]+/).filter(Boolean);
    const values = parts.map(Number);
    if (parts.length === 0 || parts.some((p) => !DECIMAL_NUMBER.test(p))) {
      throw new UsageError(`${flag} expects comma-separated numbers (e.g. 64,64), got ${JSON.stringify(raw)}`);
    }
    return values;
  }
  return text;
}

/** Splits raw argv tokens into `--flag value` pairs (`--flag=value`, `--no-flag`, bare boolean `--flag`). */
export function splitFlags(tokens: readonly string[]): { flag: string; name: string; value: string | true; negated: boolean }[] {
  const out: { flag: string; name: string; value: string | true; negated: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token.startsWith('--') || token === '--') throw new UsageError(`unexpected argument ${JSON.stringify(token)} (config values are given as --name value)`);
    const eq = token.indexOf('=');
    let name = eq >= 0 ? token.slice(2, eq) : token.slice(2);
    let value: string | true;
    if (eq >= 0) value = token.slice(eq + 1);
    else if (i + 1 < tokens.length && !/^--[a-z]/i.test(tokens[i + 1])) value = tokens[++i];
    else value = true;
    const negated = name.startsWith('no-') && value === true;
    if (negated) name = name.slice(3);
    out.push({ flag: `--${name}`, name, value, negated });
  }
  return out;
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/**
 * Config overrides from the flags the train command did not itself recognise. Unknown flags are an error that
 * lists the valid ones (and the closest match).
 */
export function parseConfigFlags(tokens: readonly string[], schema: z.ZodType, algoTitle: string, commandFlags: readonly string[]): Record<string, unknown> {
  const fields = configFields(schema);
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const { flag, name, value, negated } of splitFlags(tokens)) {
    const key = camel(name);
    const field = fields[key];
    if (!field) {
      const valid = Object.keys(fields).map((k) => `--${kebab(k)}`);
      const all = [...commandFlags, ...valid];
      const best = all.map((f) => [f, distance(f, flag)] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = best && best[1] <= Math.max(1, Math.floor(flag.length / 4)) ? ` (did you mean ${best[0]}?)` : '';
      problems.push(`unknown option ${flag} for ${algoTitle}${hint}\n  valid options: ${commandFlags.join(' ')}\n  ${algoTitle} config: ${valid.join(' ')}`);
      continue;
    }
    try {
      if (negated) {
        if (!kindsOf(field).has('boolean')) throw new UsageError(`--no-${name}: ${flag} is not a true/false option`);
        overrides[key] = false;
      } else {
        overrides[key] = convertFlagValue(flag, field, value);
      }
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  return overrides;
}

/** `--clip-coef` for path ['clipCoef'] (config errors phrased as flags). */
export function flagLabel(path: readonly PropertyKey[]): string {
  return path.length ? `--${kebab(String(path[0]))}${path.length > 1 ? `[${path.slice(1).map(String).join('][')}]` : ''}` : 'config';
}

/** Help text: one line per config field with its default and description. */
export function describeConfigFlags(schema: z.ZodType): string {
  const fields = configFields(schema);
  const lines = Object.entries(fields).map(([key, f]) => {
    const def = f.default === undefined ? '' : ` (default ${JSON.stringify(f.default)})`;
    return `  --${kebab(key)}${def}\n      ${f.description ?? ''}`;
  });
  return lines.join('\n');
}
