/**
 * LunarLander benchmark (`npm run bench -- lunar`): PPO with its preset (core/algos/ppo/presets.ts, the RL Zoo's
 * hyperparams/ppo.yml LunarLander-v2 entry) on held-out seeds 6–15 for 1M steps, a deterministic evaluation of 10
 * episodes every 50k steps: the first step and wall time at which the evaluation mean reaches 200 (Gymnasium's
 * reward threshold), the final evaluation, and SPS. Target (issue 16): ≥ 200 within 1M steps in ≥ 8/10 seeds (the
 * RL Zoo's PPO reaches 200+ at 1M).
 *
 * Knobs: LUNAR_BENCH_SEEDS (comma list, default 6–15), LUNAR_BENCH_STEPS (default 1,000,000), LUNAR_BENCH_ENV
 * (LunarLander-v2 | LunarLanderContinuous-v2), LUNAR_BENCH_OVERRIDES (JSON of config fields, for tuning on seeds 1–5).
 */
import { isEnvId } from '../../core/envs/index.js';
import { heldOutBench } from './heldout.js';

export async function bench(): Promise<void> {
  const env = process.env.LUNAR_BENCH_ENV ?? 'LunarLander-v2';
  if (!isEnvId(env) || !env.startsWith('LunarLander')) throw new Error(`LUNAR_BENCH_ENV: not a LunarLander id: ${JSON.stringify(env)}`);
  const seeds = (process.env.LUNAR_BENCH_SEEDS ?? '6,7,8,9,10,11,12,13,14,15').split(',').map((s) => Number(s.trim()));
  await heldOutBench({
    env,
    seeds,
    totalSteps: Number(process.env.LUNAR_BENCH_STEPS ?? 1_000_000),
    threshold: 200,
    evalInterval: 50_000,
    overrides: JSON.parse(process.env.LUNAR_BENCH_OVERRIDES ?? '{}') as Record<string, unknown>,
    target: Math.ceil(0.8 * seeds.length),
  });
}
