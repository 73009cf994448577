/**
 * Preset benchmark (`npm run bench -- presets`): A2C, TRPO and PPO with the RL Zoo presets the other areas do not
 * measure (core/algos/{a2c,trpo,ppo}/presets.ts: LunarLander, MountainCar-v0, the MuJoCo tasks for A2C and TRPO,
 * MountainCarContinuous for TRPO), on held-out seeds, each for its preset's run length (the Zoo's n_timesteps) or
 * PRESETS_BENCH_STEPS: steps and wall time to the env's reward threshold (Pendulum: −200, as the targets),
 * the final deterministic evaluation (10 episodes), SPS. `gsde`, `lunar`, `mujoco` and `algos` cover the rest.
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
  'trpo:LunarLanderContinuous-v2',
  'trpo:MountainCarContinuous-v0',
  'ppo:MountainCar-v0',
  'a2c:MountainCar-v0',
  'trpo:MountainCar-v0',
  'a2c:InvertedPendulum-v4@200000',
  'trpo:InvertedPendulum-v4@200000',
];

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
    await heldOutBench({ algo, env, seeds, totalSteps, threshold, evalInterval: Math.min(preset.evalInterval ?? 50_000, Math.ceil(totalSteps / 5)), overrides });
  }
}
