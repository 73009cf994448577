/** Shared helpers for the training-loop integration tests: temp run folders and reading metric streams back. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricReader, type MetricRecord } from '../../../core/store/index.js';

export function tempRunDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'policylab-algos-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every metric record of a run, without the wall-clock-dependent keys (time/*). */
export async function readMetrics(runDir: string): Promise<{ step: number; values: Record<string, number> }[]> {
  const out: { step: number; values: Record<string, number> }[] = [];
  for await (const chunk of new MetricReader(runDir).records()) {
    for (const r of chunk as MetricRecord[]) {
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(r.values)) if (!k.startsWith('time/')) values[k] = v;
      out.push({ step: r.step, values });
    }
  }
  return out;
}
