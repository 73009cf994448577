/**
 * Algorithms and environments as the API presents them: `algos:describe` (each config schema as JSON Schema
 * via zod 4's `z.toJSONSchema`, presets, suggested run lengths; env specs) and the resolution of a launch
 * request into a validated config (defaults ← preset ← the user's fields), with per-field errors.
 */
import { z } from 'zod';
import { ApiFailure, type AlgoDescription, type AlgosDescription, type ApiIssue, type EnvDescription, type JsonSchema, type RequestOut } from '../api/contract.js';

/** What the catalog needs of one algorithm (core/algos/registry.ts entries fit this). */
export interface CatalogAlgo {
  id: string;
  title: string;
  description?: string;
  configSchema: z.ZodType;
  /** Config values per preset name (usually an env id). */
  presets: Record<string, Record<string, unknown>>;
  /** Suggested env steps per preset name. */
  presetTotalSteps?: Record<string, number>;
  defaultTotalSteps: number;
  /** The envs it can train on (absent or null: every env). */
  envs?: readonly string[] | null;
}

export interface AlgoCatalog {
  describe(): AlgosDescription;
  /** The validated full config and run length for a launch request; throws ApiFailure('invalid_request'). */
  resolve(req: Pick<RequestOut<'runs:start'>, 'algo' | 'env' | 'preset' | 'config' | 'totalSteps'>): {
    config: Record<string, unknown>;
    totalSteps: number;
  };
}

function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  let got: unknown = input;
  for (const key of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  const gotText = got === undefined ? '' : `, got ${JSON.stringify(got)}`;
  switch (issue.code) {
    case 'too_small': {
      const i = issue as z.core.$ZodIssueTooSmall;
      return i.origin === 'array' ? `must have at least ${String(i.minimum)} entries${gotText}` : `must be ${i.inclusive ? '≥' : '>'} ${String(i.minimum)}${gotText}`;
    }
    case 'too_big': {
      const i = issue as z.core.$ZodIssueTooBig;
      return i.origin === 'array' ? `must have at most ${String(i.maximum)} entries${gotText}` : `must be ${i.inclusive ? '≤' : '<'} ${String(i.maximum)}${gotText}`;
    }
    case 'invalid_value':
      return `must be one of ${(issue as z.core.$ZodIssueInvalidValue).values.map((v) => JSON.stringify(v)).join(', ')}${gotText}`;
    case 'unrecognized_keys':
      return `has unknown field(s) ${(issue as z.core.$ZodIssueUnrecognizedKeys).keys.join(', ')}`;
    case 'invalid_type':
      return `must be ${(issue as z.core.$ZodIssueInvalidType).expected}${gotText}`;
    default:
      return `${issue.message}${gotText}`;
  }
}

export function createCatalog(algos: readonly CatalogAlgo[], envs: readonly EnvDescription[]): AlgoCatalog {
  const byId = new Map(algos.map((a) => [a.id, a]));
  const envIds = new Set(envs.map((e) => e.id));
  let described: AlgosDescription | null = null;

  return {
    describe() {
      described ??= {
        algos: algos.map(
          (a): AlgoDescription => ({
            id: a.id,
            title: a.title,
            description: a.description ?? '',
            // io 'input': fields with defaults are optional in the form (an empty field means "default").
            configSchema: z.toJSONSchema(a.configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema,
            presets: a.presets,
            totalSteps: { default: a.defaultTotalSteps, presets: a.presetTotalSteps ?? {} },
            envs: a.envs ? [...a.envs] : null,
          }),
        ),
        envs: [...envs],
      };
      return described;
    },

    resolve(req) {
      const algo = byId.get(req.algo);
      if (!algo) {
        throw new ApiFailure('invalid_request', `runs:start: unknown algorithm "${req.algo}"; known: ${[...byId.keys()].join(', ')}`, [
          { path: 'algo', message: `must be one of ${[...byId.keys()].join(', ')}` },
        ]);
      }
      if (!envIds.has(req.env)) {
        throw new ApiFailure('invalid_request', `runs:start: unknown environment "${req.env}"; known: ${[...envIds].join(', ')}`, [
          { path: 'env', message: `must be one of ${[...envIds].join(', ')}` },
        ]);
      }
      if (algo.envs && !algo.envs.includes(req.env)) {
        throw new ApiFailure('invalid_request', `runs:start: ${algo.title} cannot train on "${req.env}"; it trains on ${algo.envs.join(', ')}`, [
          { path: 'env', message: `${algo.title} trains on ${algo.envs.join(', ')}` },
        ]);
      }
      let preset: Record<string, unknown> = {};
      if (req.preset !== undefined) {
        const p = algo.presets[req.preset];
        if (!p || !Object.hasOwn(algo.presets, req.preset)) {
          throw new ApiFailure('invalid_request', `runs:start: ${algo.id} has no preset "${req.preset}"`, [
            { path: 'preset', message: `must be one of ${Object.keys(algo.presets).join(', ') || '(none)'}` },
          ]);
        }
        preset = p;
      }
      const input = { ...preset, ...req.config };
      const parsed = algo.configSchema.safeParse(input);
      if (!parsed.success) {
        const issues: ApiIssue[] = parsed.error.issues.map((i) => ({
          path: ['config', ...i.path.map(String)].join('.'),
          message: issueMessage(i, input),
        }));
        const first = issues[0]!;
        const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
        throw new ApiFailure('invalid_request', `runs:start: ${first.path} ${first.message}${more}`, issues);
      }
      const totalSteps = req.totalSteps ?? (req.preset !== undefined ? algo.presetTotalSteps?.[req.preset] : undefined) ?? algo.presetTotalSteps?.[req.env] ?? algo.defaultTotalSteps;
      return { config: parsed.data as Record<string, unknown>, totalSteps };
    },
  };
}

/** The catalog of the real algorithms (core/algos/registry.ts) and envs (core/envs). */
export async function loadCatalog(): Promise<AlgoCatalog> {
  const [{ fromRegistry }] = await Promise.all([import('./catalog-registry.js')]);
  return fromRegistry();
}
