/**
 * A sweep's spec: grid or random search over an algorithm's config space, each configuration trained once per
 * explicit seed. The spec is plain JSON (a file for `policylab sweep <spec.json>`, the Sweeps view's form in the
 * app), validated here with zod; every error names the key that is wrong (`parameters.lr.min: …`).
 *
 * ```json
 * {
 *   "name": "ppo lr × clip",                     optional; default "<method> <algo> <env>"
 *   "algo": "ppo", "env": "CartPole-v1",
 *   "totalSteps": 20000,                         env steps per run (default: the preset's or the algorithm's)
 *   "preset": "CartPole-v1",                     optional: the algorithm's preset the config starts from
 *   "config": { "numEnvs": 4 },                  optional: fixed config fields for every run
 *   "method": "grid",                            grid | random
 *   "parameters": {
 *     "lr": { "values": [0.001, 0.0003] },       a list: grid takes each, random picks one uniformly
 *     "clipCoef": { "min": 0.1, "max": 0.3 },    a range (random only): uniform in [min, max]
 *     "numSteps": { "min": 32, "max": 512, "log": true, "int": true }   log-uniform, rounded to an integer
 *   },
 *   "count": 8,                                  random only: how many configurations to sample
 *   "samplerSeed": 0,                            random only: same samplerSeed → same configurations (default 0)
 *   "seeds": [1, 2, 3],                          every configuration is trained once per seed
 *   "metric": "rollout/episodeReturn"            the final metric the results aggregate (its last value per run)
 * }
 * ```
 */
import { z } from 'zod';

/** Most runs (configurations × seeds) one sweep may launch. */
export const MAX_SWEEP_RUNS = 1_000;
/** Most seeds per configuration (as `runs:start`). */
export const MAX_SWEEP_SEEDS = 32;
export const SWEEP_METHODS = ['grid', 'random'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];
/** What a sweep reports when the spec names no metric. */
export const DEFAULT_SWEEP_METRIC = 'rollout/episodeReturn';

const ConfigKey = z.string().min(1).max(128).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a config field name');
const ParamValue = z.union([z.number().refine(Number.isFinite, 'must be a finite number'), z.string().max(200), z.boolean(), z.null()]);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const ValuesParameterSchema = z.strictObject({
  values: z.array(ParamValue).min(1, 'needs at least one value').max(1_000),
});
export const RangeParameterSchema = z
  .strictObject({
    min: finite,
    max: finite,
    /** Sample log-uniformly (min must be > 0). */
    log: z.boolean().default(false),
    /** Round to an integer (sampled uniformly over the integers in [min, max] when not log). */
    int: z.boolean().default(false),
  })
  .refine((p) => p.max >= p.min, { message: 'max must be ≥ min', path: ['max'] })
  .refine((p) => !p.log || p.min > 0, { message: 'a log range needs min > 0', path: ['min'] })
  .refine((p) => !p.int || Math.floor(p.max) >= Math.ceil(p.min), { message: 'an int range must contain an integer', path: ['max'] });
export const ParameterSchema = z.union([ValuesParameterSchema, RangeParameterSchema]);
export type ValuesParameter = z.infer<typeof ValuesParameterSchema>;
export type RangeParameter = z.infer<typeof RangeParameterSchema>;
export type Parameter = z.infer<typeof ParameterSchema>;
export type ParamValue = z.infer<typeof ParamValue>;

export const SweepSpecSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    algo: z.string().min(1).max(128),
    env: z.string().min(1).max(128),
    totalSteps: z.number().int().positive().max(1e10).optional(),
    preset: z.string().min(1).max(128).optional(),
    config: z.record(ConfigKey, z.unknown()).default({}),
    method: z.enum(SWEEP_METHODS),
    parameters: z.record(ConfigKey, ParameterSchema).refine((p) => Object.keys(p).length > 0, 'needs at least one parameter'),
    count: z.number().int().min(1).max(MAX_SWEEP_RUNS).optional(),
    samplerSeed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    seeds: z
      .array(z.number().int().min(0).max(2 ** 31 - 1))
      .min(1, 'needs at least one seed')
      .max(MAX_SWEEP_SEEDS)
      .refine((s) => new Set(s).size === s.length, 'must not repeat a seed'),
    metric: z.string().min(1).max(128).default(DEFAULT_SWEEP_METRIC),
  })
  .superRefine((s, ctx) => {
    if (s.method === 'random' && s.count === undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: 'random search needs count (how many configurations to sample)' });
    if (s.method === 'grid') {
      if (s.count !== undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: 'count is for random search; a grid takes every combination' });
      if (s.samplerSeed !== undefined) ctx.addIssue({ code: 'custom', path: ['samplerSeed'], message: 'samplerSeed is for random search; a grid samples nothing' });
      for (const [key, p] of Object.entries(s.parameters)) {
        if (!('values' in p)) ctx.addIssue({ code: 'custom', path: ['parameters', key], message: 'grid search needs a values list; {min, max} ranges are for random search' });
      }
    }
    for (const key of Object.keys(s.parameters)) {
      if (Object.hasOwn(s.config, key)) ctx.addIssue({ code: 'custom', path: ['config', key], message: `is also a swept parameter (parameters.${key}); set it in one place` });
    }
  });
export type SweepSpec = z.output<typeof SweepSpecSchema>;
export type SweepSpecInput = z.input<typeof SweepSpecSchema>;

/** A spec that does not validate; `message` has one line per problem, each naming its key. */
export class SweepSpecError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'SweepSpecError';
  }
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): { path: string; message: string } {
  const path = ['spec', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as z.core.$ZodIssueUnrecognizedKeys).keys;
    return { path: [path, keys[0]].join('.'), message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')}` };
  }
  if (issue.code === 'invalid_union' && issue.path[0] === 'parameters') {
    let got: unknown = input;
    for (const k of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[k] : undefined;
    return { path, message: `must be {"values": [...]} or {"min": a, "max": b, "log"?: bool, "int"?: bool}, got ${JSON.stringify(got)}` };
  }
  return { path, message: issue.message };
}

/** Parses a spec (already JSON-decoded) or throws a SweepSpecError naming every bad key. */
export function parseSweepSpec(input: unknown): SweepSpec {
  const parsed = SweepSpecSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => describeIssue(i, input));
  throw new SweepSpecError(issues.map((i) => `${i.path}: ${i.message}`).join('\n'), issues);
}
