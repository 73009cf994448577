/**
 * The new-sweep form's model and its translation into a sweep spec (core/sweep/spec.ts). Pure functions, so the
 * parsing of what a person types (`0.001, 3e-4`, `true, false`, `[64,64]`) is unit-tested in Node.
 */
export interface ParamRow {
  key: string;
  kind: 'values' | 'range';
  /** Comma-separated values (numbers, true/false, null, strings, or JSON arrays). */
  values: string;
  min: string;
  max: string;
  log: boolean;
  int: boolean;
}

export interface SweepForm {
  name: string;
  algo: string;
  env: string;
  totalSteps: string;
  method: 'grid' | 'random';
  count: string;
  samplerSeed: string;
  seeds: string;
  /** Fixed config fields as a JSON object (may be empty). */
  config: string;
  params: ParamRow[];
}

export function emptyRow(key = ''): ParamRow {
  return { key, kind: 'values', values: '', min: '', max: '', log: false, int: false };
}

/** Splits on commas outside brackets and quotes: `[64,64], [32]` → two values. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && (ch === '[' || ch === '{')) depth++;
    if (!quoted && (ch === ']' || ch === '}')) depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** One typed value: JSON when it parses (numbers, booleans, null, arrays, quoted strings), else the bare text. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function numberField(text: string, what: string): number {
  const v = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(v)) throw new Error(`${what} must be a number, got ${JSON.stringify(text)}`);
  return v;
}

function intList(text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error(`${what} needs at least one integer`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`${what} must be integers separated by commas, got ${JSON.stringify(p)}`);
    return Number(p);
  });
}

/** The spec the form describes; throws an Error naming the field when a field cannot be read. */
export function formToSpec(f: SweepForm): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const [i, row] of f.params.entries()) {
    const label = row.key || `parameter ${i + 1}`;
    if (!row.key) throw new Error(`${label}: choose a config field`);
    if (Object.hasOwn(parameters, row.key)) throw new Error(`${row.key} is swept twice`);
    if (row.kind === 'values') {
      const values = splitTop(row.values).map(parseValue);
      if (values.length === 0) throw new Error(`${label}: type at least one value`);
      parameters[row.key] = { values };
    } else {
      parameters[row.key] = {
        min: numberField(row.min, `${label} min`),
        max: numberField(row.max, `${label} max`),
        ...(row.log ? { log: true } : {}),
        ...(row.int ? { int: true } : {}),
      };
    }
  }
  let config: unknown = {};
  if (f.config.trim()) {
    try {
      config = JSON.parse(f.config);
    } catch (e) {
      throw new Error(`fixed config is not valid JSON: ${(e as Error).message}`);
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('fixed config must be a JSON object like {"numEnvs": 4}');
  }
  return {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    algo: f.algo,
    env: f.env,
    ...(f.totalSteps.trim() ? { totalSteps: numberField(f.totalSteps, 'total steps') } : {}),
    config,
    method: f.method,
    parameters,
    ...(f.method === 'random' ? { count: numberField(f.count, 'count') } : {}),
    ...(f.method === 'random' && f.samplerSeed.trim() ? { samplerSeed: numberField(f.samplerSeed, 'sampler seed') } : {}),
    seeds: intList(f.seeds, 'seeds'),
  };
}
