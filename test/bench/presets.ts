/**
 * Preset benchmark (`npm run bench -- presets`): A2C, TRPO and PPO with the RL Zoo presets the other areas do not
 * measure (core/algos/{a2c,trpo,ppo}/presets.ts: LunarLander, MountainCar-v0, the MuJoCo tasks for A2C and TRPO,
 * MountainCarContinuous for TRPO), on held-out seeds, each for its preset's run length (the Zoo's n_timesteps) or
 * PRESETS_BENCH_STEPS: steps and wall time to the env's reward threshold (Pendulum: −200, as the targets),
 * the final deterministic evaluation (10 episodes), SPS, and the RL Zoo's trained agent beside it where
 * benchmark.md has one (PEERS). `gsde`, `lunar`, `mujoco` and `algos` cover the rest.
 *
 * Knobs: PRESETS_BENCH_PAIRS (comma list of algo:env or algo:env@steps, default below: InvertedPendulum at 200k of
 * its 1M, as the mujoco area), PRESETS_BENCH_SEEDS (default 6–15),
 * PRESETS_BENCH_STEPS (a cap on every pair's run length), PRESETS_BENCH_OVERRIDES (JSON of config fields).
 */
import { ALGOS, LOOP_ALGO_IDS, type LoopAlgoId } from '../../core/algos/registry.js';
import { envSpec, isEnvId, type EnvId } from '../../core/envs/index.js';
import { heldOutBench } from './heldout.js';

const DEFAULT_PAIRS = [
  'a2c:LunarLander-v2',
  'trpo:LunarLander-v2',
  'trpo:LunarLanderContinuous-v2@200000',
  'trpo:MountainCarContinuous-v0',
  'ppo:MountainCar-v0',
  'a2c:MountainCar-v0',
  'trpo:MountainCar-v0',
  'a2c:InvertedPendulum-v4@200000',
  'trpo:InvertedPendulum-v4@200000',
];

/**
 * rl-baselines3-zoo `benchmark.md` (commit 0088472): one trained agent per algo × env, its deterministic mean
 * reward over ~150k evaluation steps, at the n_timesteps given (v2/v3 ids of the same tasks).
 */
const PEERS: Record<string, { finalEval: number; source: string }> = {
  'a2c:LunarLander-v2': { finalEval: 155.751, source: 'RL Zoo A2C LunarLander-v2 at 200k' },
  'trpo:LunarLander-v2': { finalEval: 133.166, source: 'RL Zoo TRPO LunarLander-v2 at 200k' },
  'trpo:LunarLanderContinuous-v2': { finalEval: 262.387, source: 'RL Zoo TRPO LunarLanderContinuous-v2 at 200k' },
  'trpo:MountainCarContinuous-v0': { finalEval: 92.489, source: 'RL Zoo TRPO MountainCarContinuous-v0 at 50k' },
  'ppo:MountainCar-v0': { finalEval: -110.423, source: 'RL Zoo PPO MountainCar-v0 at 1M' },
  'a2c:MountainCar-v0': { finalEval: -111.263, source: 'RL Zoo A2C MountainCar-v0 at 1M' },
  'trpo:MountainCar-v0': { finalEval: -107.278, source: 'RL Zoo TRPO MountainCar-v0 at 100k' },
  'ppo:Acrobot-v1': { finalEval: -73.506, source: 'RL Zoo PPO Acrobot-v1 at 1M' },
  'a2c:Acrobot-v1': { finalEval: -83.353, source: 'RL Zoo A2C Acrobot-v1 at 500k' },
  'trpo:Acrobot-v1': { finalEval: -83.114, source: 'RL Zoo TRPO Acrobot-v1 at 100k' },
  'a2c:Pendulum-v1': { finalEval: -162.965, source: 'RL Zoo A2C Pendulum-v1 at 1M' },
  'trpo:Pendulum-v1': { finalEval: -174.631, source: 'RL Zoo TRPO Pendulum-v1 at 100k' },
  'a2c:MountainCarContinuous-v0': { finalEval: 91.166, source: 'RL Zoo A2C MountainCarContinuous-v0 at 100k' },
  'a2c:HalfCheetah-v4': { finalEval: 3041.174, source: 'RL Zoo A2C HalfCheetah-v3 at 1M' },
  'a2c:Hopper-v4': { finalEval: 733.454, source: 'RL Zoo A2C Hopper-v3 at 1M' },
  'trpo:HalfCheetah-v4': { finalEval: 1785.476, source: 'RL Zoo TRPO HalfCheetah-v3 at 1M' },
  'trpo:Hopper-v4': { finalEval: 3618.386, source: 'RL Zoo TRPO Hopper-v3 at 1M' },
};

function parsePair(text: string): { algo: LoopAlgoId; env: EnvId; steps: number } {
  const [pair, stepsText, ...more] = text.trim().split('@');
  const [algo, env, ...rest] = pair.split(':');
  const steps = stepsText === undefined ? Infinity : Number(stepsText);
  if (more.length || rest.length || !(LOOP_ALGO_IDS as readonly string[]).includes(algo) || !isEnvId(env) || !(steps > 0)) {
    throw new Error(`PRESETS_BENCH_PAIRS: expected algo:env[@steps] with algo one of ${LOOP_ALGO_IDS.join(', ')}, a registered env and a positive step count, got ${JSON.stringify(text)}`);
  }
  if (!(env in ALGOS[algo as LoopAlgoId].presets)) throw new Error(`PRESETS_BENCH_PAIRS: ${algo} has no preset for ${env}`);
  return { algo: algo as LoopAlgoId, env, steps };
}

export async function bench(): Promise<void> {
  const pairs = (process.env.PRESETS_BENCH_PAIRS ?? DEFAULT_PAIRS.join(',')).split(',').map(parsePair);
  const seeds = (process.env.PRESETS_BENCH_SEEDS ?? '6,7,8,9,10,11,12,13,14,15').split(',').map((s) => Number(s.trim()));
  const cap = process.env.PRESETS_BENCH_STEPS === undefined ? Infinity : Number(process.env.PRESETS_BENCH_STEPS);
  if (!(cap > 0)) throw new Error(`PRESETS_BENCH_STEPS must be a positive number, got ${JSON.stringify(process.env.PRESETS_BENCH_STEPS)}`);
  const overrides = JSON.parse(process.env.PRESETS_BENCH_OVERRIDES ?? '{}') as Record<string, unknown>;
  for (const { algo, env, steps } of pairs) {
    const preset = ALGOS[algo].presets[env] as { evalInterval?: number };
    const threshold = envSpec(env).rewardThreshold ?? -200;
    const totalSteps = Math.min(cap, steps, ALGOS[algo].presetTotalSteps[env]);
    const peer = PEERS[`${algo}:${env}`];
    await heldOutBench({
      algo,
      env,
      seeds,
      totalSteps,
      threshold,
      evalInterval: Math.min(preset.evalInterval ?? 50_000, Math.ceil(totalSteps / 5)),
      overrides,
      ...(peer ? { peer } : {}),
    });
  }
}
