/**
 * Seeds for the Preferences e2e tests: an SFT run whose checkpoint holds the small sentiment SFT policy of
 * test/fixtures/lm/sentiment-sft (as core/algos/lm saves it, model `lm`), written before the server opens; and
 * typed calls through the server's back end, the way another client would make them.
 */
import { join } from 'node:path';
import { lmArtifacts, loadLm } from '../../core/lm/files.js';
import { saveCheckpoint } from '../../core/store/checkpoints.js';
import { checksummer } from '../../core/store/checksum.js';
import { RunStore } from '../../core/store/db.js';
import type { E2eServer } from './helpers.js';

export const SFT_FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'lm', 'sentiment-sft');

/** A finished SFT run (name `name`) with one checkpoint at `step` holding the fixture policy; returns its id. */
export async function seedSftRun(home: string, name = 'sft fixture', step = 100): Promise<string> {
  const store = await RunStore.open(home);
  try {
    const run = await store.createRun({ algo: 'sft', env: 'text', config: { data: 'sentiment', init: '' }, seed: 1, name, totalSteps: step });
    const { engine, tokenizer } = await loadLm(SFT_FIXTURE, await checksummer());
    await saveCheckpoint(store.runDir(run.id), { step, models: { lm: lmArtifacts(engine, tokenizer) }, state: {} }, undefined, { fsync: false });
    await store.updateRun(run.id, { status: 'finished', step });
    return run.id;
  } finally {
    await store.close();
  }
}

/** An API call through the server's back end; throws with the channel and message on an error. */
export async function apiCall<T>(app: E2eServer, channel: string, payload?: unknown): Promise<T> {
  const r = await app.backend.invoke(channel, payload);
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value as T;
}
