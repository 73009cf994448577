/**
 * Shared-machinery benchmark: the active tfjs backend (and why faster ones were skipped), the rollout-time
 * forward pass (plain-JS `forwardJs` vs tfjs `apply` + read-back) and one tfjs autodiff Adam step (tf.train.adam) of
 * a 64×64 MLP, on the active backend and every other registered pure backend (wasm, cpu) for comparison. (Training
 * updates run on the project's own engine, core/algos/nn; test/bench/algos.ts times it against tfjs.)
 */
import * as tf from '@tensorflow/tfjs';
import { Mlp } from '../../core/common/networks.js';
import { Rng } from '../../core/common/rng.js';
import { describeBackend, formatBackend, initBackend } from '../../core/tensor/backend.js';

const OBS_DIM = 4;
const HIDDEN = [64, 64];

/** Fastest of 5 rounds of `reps` calls (after `warmup` calls), in ms per call: the least disturbed by other load. */
function timeMs(fn: () => void, reps: number, warmup = Math.max(5, reps >> 3)): number {
  for (let i = 0; i < warmup; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    rounds.push((performance.now() - t0) / reps);
  }
  return Math.min(...rounds);
}

function fmt(ms: number): string {
  return ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`;
}

function randomBatch(rng: Rng, rows: number): Float32Array {
  const x = new Float32Array(rows * OBS_DIM);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

function forwardTimings(actor: Mlp, rng: Rng): void {
  for (const batch of [1, 8, 64, 256]) {
    const x = randomBatch(rng, batch);
    const out = new Float32Array(batch * actor.spec.outputDim);
    const reps = batch >= 64 ? Math.round(20_000 / batch) : 5000;
    const js = timeMs(() => actor.forwardJs(x, batch, out), reps);
    const viaTf = timeMs(() => {
      const y = tf.tidy(() => actor.apply(tf.tensor2d(x, [batch, OBS_DIM])));
      y.dataSync();
      y.dispose();
    }, Math.min(reps, 1000));
    console.log(
      `  forward 4→64→64→2 batch ${String(batch).padStart(3)}: forwardJs ${fmt(js)}/call, tf apply+read ${fmt(viaTf)}/call (tf/js time ${(viaTf / js).toFixed(2)})`,
    );
  }
}

function updateTimings(label: string, rng: Rng, minibatches: number[]): Record<number, number> {
  const critic = new Mlp({ inputDim: OBS_DIM, hiddenSizes: HIDDEN, outputDim: 1, activation: 'tanh', outputGain: 1 }, rng);
  const adam = tf.train.adam(3e-4, 0.9, 0.999, 1e-5);
  const result: Record<number, number> = {};
  for (const mb of minibatches) {
    const x = tf.tensor2d(randomBatch(rng, mb), [mb, OBS_DIM]);
    const y = tf.randomNormal([mb, 1]);
    const loss = () => tf.mean(tf.square(tf.sub(critic.apply(x as tf.Tensor2D), y))) as tf.Scalar;
    const ms = timeMs(() => adam.minimize(loss, true, critic.variables)?.dispose(), mb >= 512 ? 40 : 150, 10);
    result[mb] = ms;
    console.log(`  ${label}: Adam step (MSE) minibatch ${String(mb).padStart(4)}: ${fmt(ms)}/step`);
    tf.dispose([x, y]);
  }
  adam.dispose();
  critic.dispose();
  return result;
}

export async function bench(): Promise<void> {
  const info = await initBackend();
  console.log(`backend: ${formatBackend(describeBackend())}`);
  const rng = new Rng(0);
  const actor = new Mlp({ inputDim: OBS_DIM, hiddenSizes: HIDDEN, outputDim: 2, activation: 'tanh', outputGain: 0.01 }, rng);
  forwardTimings(actor, rng);
  actor.dispose();

  const active = tf.getBackend();
  const times: Record<string, Record<number, number>> = {};
  times[active] = updateTimings(`${info.name}`, rng, [64, 512, 2048]);
  // The pure backends every machine has, for comparison (the active one is restored afterwards).
  for (const other of ['wasm', 'cpu']) {
    if (other === active || tf.findBackendFactory(other) === null) continue;
    if (!(await tf.setBackend(other))) continue;
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    times[other] = updateTimings(other, rng, [64, 512, 2048]);
  }
  await tf.setBackend(active);
  if (times.wasm && times.cpu) {
    const r = (mb: number) => (times.cpu[mb] / times.wasm[mb]).toFixed(1);
    console.log(`  wasm vs cpu update step: ${r(64)}× faster at 64, ${r(512)}× at 512, ${r(2048)}× at 2048`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
