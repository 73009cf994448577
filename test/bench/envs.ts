/**
 * Env throughput with random actions: each env alone through the public `step()` (Gymnasium-shaped result
 * objects, one allocation per step), and `VectorEnv` with 4 and 16 copies (flat buffers, same-step autoreset).
 * Reports steps/s, vector steps/s and the ratios to Gymnasium 0.29.1 on these machines: 475k steps/s for one
 * CartPole-v1 and 58k steps/s for a 4-copy SyncVectorEnv (read as vector steps; the target is 100×
 * that, 5.8M vector steps/s). Actions are uniform random, pre-drawn from our Rng into a pool of 4096 batches
 * that the timed loop cycles through, so the figures measure the envs rather than the generator.
 * Rates are wall-clock; the CPU-time rate (user + system of this process, less disturbed by other processes on
 * a shared machine, though it includes the JIT's and GC's background threads) is printed beside the CartPole
 * vector figure.
 */
import { Rng } from '../../core/common/rng.js';
import { ENV_IDS, envSpec, makeEnv, VectorEnv, type EnvId, type Space } from '../../core/envs/index.js';

const GYM_SINGLE_CARTPOLE = 475_000;
const GYM_VECTOR4_CARTPOLE = 58_000;
const TARGET_VECTOR4 = 100 * GYM_VECTOR4_CARTPOLE;
/** Env steps per measurement; lowered for an env whose measurement would run past ~15 s. */
const STEPS = 1_000_000;
const MAX_SECONDS = 15;
/** Each figure is the best of this many runs (a shared machine's other work only ever slows a run down). */
const REPEATS = 3;
const POOL = 4096;

function fmt(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)}M` : `${(perSecond / 1e3).toFixed(0)}k`;
}

interface Rate {
  /** Per wall-clock second. */
  wall: number;
  /** Per second of this process's CPU time. */
  cpu: number;
}

function timed(count: number, body: () => void): Rate {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  body();
  const wall = (performance.now() - wall0) / 1000;
  const used = process.cpuUsage(cpu0);
  return { wall: count / wall, cpu: count / ((used.user + used.system) / 1e6) };
}

/** `POOL` batches of `count` random actions for `space`, as views into one typed array. */
function actionPool(space: Space, count: number, rng: Rng): (Int32Array | Float32Array)[] {
  if (space.kind === 'discrete') {
    const flat = Int32Array.from({ length: POOL * count }, () => rng.integer(space.n));
    return Array.from({ length: POOL }, (_, k) => flat.subarray(k * count, (k + 1) * count));
  }
  const dim = space.low.length;
  const flat = Float32Array.from({ length: POOL * count }, (_, i) => rng.uniformRange(space.low[i % dim], space.high[i % dim]));
  return Array.from({ length: POOL }, (_, k) => flat.subarray(k * count, (k + 1) * count));
}

/** Steps per second of `env.step()` with random actions (episodes reset as they end). */
function singleEnv(id: EnvId, steps: number): Rate {
  const env = makeEnv(id, { seed: 1 });
  const space = env.actionSpace;
  const pool = actionPool(space, env.actionSize, new Rng(2));
  const discrete = space.kind === 'discrete' ? pool.map((a) => a[0]) : [];
  env.reset();
  return timed(steps, () => {
    for (let t = 0; t < steps; t++) {
      const result = env.step(space.kind === 'discrete' ? discrete[t & (POOL - 1)] : pool[t & (POOL - 1)]);
      if (result.terminated || result.truncated) env.reset();
    }
  });
}

/** Vector steps per second of `VectorEnv.step()` with random actions; env steps = this × numEnvs. */
function vectorEnv(id: EnvId, numEnvs: number, envSteps: number): Rate {
  const vec = new VectorEnv(id, numEnvs, 1);
  const pool = actionPool(vec.actionSpace, numEnvs * vec.actDim, new Rng(2));
  const vectorSteps = Math.max(1, Math.round(envSteps / numEnvs));
  vec.reset();
  return timed(vectorSteps, () => {
    for (let t = 0; t < vectorSteps; t++) {
      vec.step(pool[t & (POOL - 1)]);
      if ((t & 1023) === 0) vec.drainEpisodes();
    }
  });
}

async function backendLine(): Promise<string> {
  try {
    const backend = await import('../../core/tensor/backend.js');
    return backend.formatBackend(await backend.initBackend());
  } catch (error) {
    return `unavailable (core/tensor/backend.ts could not be loaded or initialised: ${(error as Error).message})`;
  }
}

export async function bench(): Promise<void> {
  console.log(`tfjs backend: ${await backendLine()} (the envs themselves are plain JS; no tensors)`);
  console.log(`random actions; up to ${fmt(STEPS)} env steps per run, best of ${REPEATS} runs`);
  for (const id of ENV_IDS) {
    // Warm-up so the JIT has compiled (and inlined) the step paths before timing; it also sizes the runs.
    singleEnv(id, 100_000);
    vectorEnv(id, 16, 200_000);
    const probe = vectorEnv(id, 4, 1_000_000).wall * 4;
    const steps = Math.min(STEPS, Math.max(100_000, Math.floor((probe * MAX_SECONDS) / (3 * REPEATS))));
    const best = (measure: () => Rate): Rate => {
      const rates = Array.from({ length: REPEATS }, measure);
      return { wall: Math.max(...rates.map((r) => r.wall)), cpu: Math.max(...rates.map((r) => r.cpu)) };
    };
    const single = best(() => singleEnv(id, steps)).wall;
    const v4 = best(() => vectorEnv(id, 4, steps));
    const v16 = best(() => vectorEnv(id, 16, steps)).wall;
    console.log(
      `${id.padEnd(25)} single ${fmt(single)} steps/s | ` +
        `vector×4 ${fmt(v4.wall)} vec-steps/s (${fmt(v4.wall * 4)} env steps/s) | ` +
        `vector×16 ${fmt(v16)} vec-steps/s (${fmt(v16 * 16)} env steps/s) | ` +
        `${fmt(steps)} steps, ${envSpec(id).maxEpisodeSteps}-step limit`,
    );
    if (id === 'CartPole-v1') {
      console.log(
        `  vs Gymnasium 0.29.1 CartPole-v1: single step() ${(single / GYM_SINGLE_CARTPOLE).toFixed(1)}× of 475k/s; ` +
          `4-copy vector ${(v4.wall / GYM_VECTOR4_CARTPOLE).toFixed(0)}× of 58k/s ` +
          `(${((v4.wall * 4) / GYM_VECTOR4_CARTPOLE).toFixed(0)}× counting env steps; CPU-time rate ${fmt(v4.cpu)} vec-steps/s); ` +
          `target ${fmt(TARGET_VECTOR4)} vec-steps/s ${v4.wall >= TARGET_VECTOR4 ? 'met' : 'NOT met'}`,
      );
    }
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) await bench();
