/**
 * Turns an algorithm's config JSON Schema (zod's `z.toJSONSchema` output) into form fields, and parses and
 * validates what the user typed field by field, so errors show inline as they type. The back end validates again
 * with the real zod schema (refinements a JSON Schema cannot express come back as per-field issues).
 * Hand-written rather than zod's `fromJSONSchema` (documented as experimental) so messages stay short
 * and each field can be checked on its own.
 */
import type { JsonSchema } from '../../../core/api/contract.js';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'enum' | 'string' | 'numberList' | 'json';

export interface Field {
  key: string;
  label: string;
  description: string;
  kind: FieldKind;
  schema: JsonSchema;
  /** `null` is a valid value (an empty input means null). */
  nullable: boolean;
  required: boolean;
  /** For enums: the allowed values. */
  options: unknown[];
}

/** What the user typed: text for numbers/lists/json/enums, a boolean for checkboxes. */
export type RawValue = string | boolean;

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Unwraps `anyOf: [X, {type:'null'}]` into X + nullable. */
function unwrapNullable(schema: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== 'null');
    if (nonNull.length === 1 && nonNull.length < variants.length) {
      return { schema: { ...nonNull[0], description: schema.description ?? nonNull[0]!.description, default: schema.default }, nullable: true };
    }
  }
  if (Array.isArray(schema.type) && schema.type.includes('null')) {
    const types = schema.type.filter((t) => t !== 'null');
    return { schema: { ...schema, type: types.length === 1 ? types[0] : types }, nullable: true };
  }
  return { schema, nullable: false };
}

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.enum) return 'enum';
  if (schema.const !== undefined) return 'enum';
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'string') return 'string';
  if (schema.type === 'array' && schema.items && (schema.items.type === 'number' || schema.items.type === 'integer')) {
    return 'numberList';
  }
  return 'json';
}

export function fieldsOf(configSchema: JsonSchema): Field[] {
  const required = new Set(configSchema.required ?? []);
  return Object.entries(configSchema.properties ?? {}).map(([key, raw]) => {
    const { schema, nullable } = unwrapNullable(raw);
    const kind = kindOf(schema);
    return {
      key,
      label: schema.title ?? humanize(key),
      description: schema.description ?? raw.description ?? '',
      kind,
      schema,
      nullable,
      required: required.has(key) && raw.default === undefined,
      options: schema.enum ?? (schema.const !== undefined ? [schema.const] : []),
    };
  });
}

/** The text/boolean shown in an input for a config value. */
export function toRaw(field: Field, value: unknown): RawValue {
  if (field.kind === 'boolean') return value === true;
  if (value === undefined || value === null) return '';
  if (field.kind === 'numberList' && Array.isArray(value)) return value.join(', ');
  if (field.kind === 'enum') return JSON.stringify(value);
  if (field.kind === 'json') return JSON.stringify(value);
  return String(value);
}

function checkNumber(schema: JsonSchema, n: number, integer: boolean): string | null {
  if (!Number.isFinite(n)) return 'must be a number';
  if (integer && !Number.isInteger(n)) return 'must be a whole number';
  if (typeof schema.minimum === 'number' && n < schema.minimum) return `must be ≥ ${schema.minimum}`;
  if (typeof schema.exclusiveMinimum === 'number' && n <= schema.exclusiveMinimum) return `must be > ${schema.exclusiveMinimum}`;
  if (typeof schema.maximum === 'number' && n > schema.maximum) return `must be ≤ ${schema.maximum}`;
  if (typeof schema.exclusiveMaximum === 'number' && n >= schema.exclusiveMaximum) return `must be < ${schema.exclusiveMaximum}`;
  return null;
}

function parseNumber(text: string): number {
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) ? Number(text) : NaN;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** Parses and validates one field; `undefined` value means "leave unset" (the back end applies the default). */
export function parseField(field: Field, raw: RawValue): Parsed {
  if (field.kind === 'boolean') return { ok: true, value: raw === true };
  const text = String(raw).trim();
  // A list of widths left empty is a mistake, not "use the default": the user cleared the field.
  if (field.kind === 'numberList' && !field.nullable && (text === '' || /^\[\s*\]$/.test(text))) {
    return { ok: false, error: `needs at least ${typeof field.schema.minItems === 'number' ? field.schema.minItems : 1} value${field.schema.minItems === undefined || field.schema.minItems === 1 ? '' : 's'}, e.g. 64, 64 or [64, 64]` };
  }
  if (text === '') {
    if (field.nullable) return { ok: true, value: null };
    if (field.required) return { ok: false, error: 'is required' };
    return { ok: true, value: undefined };
  }
  const s = field.schema;
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const n = parseNumber(text);
      const error = checkNumber(s, n, field.kind === 'integer');
      return error ? { ok: false, error } : { ok: true, value: n };
    }
    case 'numberList': {
      // Accepts "64, 64", "64 64" and the JSON form "[64, 64]" that the help text shows.
      const bracketed = /^\[(.*)\]$/s.exec(text);
      const inner = bracketed ? bracketed[1]! : text;
      if (/[[\]]/.test(inner)) return { ok: false, error: 'must be a flat list of numbers, e.g. 64, 64 or [64, 64]' };
      const parts = inner.split(/[\s,]+/).filter(Boolean);
      const values = parts.map(parseNumber);
      const items = s.items ?? {};
      for (let i = 0; i < values.length; i++) {
        const error = checkNumber(items, values[i]!, items.type === 'integer');
        if (error) return { ok: false, error: `item ${i + 1} ("${parts[i]}") ${error}` };
      }
      if (typeof s.minItems === 'number' && values.length < s.minItems) return { ok: false, error: `needs at least ${s.minItems} values` };
      if (typeof s.maxItems === 'number' && values.length > s.maxItems) return { ok: false, error: `takes at most ${s.maxItems} values` };
      return { ok: true, value: values };
    }
    case 'enum': {
      const match = field.options.find((o) => JSON.stringify(o) === text);
      return match === undefined ? { ok: false, error: `must be one of ${field.options.map((o) => JSON.stringify(o)).join(', ')}` } : { ok: true, value: match };
    }
    case 'string': {
      if (typeof s.minLength === 'number' && text.length < s.minLength) return { ok: false, error: `needs at least ${s.minLength} characters` };
      if (typeof s.maxLength === 'number' && text.length > s.maxLength) return { ok: false, error: `takes at most ${s.maxLength} characters` };
      return { ok: true, value: text };
    }
    default: {
      try {
        return { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, error: 'must be valid JSON' };
      }
    }
  }
}

/** Parses "1, 2, 3" or "1-4" into distinct seeds (non-negative 31-bit integers). */
export function parseSeeds(text: string): Parsed {
  const seeds: number[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a >= 32) return { ok: false, error: `range "${part}" must be ascending and at most 32 seeds` };
      for (let s = a; s <= b; s++) seeds.push(s);
    } else if (/^\d+$/.test(part) && Number(part) <= 2 ** 31 - 1) {
      seeds.push(Number(part));
    } else {
      return { ok: false, error: `"${part}" is not a seed (a whole number from 0 to 2147483647)` };
    }
  }
  const unique = [...new Set(seeds)];
  if (unique.length === 0) return { ok: false, error: 'needs at least one seed' };
  if (unique.length > 32) return { ok: false, error: `at most 32 seeds per launch, got ${unique.length}` };
  return { ok: true, value: unique };
}
