/**
 * `policylab sweep <spec.json>`: a grid or random search over an algorithm's config × explicit seeds (the spec format
 * is documented in core/sweep/spec.ts). The spec is checked in full — every key against the algorithm's config
 * schema, every configuration's values — before anything launches; then the sweep is recorded in the data folder's
 * index (the app lists it) and its runs train in child processes, at most "Runs at once" at a time (--max-runs,
 * POLICYLAB_MAX_RUNS, or the app's saved setting), the rest queued. Ctrl-C (or a stop from the app) stops the
 * sweep as a whole: queued runs never start, running ones save a checkpoint and stop; a second Ctrl-C quits at once.
 * Prints each run's status changes, then a table per configuration with its aggregate over seeds.
 * Exit codes: 0 every run finished, 1 some run failed or crashed, 130 stopped, 2 a bad spec or flag.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SweepDetail } from '../api/sweeps.js';
import { fromRegistry } from '../runner/catalog-registry.js';
import { concurrencyFromEnv, RunManager } from '../runner/run-manager.js';
import { readSettings, resolveHome, RunStore } from '../store/index.js';
import { SweepController } from '../sweep/controller.js';
import { planSweep } from '../sweep/plan.js';
import { sweepResults } from '../sweep/results.js';
import { SweepSpecError } from '../sweep/spec.js';
import { UsageError } from './config-flags.js';
import { DUPLICATE_SIGINT_MS, parseInteger } from './train.js';

export interface SweepCliOptions {
  home?: string;
  maxRuns?: string;
  json?: boolean;
}

/**
 * The training worker beside the run manager: this file runs from core/cli (sources under tsx), from dist/core/cli
 * (per-file build) or inside the CLI bundle dist/cli/policylab.mjs, whose per-file tree is dist/core.
 */
function workerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../runner/worker.js'), join(here, '../runner/worker.ts'), join(here, '../core/runner/worker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the training worker was not found (looked for ${candidates.join(', ')})`);
  return found;
}

async function readSpec(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the sweep spec ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`the sweep spec ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function fmt(v: number | null): string {
  if (v === null) return '—';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4);
}

/** The results table: one row per configuration, its values and the aggregate over seeds. */
export function formatResults(d: SweepDetail): string {
  const keys = d.parameters;
  const header = ['#', ...keys, 'seeds', 'mean', 'IQM', 'min', 'max'];
  const rows = d.results.map((p) => [
    String(p.index),
    ...keys.map((k) => JSON.stringify(p.params[k] ?? null)),
    `${p.n}/${p.runs.length}`,
    fmt(p.mean),
    fmt(p.iqm),
    fmt(p.min),
    fmt(p.max),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [`${d.resultMetric} (last value per run), over seeds ${d.seeds.join(', ')}:`, line(header), ...rows.map(line)].join('\n');
}

export async function sweepCommand(specPath: string, opts: SweepCliOptions): Promise<number> {
  const input = await readSpec(specPath);
  const catalog = fromRegistry();
  let plan;
  try {
    plan = planSweep(input, catalog); // everything checked before the store is even opened
  } catch (e) {
    if (e instanceof SweepSpecError) throw new UsageError(`the sweep spec ${specPath} is invalid:\n  ${e.message.split('\n').join('\n  ')}`);
    throw e;
  }
  const maxRuns = opts.maxRuns === undefined ? undefined : parseInteger('--max-runs', opts.maxRuns, 1, 64);
  const home = opts.home ?? resolveHome();
  const store = await RunStore.open(home);
  for (const n of store.notices) process.stderr.write(`note: ${n.message}\n`);
  const saved = await readSettings(home);
  if (saved.problem) process.stderr.write(`note: ${saved.problem}\n`);
  const maxConcurrent = maxRuns ?? concurrencyFromEnv() ?? saved.settings.maxConcurrent;
  const manager = await RunManager.open({ store, workerPath: workerPath(), ownerKind: 'cli', ...(maxConcurrent !== undefined ? { maxConcurrent } : {}) });
  const controller = new SweepController({ store, manager, catalog, ownerKind: 'cli' });
  const log = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);

  let firstInterrupt: number | null = null;
  let sweepId: string | null = null;
  const onSigint = (): void => {
    const now = Date.now();
    if (firstInterrupt === null) {
      firstInterrupt = now;
      log('stopping the sweep: queued runs will not start, running runs save a checkpoint — press Ctrl-C again to quit now');
      if (sweepId) void controller.stop(sweepId).catch((e: unknown) => log(`could not stop: ${(e as Error).message}`));
    } else if (now - firstInterrupt >= DUPLICATE_SIGINT_MS) {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const record = await controller.start(input);
    sweepId = record.id;
    if (firstInterrupt !== null) await controller.stop(record.id);
    const point = new Map<string, { point: number; seed: number }>();
    const seen = new Map<string, string>();
    const offStatus = manager.subscribe((e) => {
      if (e.event !== 'run:status') return;
      const live = controller.get(record.id);
      for (const r of live.runs) point.set(r.runId, { point: r.point, seed: r.seed });
      const where = point.get(e.payload.id);
      if (!where || seen.get(e.payload.id) === e.payload.status) return;
      seen.set(e.payload.id, e.payload.status);
      const params = Object.entries(plan.points[where.point]!.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
      const extra = e.payload.status === 'failed' || e.payload.status === 'crashed' ? `: ${e.payload.error ?? ''}` : e.payload.status === 'finished' ? ` at step ${e.payload.step}` : '';
      log(`run ${e.payload.id} (#${where.point} ${params}, seed ${where.seed}): ${e.payload.status}${extra}`);
    });
    log(
      `sweep ${record.id} "${record.name}": ${plan.points.length} configuration${plan.points.length === 1 ? '' : 's'} × ${plan.spec.seeds.length} seed${plan.spec.seeds.length === 1 ? '' : 's'} = ` +
        `${plan.runs.length} runs of ${plan.totalSteps.toLocaleString('en-US')} steps, ${manager.maxConcurrent} at once\n  ${home}`,
    );
    const final = await controller.done(record.id);
    offStatus();
    const detail = sweepResults(final, (id) => store.findRun(id));
    if (opts.json) process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    else log(`sweep ${final.id} ${final.status}${final.error ? ` (${final.error})` : ''}\n${formatResults(detail)}`);
    if (final.status === 'stopped') return 130;
    return Object.keys(detail.runCounts).some((s) => s === 'failed' || s === 'crashed') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    controller.beginClose();
    await manager.close();
    await controller.close();
    await store.close();
  }
}
