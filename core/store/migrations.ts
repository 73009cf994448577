/**
 * Schema migrations for db.json and run.json. Each migration lifts one version to the next and
 * validates its input against the old version's schema first, so a file that claims an old version
 * but does not match it is reported as corrupt instead of being half-converted.
 *
 * To change a stored shape: bump SCHEMA_VERSION in schema.ts, describe the old shape here, and add
 * `{ from: old, describe, run, db }`. Open runs every step from the file's version up to the current one.
 */
import { z } from 'zod';
import { StoreError } from './errors.js';
import { RUN_ID_PATTERN } from './ids.js';
import { SCHEMA_VERSION } from './schema.js';

export interface Migration {
  /** Lifts data stored at schema version `from` to `from + 1`. */
  from: number;
  describe: string;
  /** One run record (as stored in db.json's runs and in run.json's run). */
  run(old: unknown): unknown;
  /** The whole db.json document, including `schemaVersion`. */
  db(old: unknown): unknown;
}

// --- Version 1: the prototype's layout --------------------------------------------------------
// Runs named their algorithm `algorithm`, kept times as epoch milliseconds, used `done` for a
// finished run, stored the error and backend as bare strings, and there was no datasets index.
const RunV1Schema = z.object({
  id: z.string().regex(RUN_ID_PATTERN),
  name: z.string(),
  algorithm: z.string().min(1),
  env: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  status: z.enum(['queued', 'running', 'stopped', 'done', 'failed', 'crashed']),
  createdAt: z.number(),
  startedAt: z.number().nullable().optional(),
  endedAt: z.number().nullable().optional(),
  step: z.number().int().nonnegative(),
  tags: z.array(z.string()).optional(),
  notes: z.string().optional(),
  error: z.string().nullable().optional(),
  backend: z.string().nullable().optional(),
  pid: z.number().int().positive().nullable().optional(),
});
const DbV1Schema = z.object({ schemaVersion: z.literal(1), runs: z.array(RunV1Schema) });

const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());

const v1ToV2: Migration = {
  from: 1,
  describe: 'v1 → v2: algorithm → algo, epoch-ms times → ISO strings, status done → finished, ' +
    'error/backend strings → objects, adds updatedAt, totalSteps, episodes, summary and the datasets index',
  run(old) {
    return runV1ToV2(RunV1Schema.parse(old));
  },
  db(old) {
    const d = DbV1Schema.parse(old);
    return { schemaVersion: 2, runs: d.runs.map(runV1ToV2), datasets: [] };
  },
};

function runV1ToV2(r: z.infer<typeof RunV1Schema>): unknown {
  const times = [r.createdAt, r.startedAt ?? 0, r.endedAt ?? 0];
  return {
    id: r.id,
    name: r.name,
    algo: r.algorithm,
    env: r.env,
    config: r.config,
    seed: r.seed,
    status: r.status === 'done' ? 'finished' : r.status,
    backend: r.backend ? { name: r.backend } : null,
    createdAt: iso(r.createdAt),
    updatedAt: iso(Math.max(...times)),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    step: r.step,
    totalSteps: null,
    episodes: 0,
    tags: r.tags ?? [],
    notes: r.notes ?? '',
    summary: {},
    error: r.error ? { message: r.error } : null,
    pid: r.pid ?? null,
  };
}

// --- Version 2: runs and datasets; no sweeps index ---------------------------------------------
// Run records are unchanged by v3 (their own schema validates them after the chain), so only the index's shape is
// checked here: the runs are lifted as they are.
const DbV2Schema = z.looseObject({ schemaVersion: z.literal(2), runs: z.array(z.unknown()), datasets: z.array(z.unknown()) });

const v2ToV3: Migration = {
  from: 2,
  describe: 'v2 → v3: adds the sweeps index (grid/random searches over configs × seeds)',
  run(old) {
    return old;
  },
  db(old) {
    const d = DbV2Schema.parse(old);
    return { schemaVersion: 3, runs: d.runs, datasets: d.datasets, sweeps: [] };
  },
};

export const MIGRATIONS: readonly Migration[] = [v1ToV2, v2ToV3];

export interface MigrationResult {
  data: unknown;
  /** The version the data was stored at. */
  from: number;
  /** Descriptions of the migrations that ran, in order (empty when already current). */
  applied: string[];
}

/** The `schemaVersion` a document claims, or null if it has none (then it is not a PolicyLab file). */
export function storedVersion(data: unknown): number | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const v = (data as { schemaVersion?: unknown }).schemaVersion;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : null;
}

function steps(from: number, what: string): Migration[] {
  if (from > SCHEMA_VERSION) {
    throw new StoreError(
      'NEWER_SCHEMA',
      `${what} has schemaVersion ${from}, newer than this PolicyLab understands (${SCHEMA_VERSION}); ` +
        'open it with a newer PolicyLab. The file was left untouched.',
    );
  }
  const chain: Migration[] = [];
  for (let v = from; v < SCHEMA_VERSION; v++) {
    const m = MIGRATIONS.find((x) => x.from === v);
    if (!m) throw new StoreError('CORRUPT', `${what}: no migration from schemaVersion ${v}`);
    chain.push(m);
  }
  return chain;
}

/** Lifts a db.json document to SCHEMA_VERSION. Throws ZodError/StoreError when it cannot. */
export function migrateDb(data: unknown, what = 'db.json'): MigrationResult {
  const from = storedVersion(data);
  if (from === null) throw new StoreError('CORRUPT', `${what} has no valid schemaVersion`);
  let current = data;
  const chain = steps(from, what);
  for (const m of chain) current = m.db(current);
  return { data: current, from, applied: chain.map((m) => m.describe) };
}

/** Lifts a run.json document (`{schemaVersion, run}`) to SCHEMA_VERSION. */
export function migrateRunFile(data: unknown, what = 'run.json'): MigrationResult {
  const from = storedVersion(data);
  if (from === null) throw new StoreError('CORRUPT', `${what} has no valid schemaVersion`);
  let run = (data as { run?: unknown }).run;
  const chain = steps(from, what);
  for (const m of chain) run = m.run(run);
  return { data: { schemaVersion: SCHEMA_VERSION, run }, from, applied: chain.map((m) => m.describe) };
}
