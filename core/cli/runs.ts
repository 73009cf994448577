/**
 * `policylab runs` (a table of the store's runs, or JSON) and `policylab export` (metrics of runs as CSV or JSON).
 */
import { exportRunsCsv, exportRunsJson, integrityCounts, openIntegrityCache, resolveHome, runIntegrity, type RunIntegrity, RunStore, type RunRecord, summarizeIntegrity } from '../store/index.js';
import { UsageError } from './config-flags.js';

function cell(v: string, width: number): string {
  return v.length > width ? `${v.slice(0, width - 1)}…` : v.padEnd(width);
}

function recentReturn(r: RunRecord): string {
  const s = r.summary['rollout/recentReturn'] ?? r.summary['rollout/episodeReturn'];
  return s ? s.last.toFixed(1) : '';
}

export function formatRunsTable(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return 'no runs yet (start one with: npm run train -- --algo ppo --env CartPole-v1)';
  const header = ['ID', 'NAME', 'ALGO', 'ENV', 'SEED', 'STATUS', 'STEP', 'RETURN', 'CREATED'];
  const widths = [26, 24, 9, 24, 5, 9, 19, 8, 20];
  const rows = runs.map((r) => [
    r.id,
    r.name,
    r.algo,
    r.env,
    String(r.seed),
    r.status,
    `${r.step.toLocaleString('en-US')}${r.totalSteps ? `/${r.totalSteps.toLocaleString('en-US')}` : ''}`,
    recentReturn(r),
    r.createdAt.replace('T', ' ').slice(0, 19),
  ]);
  return [header, ...rows].map((row) => row.map((v, i) => cell(v, widths[i])).join(' ').trimEnd()).join('\n');
}

export async function runsCommand(opts: { home?: string; json: boolean }): Promise<void> {
  const store = await RunStore.open(opts.home ?? resolveHome());
  try {
    // What the store repaired at open (index rebuilt, dead owners marked crashed) is said in one line each.
    for (const n of store.notices) process.stderr.write(`note: ${n.message}\n`);
    const runs = store.listRuns();
    // Damaged files are reported with every listing (unreadable metrics lines, quarantines, damaged checkpoints).
    const reports = await integrityOf(store, runs);
    if (opts.json) {
      console.log(JSON.stringify(runs.map((r, i) => ({ ...r, integrity: reports[i] ? integrityCounts(reports[i]) : null })), null, 2));
    } else {
      console.log(formatRunsTable(runs));
    }
    runs.forEach((r, i) => {
      const summary = reports[i] ? summarizeIntegrity(reports[i]) : null;
      if (summary) process.stderr.write(`damaged: run ${r.id} (${r.name}): ${summary} — npm run runs -- --json lists the line numbers\n`);
    });
  } finally {
    await store.close();
  }
}

/** Each run's integrity report (null where its folder could not be read), four folders at a time. */
async function integrityOf(store: RunStore, runs: readonly RunRecord[]): Promise<(RunIntegrity | null)[]> {
  const out: (RunIntegrity | null)[] = new Array(runs.length).fill(null);
  const cache = await openIntegrityCache(store.home);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < runs.length) {
      const i = next++;
      out[i] = await runIntegrity(store.runDir(runs[i]!.id), { cache }).catch(() => null);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await cache.flush().catch(() => undefined); // a cache the folder cannot hold only costs the next scan
  return out;
}

export async function exportCommand(ids: readonly string[], opts: { home?: string; format: string; out?: string }): Promise<void> {
  if (opts.format !== 'csv' && opts.format !== 'json') throw new UsageError(`--format must be csv or json, got ${JSON.stringify(opts.format)}`);
  if (!opts.out) throw new UsageError('--out <path> is required');
  if (ids.length === 0) throw new UsageError('name at least one run id (`policylab runs` lists them)');
  const store = await RunStore.open(opts.home ?? resolveHome());
  try {
    const result = opts.format === 'csv' ? await exportRunsCsv(store, ids, opts.out) : await exportRunsJson(store, ids, opts.out);
    console.log(`exported ${result.runs} run(s), ${result.rows} rows, to ${result.path}`);
  } finally {
    await store.close();
  }
}
