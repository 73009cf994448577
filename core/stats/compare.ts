/**
 * Statistics for a grouping of runs (compare view, sweep results): each group's runs reduced to one score per run,
 * stratified by task (env), then every group's aggregates with CIs, performance profiles on one τ grid, and the
 * probability of improvement for every ordered pair of groups over the tasks they share. Plain data in and out, so
 * it runs in a Web Worker unchanged.
 */
import {
  aggregateSummary,
  performanceProfileCI,
  probabilityOfImprovementCI,
  type AggregateSummary,
  type Interval,
  type ProfilePoint,
} from './index.js';

export interface RunScore {
  /** The run (for error messages). */
  runId: string;
  /** Task the run was scored on (its env id): runs are resampled within their task. */
  stratum: string;
  score: number;
}

export interface GroupScores {
  label: string;
  runs: readonly RunScore[];
}

export interface GroupStatsOptions {
  /** Optimality-gap target γ in score units (e.g. the env's reward threshold). */
  gamma: number;
  resamples?: number;
  confidence?: number;
  seed?: number;
  /** Points on the performance-profile τ grid (default 41). */
  profilePoints?: number;
}

export interface GroupStats {
  label: string;
  runs: number;
  strata: string[];
  summary: AggregateSummary;
  profile: ProfilePoint[];
}

export interface Improvement {
  x: string;
  y: string;
  /** Tasks both groups have runs on; P(X > Y) averages over these. */
  strata: string[];
  /** Null when the groups share no task. */
  ci: Interval | null;
}

export interface GroupStatsResult {
  taus: number[];
  groups: GroupStats[];
  improvements: Improvement[];
}

/**
 * A run's score: the mean of its values over the last `fraction` of its step range (rliable scores a run by its
 * final performance; averaging a window keeps one noisy last episode from deciding it). One point is its own score.
 */
export function finalScore(steps: ArrayLike<number>, values: ArrayLike<number>, fraction = 0.1): number {
  if (steps.length !== values.length) throw new RangeError(`finalScore: ${steps.length} steps but ${values.length} values`);
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`finalScore: fraction must be in [0, 1], got ${fraction}`);
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < steps.length; i++) {
    if (!Number.isFinite(values[i]!)) continue;
    first = Math.min(first, steps[i]!);
    last = Math.max(last, steps[i]!);
  }
  if (first === Infinity) return Number.NaN;
  const from = last - fraction * (last - first);
  let s = 0;
  let n = 0;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i]! >= from && Number.isFinite(values[i]!)) {
      s += values[i]!;
      n++;
    }
  }
  return s / n;
}

function strataOf(g: GroupScores, only?: ReadonlySet<string>): { names: string[]; scores: number[][] } {
  const by = new Map<string, number[]>();
  for (const r of g.runs) {
    if (only && !only.has(r.stratum)) continue;
    if (typeof r.score !== 'number' || !Number.isFinite(r.score)) {
      throw new RangeError(`group "${g.label}": run ${r.runId} has no finite score (${String(r.score)})`);
    }
    const list = by.get(r.stratum) ?? [];
    list.push(r.score);
    by.set(r.stratum, list);
  }
  const names = [...by.keys()].sort();
  return { names, scores: names.map((n) => by.get(n)!) };
}

/** `count` evenly spaced τ from the lowest to the highest score of all groups. */
export function tauGrid(groups: readonly GroupScores[], count = 41): number[] {
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`tauGrid: count must be a whole number ≥ 2, got ${count}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of groups) for (const r of g.runs) if (Number.isFinite(r.score)) {
    lo = Math.min(lo, r.score);
    hi = Math.max(hi, r.score);
  }
  if (lo === Infinity) throw new RangeError('tauGrid: no finite scores');
  if (lo === hi) {
    // All scores equal: a grid of width 2 around them, so the step of the profile is visible.
    lo -= 1;
    hi += 1;
  }
  return Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}

/** Everything the statistics panel shows for one grouping. Groups with no runs are rejected by name. */
export function groupStatistics(groups: readonly GroupScores[], opts: GroupStatsOptions): GroupStatsResult {
  if (groups.length === 0) throw new RangeError('groupStatistics: no groups');
  for (const g of groups) {
    if (g.runs.length === 0) throw new RangeError(`group "${g.label}" has no runs with a score`);
    strataOf(g); // names the first run without a finite score
  }
  const boot = { resamples: opts.resamples, confidence: opts.confidence, seed: opts.seed };
  const taus = tauGrid(groups, opts.profilePoints ?? 41);
  const stats = groups.map((g): GroupStats => {
    const { names, scores } = strataOf(g);
    return {
      label: g.label,
      runs: g.runs.length,
      strata: names,
      summary: aggregateSummary(scores, { ...boot, gamma: opts.gamma }),
      profile: performanceProfileCI(scores, taus, boot),
    };
  });
  const improvements: Improvement[] = [];
  for (let i = 0; i < groups.length; i++) {
    for (let j = 0; j < groups.length; j++) {
      if (i === j) continue;
      const shared = stats[i]!.strata.filter((s) => stats[j]!.strata.includes(s));
      const set = new Set(shared);
      improvements.push({
        x: groups[i]!.label,
        y: groups[j]!.label,
        strata: shared,
        ci: shared.length === 0 ? null : probabilityOfImprovementCI(strataOf(groups[i]!, set).scores, strataOf(groups[j]!, set).scores, boot),
      });
    }
  }
  return { taus, groups: stats, improvements };
}
