/**
 * Sweep records on disk: `sweeps/<id>.json` holds each sweep's record beside its entry in db.json's `sweeps` index,
 * so an index rebuilt from the folders (a damaged db.json) keeps its sweeps, as runs/<id>/run.json does for runs.
 * Written atomically by the one process that owns the sweep.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isNodeError } from './errors.js';
import { writeFileAtomic } from './fs-utils.js';
import { isRunId } from './ids.js';
import { describeZodError, SCHEMA_VERSION, type SweepRecord, SweepRecordSchema } from './schema.js';
import { z } from 'zod';

export const SWEEPS_DIR = 'sweeps';

const SweepFileSchema = z.object({ schemaVersion: z.number().int().min(3), sweep: z.unknown() });

export function sweepFilePath(home: string, id: string): string {
  if (!isRunId(id)) throw new Error(`invalid sweep id ${JSON.stringify(id)}`);
  return join(home, SWEEPS_DIR, `${id}.json`);
}

export async function writeSweepFile(home: string, sweep: SweepRecord): Promise<void> {
  await writeFileAtomic(sweepFilePath(home, sweep.id), `${JSON.stringify({ schemaVersion: SCHEMA_VERSION, sweep }, null, 2)}\n`);
}

/** Every readable sweeps/<id>.json, oldest first, and the files that could not be read (left in place). */
export async function readSweepFiles(home: string): Promise<{ sweeps: SweepRecord[]; skipped: { file: string; reason: string }[] }> {
  let names: string[];
  try {
    names = (await readdir(join(home, SWEEPS_DIR))).filter((n) => n.endsWith('.json') && isRunId(n.slice(0, -5)));
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { sweeps: [], skipped: [] };
    throw e;
  }
  const sweeps: SweepRecord[] = [];
  const skipped: { file: string; reason: string }[] = [];
  for (const name of names) {
    const file = join(SWEEPS_DIR, name);
    try {
      const doc = SweepFileSchema.parse(JSON.parse(await readFile(join(home, file), 'utf8')));
      if (doc.schemaVersion > SCHEMA_VERSION) throw new Error(`schemaVersion ${doc.schemaVersion} is newer than ${SCHEMA_VERSION}`);
      const parsed = SweepRecordSchema.safeParse(doc.sweep);
      if (!parsed.success) throw new Error(describeZodError(parsed.error, 'sweep'));
      if (`${parsed.data.id}.json` !== name) throw new Error(`names sweep ${parsed.data.id}`);
      sweeps.push(parsed.data);
    } catch (e) {
      skipped.push({ file, reason: errorMessage(e) });
    }
  }
  sweeps.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { sweeps, skipped };
}
