/**
 * From a spec to its configurations ("points"): a grid's cartesian product, or `count` seeded random samples.
 * Random search is repeatable: each parameter draws from its own generator, seeded by (samplerSeed, parameter
 * name), so the same samplerSeed gives the same configurations, and adding a parameter leaves the others' draws
 * unchanged. Every point is then trained once per seed in `spec.seeds` (explicit, so a configuration is repeated
 * across the same seeds in every sweep).
 */
import { Rng } from '../common/rng.js';
import { MAX_SWEEP_RUNS, type ParamValue, type RangeParameter, SweepSpecError, type SweepSpec, type ValuesParameter } from './spec.js';

/** One configuration of a sweep: its index (0-based, in launch order) and the swept fields' values. */
export interface SweepPoint {
  index: number;
  params: Record<string, ParamValue>;
}

/** FNV-1a 32-bit hash of a parameter name (mixed into the sampler seed). */
function nameHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The generator parameter `key` draws from under `samplerSeed`. */
export function parameterRng(samplerSeed: number, key: string): Rng {
  // The sampler seed's own first draw, xor the name's hash: distinct names get distinct streams under one seed.
  return new Rng((new Rng(samplerSeed).nextUint32() ^ nameHash(key)) >>> 0);
}

/** One draw of a range parameter from `rng`. */
export function sampleRange(p: RangeParameter, rng: Rng): number {
  const u = rng.uniform();
  if (p.log) {
    const lo = Math.log(p.min);
    const hi = Math.log(p.max);
    const x = Math.exp(lo + u * (hi - lo));
    // Rounding a log draw keeps it log-distributed; the clamp keeps rounding (and exp's last bit) inside the range.
    return p.int ? Math.min(Math.floor(p.max), Math.max(Math.ceil(p.min), Math.round(x))) : Math.min(p.max, Math.max(p.min, x));
  }
  if (p.int) {
    const lo = Math.ceil(p.min);
    const n = Math.floor(p.max) - lo + 1;
    return lo + Math.min(n - 1, Math.floor(u * n));
  }
  return p.min + u * (p.max - p.min);
}

function gridPoints(spec: SweepSpec): SweepPoint[] {
  const keys = Object.keys(spec.parameters);
  const lists = keys.map((k) => (spec.parameters[k] as ValuesParameter).values);
  const total = lists.reduce((n, l) => n * l.length, 1);
  if (total * spec.seeds.length > MAX_SWEEP_RUNS) {
    throw new SweepSpecError(`spec.parameters: the grid has ${total} configurations × ${spec.seeds.length} seeds = ${total * spec.seeds.length} runs, more than ${MAX_SWEEP_RUNS}`, [
      { path: 'spec.parameters', message: `more than ${MAX_SWEEP_RUNS} runs` },
    ]);
  }
  const points: SweepPoint[] = [];
  // The last parameter varies fastest (as nested loops written in the spec's key order).
  for (let index = 0; index < total; index++) {
    const params: Record<string, ParamValue> = {};
    let rest = index;
    for (let k = keys.length - 1; k >= 0; k--) {
      const list = lists[k]!;
      params[keys[k]!] = list[rest % list.length]!;
      rest = Math.floor(rest / list.length);
    }
    points.push({ index, params: Object.fromEntries(keys.map((k) => [k, params[k]!])) });
  }
  return points;
}

function randomPoints(spec: SweepSpec): SweepPoint[] {
  const count = spec.count ?? 1;
  if (count * spec.seeds.length > MAX_SWEEP_RUNS) {
    throw new SweepSpecError(`spec.count: ${count} configurations × ${spec.seeds.length} seeds = ${count * spec.seeds.length} runs, more than ${MAX_SWEEP_RUNS}`, [
      { path: 'spec.count', message: `more than ${MAX_SWEEP_RUNS} runs` },
    ]);
  }
  const samplerSeed = spec.samplerSeed ?? 0;
  const columns = new Map<string, ParamValue[]>();
  for (const [key, p] of Object.entries(spec.parameters)) {
    const rng = parameterRng(samplerSeed, key);
    const column: ParamValue[] = [];
    for (let i = 0; i < count; i++) {
      column.push('values' in p ? p.values[Math.min(p.values.length - 1, Math.floor(rng.uniform() * p.values.length))]! : sampleRange(p, rng));
    }
    columns.set(key, column);
  }
  return Array.from({ length: count }, (_, index) => ({
    index,
    params: Object.fromEntries([...columns].map(([k, col]) => [k, col[index]!])),
  }));
}

/** The sweep's configurations, in launch order. */
export function expandSweep(spec: SweepSpec): SweepPoint[] {
  return spec.method === 'grid' ? gridPoints(spec) : randomPoints(spec);
}

/** The runs of a sweep: every point once per seed, point-major (all seeds of point 0 first). */
export function sweepRuns(points: readonly SweepPoint[], seeds: readonly number[]): { point: number; seed: number }[] {
  return points.flatMap((p) => seeds.map((seed) => ({ point: p.index, seed })));
}
