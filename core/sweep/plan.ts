/**
 * Checking a sweep before anything launches: every swept and fixed key must be a field of the algorithm's config
 * schema, and every configuration must validate against it (defaults ← preset ← spec.config ← the point's values),
 * so a bad value fails the whole sweep at once with the key and the configuration named, not run 17 an hour later.
 */
import type { AlgoCatalog } from '../runner/catalog.js';
import { ApiFailure } from '../api/contract.js';
import { expandSweep, sweepRuns, type SweepPoint } from './expand.js';
import { parseSweepSpec, type SweepSpec, SweepSpecError } from './spec.js';

/** A sweep ready to launch: its spec, configurations, and the full config and length of each run. */
export interface SweepPlan {
  spec: SweepSpec;
  name: string;
  points: SweepPoint[];
  /** One per (point, seed), point-major. */
  runs: { point: number; seed: number; config: Record<string, unknown> }[];
  totalSteps: number;
}

function fail(path: string, message: string): never {
  throw new SweepSpecError(`${path}: ${message}`, [{ path, message }]);
}

function describeParams(params: SweepPoint['params']): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

/** Parses and checks a spec against the catalog; throws SweepSpecError naming the bad key. */
export function planSweep(input: unknown, catalog: Pick<AlgoCatalog, 'describe' | 'resolve'>): SweepPlan {
  const spec = parseSweepSpec(input);
  const described = catalog.describe();
  const algo = described.algos.find((a) => a.id === spec.algo);
  if (!algo) fail('spec.algo', `unknown algorithm ${JSON.stringify(spec.algo)}; known: ${described.algos.map((a) => a.id).join(', ')}`);
  if (!described.envs.some((e) => e.id === spec.env)) fail('spec.env', `unknown environment ${JSON.stringify(spec.env)}; known: ${described.envs.map((e) => e.id).join(', ')}`);
  const fields = Object.keys(algo.configSchema.properties ?? {});
  for (const [where, keys] of [['parameters', Object.keys(spec.parameters)], ['config', Object.keys(spec.config)]] as const) {
    for (const key of keys) {
      if (!fields.includes(key)) fail(`spec.${where}.${key}`, `${JSON.stringify(key)} is not a config field of ${spec.algo}; fields: ${fields.join(', ')}`);
    }
  }
  const points = expandSweep(spec);
  const configs: Record<string, unknown>[] = [];
  let totalSteps = 0;
  for (const point of points) {
    try {
      const resolved = catalog.resolve({
        algo: spec.algo,
        env: spec.env,
        config: { ...spec.config, ...point.params } as never,
        ...(spec.preset !== undefined ? { preset: spec.preset } : {}),
        ...(spec.totalSteps !== undefined ? { totalSteps: spec.totalSteps } : {}),
      });
      configs.push(resolved.config);
      totalSteps = resolved.totalSteps;
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e;
      const issue = e.issues?.[0];
      if (!issue) fail('spec', e.message);
      const [head, key] = issue.path.split('.');
      if (head === 'config' && key !== undefined && Object.hasOwn(point.params, key)) {
        fail(`spec.parameters.${key}`, `${issue.message} (configuration ${point.index}: ${describeParams(point.params)})`);
      }
      if (head === 'config') fail(`spec.${issue.path}`, issue.message);
      fail(`spec.${issue.path || 'config'}`, issue.message);
    }
  }
  const name = spec.name ?? `${spec.method} ${spec.algo} ${spec.env}`;
  const runs = sweepRuns(points, spec.seeds).map((r) => ({ ...r, config: configs[r.point]! }));
  return { spec, name, points, runs, totalSteps };
}
