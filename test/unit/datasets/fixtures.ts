/** Shared helpers for the dataset tests: temp data folders and rows. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { PendingPair, PreferenceRow } from '../../../core/store/datasets-schema.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'policylab-datasets-'));
  made.push(dir);
  return dir;
}

export function pendingPair(i: number, extra: Partial<PendingPair> = {}): PendingPair {
  return {
    id: `p${i}`,
    prompt: `Q: ${i} + 1 = ?\nA:`,
    responseA: ` ${i + 1}`,
    responseB: ` The answer is ${i + 2}.`,
    modelRunId: null,
    checkpointStep: null,
    samplingParams: { temperature: 1, topK: 0, topP: 1, maxNewTokens: 16, swapped: i % 2 === 1 },
    seed: i,
    ...extra,
  };
}

export function importRow(i: number, extra: Partial<PreferenceRow> = {}): PreferenceRow {
  return {
    id: `r${i}`,
    prompt: `prompt ${i}`,
    chosen: `good ${i}`,
    rejected: `bad ${i}`,
    label: 'a',
    responseA: `good ${i}`,
    responseB: `bad ${i}`,
    source: 'import',
    labeller: null,
    shownAt: null,
    answeredAt: null,
    modelRunId: null,
    checkpointStep: null,
    samplingParams: null,
    seed: null,
    note: '',
    edited: false,
    ...extra,
  };
}
