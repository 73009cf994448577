/**
 * Opening db.json: read, migrate, validate — and when that fails, move the file aside (never
 * overwrite it) and rebuild the index from the run folders' run.json files.
 */
import { copyFile, readdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ZodError } from 'zod';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { fileTimestamp } from './fs-utils.js';
import { isRunId } from './ids.js';
import { migrateDb, migrateRunFile } from './migrations.js';
import { readSweepFiles } from './sweeps.js';
import {
  type DatasetIndexEntry,
  type DbData,
  DbDataSchema,
  describeZodError,
  type RunRecord,
  RunFileSchema,
  SCHEMA_VERSION,
} from './schema.js';

export const DB_FILE = 'db.json';
export const RUNS_DIR = 'runs';
export const RUN_FILE = 'run.json';

/** What open() did about an unusable db.json. The app shows `message` to the user. */
export interface StoreRecovery {
  reason: 'invalid-json' | 'unreadable' | 'wrong-schema' | 'missing';
  /** The parse, read or validation error. */
  detail: string;
  /** Where the bad db.json now lives (`db.json.corrupt-<timestamp>`); null when it was missing. */
  movedTo: string | null;
  /** Runs recovered from runs/<id>/run.json. */
  rebuiltRuns: number;
  /** Run folders that could not be recovered, and why (their files are left in place). */
  skipped: { dir: string; reason: string }[];
  message: string;
}

export interface StoreMigration {
  from: number;
  to: number;
  applied: string[];
  /** A copy of db.json as it was before migrating. */
  backupPath: string;
}

export interface LoadedIndex {
  data: DbData;
  recovery: StoreRecovery | null;
  migration: StoreMigration | null;
  /** Run folders with a valid run.json that the index did not list (a crash between the two writes). */
  adoptedRunIds: string[];
  /** Index entries whose run folder no longer exists (deleted by hand or by a crash), dropped from `data`. */
  prunedRunIds: string[];
  /** True when db.json on disk differs from `data` and must be written. */
  dirty: boolean;
}

export type RebuildDatasets = (home: string) => Promise<DatasetIndexEntry[]>;

export async function loadIndex(home: string, rebuildDatasets?: RebuildDatasets): Promise<LoadedIndex> {
  const dbPath = join(home, DB_FILE);
  let text: string;
  try {
    text = await readFile(dbPath, 'utf8');
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return fresh(home, rebuildDatasets);
    return recover(home, 'unreadable', errorMessage(e), rebuildDatasets);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return recover(home, 'invalid-json', errorMessage(e), rebuildDatasets);
  }

  let migrated: ReturnType<typeof migrateDb>;
  let data: DbData;
  try {
    migrated = migrateDb(parsed);
    data = DbDataSchema.parse(migrated.data);
  } catch (e) {
    if (e instanceof StoreError && e.code === 'NEWER_SCHEMA') throw e;
    const detail = e instanceof ZodError ? describeZodError(e, 'db') : errorMessage(e);
    return recover(home, 'wrong-schema', detail, rebuildDatasets);
  }

  let migration: StoreMigration | null = null;
  if (migrated.applied.length > 0) {
    const backupPath = `${dbPath}.v${migrated.from}-backup-${fileTimestamp()}`;
    await copyFile(dbPath, backupPath);
    migration = { from: migrated.from, to: SCHEMA_VERSION, applied: migrated.applied, backupPath };
  }

  const folders = new Set(await runFolderNames(home));
  const prunedRunIds = data.runs.filter((r) => !folders.has(r.id)).map((r) => r.id);
  if (prunedRunIds.length > 0) data.runs = data.runs.filter((r) => folders.has(r.id));
  const adoptedRunIds = await adoptOrphans(home, data, folders);
  const dirty = migration !== null || adoptedRunIds.length > 0 || prunedRunIds.length > 0;
  return { data, recovery: null, migration, adoptedRunIds, prunedRunIds, dirty };
}

async function fresh(home: string, rebuildDatasets?: RebuildDatasets): Promise<LoadedIndex> {
  const dirs = await runFolderNames(home);
  if (dirs.length > 0) return recover(home, 'missing', `${DB_FILE} does not exist`, rebuildDatasets);
  const data: DbData = { schemaVersion: SCHEMA_VERSION, runs: [], datasets: [], sweeps: (await readSweepFiles(home)).sweeps };
  return { data, recovery: null, migration: null, adoptedRunIds: [], prunedRunIds: [], dirty: true };
}

