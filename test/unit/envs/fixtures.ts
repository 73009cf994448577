/**
 * Loads Gymnasium reference episodes: the shared fixture (../shared/fixtures beside the repo, or the folder
 * or file named by POLICYLAB_FIXTURES) and this folder's own gymnasium-0.29.1-extra.json.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReferenceEpisode {
  seed: number;
  policy: string;
  initialState: number[];
  initialObs: number[];
  actions: (number | number[])[];
  obs: number[][];
  states: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
}

export interface ReferenceFile {
  source: string;
  envs: Record<string, ReferenceEpisode[]>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
export const SHARED_FIXTURE_NAME = 'gymnasium-classic-control.json';

/** Where the shared fixture is, or a message saying where it was looked for. */
export function sharedFixturePath(): { path: string } | { error: string } {
  const candidates = [path.resolve(repoRoot, '../shared/fixtures', SHARED_FIXTURE_NAME)];
  const fromEnv = process.env.POLICYLAB_FIXTURES;
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    candidates.push(existsSync(resolved) && statSync(resolved).isFile() ? resolved : path.join(resolved, SHARED_FIXTURE_NAME));
  }
  const found = candidates.find((p) => existsSync(p));
  if (found) return { path: found };
  return {
    error:
      `Gymnasium reference fixture ${SHARED_FIXTURE_NAME} not found; looked in ${candidates.join(' and ')}. ` +
      'Put the shared/ folder beside the repository, or set POLICYLAB_FIXTURES to the folder (or file) holding it.',
  };
}

/** Fields may be stored as JSON values or as JSON-encoded strings; both are accepted. */
function parseEpisode(raw: Record<string, unknown>): ReferenceEpisode {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    out[key] = typeof value === 'string' && key !== 'policy' ? JSON.parse(value) : value;
  }
  return out as unknown as ReferenceEpisode;
}

export function loadReferenceFile(file: string): ReferenceFile {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { source: string; envs: Record<string, Record<string, unknown>[]> };
  const envs: Record<string, ReferenceEpisode[]> = {};
  for (const [id, episodes] of Object.entries(raw.envs)) envs[id] = episodes.map(parseEpisode);
  return { source: raw.source, envs };
}

export const EXTRA_FIXTURE_PATH = path.join(here, 'fixtures', 'gymnasium-0.29.1-extra.json');
