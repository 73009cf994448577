/**
 * The reward–KL frontier (the DPO paper's fig. 2): for each RLHF or DPO run, its oracle score eval/oracleScore (y)
 * against its KL to the SFT policy eval/kl (x) at every evaluation step, in step order. Every such run evaluates at
 * step 0 before any update, so its first point is the SFT policy it started from (KL 0): those are the origins,
 * one per distinct init. Pure, unit-tested in Node; FrontierView.svelte fetches and draws.
 */
import type { MetricSeries, RunInfo } from '../../../core/api/contract.js';

export const ORACLE_KEY = 'eval/oracleScore';
export const KL_KEY = 'eval/kl';

export interface FrontierPoint {
  x: number;
  y: number;
  step: number;
}

export interface FrontierLine {
  runId: string;
  label: string;
  algo: string;
  points: FrontierPoint[];
}

export interface FrontierOrigin {
  /** The init the runs started from ("run <id> step N" or the folder). */
  init: string;
  label: string;
  /** Mean step-0 oracle score over the runs from this init (they sample the same prompts; seeds may differ). */
  x: number;
  y: number;
  runs: number;
}

/**
 * Joins the two series on step (points where both were logged; non-finite values dropped). `series` are
 * metrics:query results for one run (raw when the run has fewer evaluations than maxPoints, as eval steps are).
 */
export function frontierLine(run: Pick<RunInfo, 'id' | 'name' | 'algo'>, series: readonly MetricSeries[]): FrontierLine {
  const oracle = series.find((s) => s.key === ORACLE_KEY);
  const kl = series.find((s) => s.key === KL_KEY);
  const points: FrontierPoint[] = [];
  if (oracle && kl) {
    const klAt = new Map<number, number>();
    kl.steps.forEach((step, i) => klAt.set(step, kl.values[i]!));
    oracle.steps.forEach((step, i) => {
      const x = klAt.get(step);
      const y = oracle.values[i]!;
      if (x !== undefined && Number.isFinite(x) && Number.isFinite(y)) points.push({ x, y, step });
    });
    points.sort((a, b) => a.step - b.step);
  }
  return { runId: run.id, label: `${run.name} (${run.algo})`, algo: run.algo, points };
}

/** What a run's config says it started from, as one comparable string. */
export function initKey(config: Record<string, unknown>): string {
  const init = typeof config.init === 'string' && config.init ? config.init : '?';
  const step = typeof config.initStep === 'number' ? `step ${config.initStep}` : 'latest';
  return `${init} ${step}`;
}

/** One SFT origin per distinct init, from each run's step-0 point (runs without one are left out). */
export function frontierOrigins(lines: readonly FrontierLine[], configs: ReadonlyMap<string, Record<string, unknown>>, initName: (init: string) => string): FrontierOrigin[] {
  const byInit = new Map<string, FrontierPoint[]>();
  for (const line of lines) {
    const first = line.points[0];
    if (!first || first.step !== 0) continue;
    const key = initKey(configs.get(line.runId) ?? {});
    byInit.set(key, [...(byInit.get(key) ?? []), first]);
  }
  return [...byInit].map(([init, pts]) => ({
    init,
    label: `SFT: ${initName(init)} (step-0 evaluation)`,
    x: pts.reduce((s, p) => s + p.x, 0) / pts.length,
    y: pts.reduce((s, p) => s + p.y, 0) / pts.length,
    runs: pts.length,
  }));
}

/** The point of a line with the highest oracle score (the run's best checkpoint on the frontier), or null. */
export function bestPoint(line: FrontierLine): FrontierPoint | null {
  return line.points.reduce<FrontierPoint | null>((best, p) => (best === null || p.y > best.y ? p : best), null);
}
