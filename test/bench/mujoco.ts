/**
 * MuJoCo benchmark (`npm run bench -- mujoco`): PPO with the RL Zoo presets (core/algos/ppo/presets.ts) on Gymnasium's
 * InvertedPendulum-v4, Hopper-v4 and HalfCheetah-v4 on held-out seeds (the presets are the Zoo's, untuned here), a
 * deterministic evaluation of 10 episodes at intervals: steps and wall time to Gymnasium's reward threshold (950,
 * 3800, 4800), the final evaluation and SPS. Peer figures: rl-baselines3-zoo `benchmark.md` (commit 02a1a90), PPO
 * at 1M steps: Hopper-v3 2410.4 ± 10.0, HalfCheetah-v3 5819.1 ± 663.5 (on mujoco-py; v4 is the same task on the new
 * bindings).
 *
 * The full 1M-step runs take about 8 min (Hopper) and 18 min (HalfCheetah) per seed on this 2-core machine, so the
 * default budget is shorter. Knobs: MUJOCO_BENCH_ENVS (comma list, default all three), MUJOCO_BENCH_SEEDS (default
 * 6–15 for InvertedPendulum, 6–8 for the others), MUJOCO_BENCH_STEPS (default 200k for InvertedPendulum, 300k for
 * Hopper and HalfCheetah), MUJOCO_BENCH_OVERRIDES (JSON of config fields).
 */
import { isEnvId, type EnvId } from '../../core/envs/index.js';
import { heldOutBench } from './heldout.js';

const TASKS: Record<string, { threshold: number; seeds: string; steps: number; evalInterval: number; peer?: { finalEval: number; source: string } }> = {
  'InvertedPendulum-v4': { threshold: 950, seeds: '6,7,8,9,10,11,12,13,14,15', steps: 200_000, evalInterval: 10_000 },
  'Hopper-v4': { threshold: 3800, seeds: '6,7,8', steps: 300_000, evalInterval: 50_000, peer: { finalEval: 2410.4, source: 'RL Zoo PPO Hopper-v3 at 1M' } },
  'HalfCheetah-v4': { threshold: 4800, seeds: '6,7,8', steps: 300_000, evalInterval: 50_000, peer: { finalEval: 5819.1, source: 'RL Zoo PPO HalfCheetah-v3 at 1M' } },
};

export async function bench(): Promise<void> {
  const envs = (process.env.MUJOCO_BENCH_ENVS ?? Object.keys(TASKS).join(',')).split(',').map((s) => s.trim());
  for (const env of envs) {
    if (!isEnvId(env) || !(env in TASKS)) throw new Error(`MUJOCO_BENCH_ENVS: not a MuJoCo task: ${JSON.stringify(env)} (valid: ${Object.keys(TASKS).join(', ')})`);
  }
  for (const env of envs as EnvId[]) {
    const t = TASKS[env];
    await heldOutBench({
      env,
      seeds: (process.env.MUJOCO_BENCH_SEEDS ?? t.seeds).split(',').map((s) => Number(s.trim())),
      totalSteps: Number(process.env.MUJOCO_BENCH_STEPS ?? t.steps),
      threshold: t.threshold,
      evalInterval: t.evalInterval,
      overrides: JSON.parse(process.env.MUJOCO_BENCH_OVERRIDES ?? '{}') as Record<string, unknown>,
      ...(t.peer ? { peer: t.peer } : {}),
    });
  }
}