async function recover(
  home: string,
  reason: StoreRecovery['reason'],
  detail: string,
  rebuildDatasets?: RebuildDatasets,
): Promise<LoadedIndex> {
  const dbPath = join(home, DB_FILE);
  let movedTo: string | null = null;
  if (reason !== 'missing') {
    movedTo = `${dbPath}.corrupt-${fileTimestamp()}`;
    try {
      await rename(dbPath, movedTo);
    } catch (e) {
      throw new StoreError(
        'CORRUPT',
        `${dbPath} is unusable (${detail}) and could not be moved aside to ${movedTo}: ${errorMessage(e)}. ` +
          'Move or repair it by hand; PolicyLab will not overwrite it.',
        { cause: e },
      );
    }
  }
  const { runs, skipped } = await scanRunFolders(home);
  const datasets = rebuildDatasets ? await rebuildDatasets(home) : [];
  const { sweeps } = await readSweepFiles(home);
  const what = {
    'invalid-json': 'was not valid JSON',
    unreadable: 'could not be read',
    'wrong-schema': 'did not match the expected format',
    missing: 'was missing',
  }[reason];
  const message =
    `The run index (${DB_FILE}) ${what}: ${detail}. ` +
    (movedTo ? `It was moved aside to ${basename(movedTo)}. ` : '') +
    `Rebuilt the index from ${runs.length} run folder${runs.length === 1 ? '' : 's'}` +
    (skipped.length ? `; ${skipped.length} folder${skipped.length === 1 ? '' : 's'} could not be read and were left in place.` : '.');
  return {
    data: { schemaVersion: SCHEMA_VERSION, runs, datasets, sweeps },
    recovery: { reason, detail, movedTo, rebuiltRuns: runs.length, skipped, message },
    migration: null,
    adoptedRunIds: [],
    prunedRunIds: [],
    dirty: true,
  };
}

/** Folder names under runs/ that look like run ids (dot-prefixed trash and temp folders are skipped). */
export async function runFolderNames(home: string): Promise<string[]> {
  try {
    const entries = await readdir(join(home, RUNS_DIR), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && isRunId(e.name)).map((e) => e.name);
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return [];
    throw e;
  }
}

/** Reads and migrates runs/<id>/run.json. */
export async function readRunFile(home: string, id: string): Promise<RunRecord> {
  const path = join(home, RUNS_DIR, id, RUN_FILE);
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  const { data } = migrateRunFile(parsed, path);
  const file = RunFileSchema.safeParse(data);
  if (!file.success) throw new Error(describeZodError(file.error, RUN_FILE));
  if (file.data.run.id !== id) throw new Error(`${RUN_FILE} names run ${file.data.run.id}, not ${id}`);
  return file.data.run;
}

export async function scanRunFolders(
  home: string,
  only?: string[],
): Promise<{ runs: RunRecord[]; skipped: { dir: string; reason: string }[] }> {
  const names = only ?? (await runFolderNames(home));
  const runs: RunRecord[] = [];
  const skipped: { dir: string; reason: string }[] = [];
  const batch = 32; // bounded parallelism: fast on SSDs without exhausting file handles
  for (let i = 0; i < names.length; i += batch) {
    await Promise.all(
      names.slice(i, i + batch).map(async (id) => {
        try {
          runs.push(await readRunFile(home, id));
        } catch (e) {
          const reason = e instanceof ZodError ? describeZodError(e, RUN_FILE) : errorMessage(e);
          skipped.push({ dir: join(RUNS_DIR, id), reason: `${RUN_FILE}: ${reason}` });
        }
      }),
    );
  }
  runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  skipped.sort((a, b) => a.dir.localeCompare(b.dir));
  return { runs, skipped };
}

async function adoptOrphans(home: string, data: DbData, folders: Set<string>): Promise<string[]> {
  const known = new Set(data.runs.map((r) => r.id));
  const orphans = [...folders].filter((id) => !known.has(id));
  if (orphans.length === 0) return [];
  const { runs } = await scanRunFolders(home, orphans);
  data.runs.push(...runs);
  data.runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return runs.map((r) => r.id);
}
