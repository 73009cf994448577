/**
 * Recorded evaluation episodes: runs/<id>/episodes/<step>.json, one episode per training step at
 * which it was recorded (a later save at the same step replaces it). States are the env's
 * `getState()` after reset and after every step, so the renderer can replay an episode by drawing
 * states, without stepping an env.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertJsonValue, writeFileAtomic } from './fs-utils.js';
import { describeZodError } from './schema.js';

export const EPISODES_DIR = 'episodes';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const EpisodeSchema = z.looseObject({
  envId: z.string().min(1),
  seed: z.number().int(),
  /** `getState()` after reset and after each step (length T+1), or after each step (length T). */
  states: z.array(z.array(finite)),
  /** One per step: an integer for discrete actions, a vector for continuous ones. */
  actions: z.array(z.union([finite, z.array(finite)])),
  rewards: z.array(finite),
  return: finite,
});
export type Episode = z.input<typeof EpisodeSchema>;

export interface EpisodeSummary {
  step: number;
  envId: string;
  seed: number;
  return: number;
  length: number;
  recordedAt: string;
}

export type StoredEpisode = Episode & EpisodeSummary;

function episodesDir(runDir: string): string {
  if (typeof runDir !== 'string' || runDir === '') throw new StoreError('INVALID_PATH', `run folder must be a path, got ${JSON.stringify(runDir)}`);
  return join(runDir, EPISODES_DIR);
}

function assertStep(step: unknown): asserts step is number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) {
    throw new StoreError('INVALID_INPUT', `episode step must be an integer >= 0, got ${String(step)}`);
  }
}

/** Validates and writes the episode atomically; returns the file's path. Nothing is written on bad input. */
export async function saveEpisode(runDir: string, step: number, episode: Episode): Promise<string> {
  assertStep(step);
  const where = `episode at step ${step}`;
  const parsed = EpisodeSchema.safeParse(episode);
  if (!parsed.success) throw new StoreError('INVALID_INPUT', describeZodError(parsed.error, where));
  const e = parsed.data;
  const T = e.actions.length;
  if (e.rewards.length !== T) {
    throw new StoreError('INVALID_INPUT', `${where}: ${T} actions but ${e.rewards.length} rewards`);
  }
  if (e.states.length !== T && e.states.length !== T + 1) {
    throw new StoreError('INVALID_INPUT', `${where}: ${T} steps need ${T} or ${T + 1} states, got ${e.states.length}`);
  }
  try {
    assertJsonValue(e, where);
  } catch (err) {
    throw new StoreError('INVALID_INPUT', errorMessage(err));
  }
  const { envId, seed, return: ret, states, actions, rewards, ...extra } = e;
  const file = { step, recordedAt: new Date().toISOString(), envId, seed, return: ret, length: T, ...extra, actions, rewards, states };
  const dir = episodesDir(runDir);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${step}.json`);
  await writeFileAtomic(path, JSON.stringify(file));
  return path;
}

/** Summaries of every recorded episode, by step. */
export async function listEpisodes(runDir: string): Promise<EpisodeSummary[]> {
  let names: string[];
  try {
    names = await readdir(episodesDir(runDir));
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return [];
    throw e;
  }
  const out: EpisodeSummary[] = [];
  for (const n of names) {
    const m = /^(\d+)\.json$/.exec(n);
    if (!m) continue;
    try {
      const e = await loadEpisode(runDir, Number(m[1]));
      out.push({ step: e.step, envId: e.envId, seed: e.seed, return: e.return, length: e.length, recordedAt: e.recordedAt });
    } catch {
      // A file this store did not write: skip it.
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

export async function loadEpisode(runDir: string, step: number): Promise<StoredEpisode> {
  assertStep(step);
  const path = join(episodesDir(runDir), `${step}.json`);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') throw new StoreError('NOT_FOUND', `no episode recorded at step ${step} (${path})`);
    throw new StoreError('CORRUPT', `${path}: ${errorMessage(e)}`);
  }
  const parsed = EpisodeSchema.safeParse(data);
  if (!parsed.success) throw new StoreError('CORRUPT', describeZodError(parsed.error, path));
  const d = data as StoredEpisode;
  return { ...parsed.data, step, length: parsed.data.actions.length, recordedAt: typeof d.recordedAt === 'string' ? d.recordedAt : '' } as StoredEpisode;
}
