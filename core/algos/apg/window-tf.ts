/**
 * The same window loss through tfjs autodiff (config.engine = "tfjs", and the hand-written adjoints' test
 * reference): the recorded window (window.ts) is replayed as tfjs ops — the policy, the squash, the env's tfjs twin
 * (core/envs/diff), the bootstrap through the target critic — from the window's first states, with its recorded
 * noise, resets and discount weights, and `tf.valueAndGrad` differentiates the loss with respect to the actor's
 * parameters [actor network | logσ]. Float32 throughout (what tfjs computes in). Everything is made and disposed
 * inside one `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import type { StateGradientInReward } from '../../envs/diff/index.js';
import { dense, tanh } from '../../tensor/ops.js';
import type { Activation } from '../nn/linalg.js';
import type { ApgWindow, ObsScale } from './window.js';

export interface TfNetwork {
  sizes: readonly number[];
  activation: Activation;
}

/** The MLP of mlp.ts's flat layout, on a flat parameter tensor starting at `offset`. */
function mlpTf(net: TfNetwork, flat: tf.Tensor1D, offset: number, x: tf.Tensor2D): tf.Tensor2D {
  let h = x;
  let o = offset;
  const L = net.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const nin = net.sizes[l];
    const nout = net.sizes[l + 1];
    const w = tf.reshape(tf.slice(flat, [o], [nin * nout]), [nin, nout]) as tf.Tensor2D;
    o += nin * nout;
    const b = tf.slice(flat, [o], [nout]) as tf.Tensor1D;
    o += nout;
    h = dense(h, w, b);
    if (l < L - 1) h = net.activation === 'tanh' ? tanh(h) : tf.relu(h);
  }
  return h;
}

function normalizeTf(obs: tf.Tensor2D, scale: ObsScale | null): tf.Tensor2D {
  if (!scale) return obs;
  const mean = tf.tensor1d(Float32Array.from(scale.mean));
  const invStd = tf.tensor1d(Float32Array.from(scale.invStd));
  return tf.clipByValue(tf.mul(tf.sub(obs, mean), invStd), -scale.clip, scale.clip) as tf.Tensor2D;
}

/**
 * Loss and gradient of the last `window.run` through tfjs: `actorParams` is [actor network | logσ] (ActorCritic's
 * actorParams), `criticParams` the target critic's weights (constants) when the window bootstrapped.
 */
export function windowLossAndGradTf(args: {
  window: ApgWindow;
  actor: TfNetwork;
  actorParams: Float32Array;
  critic: TfNetwork | null;
  criticParams: Float32Array | null;
  scale: ObsScale | null;
  stateGradientInReward: StateGradientInReward;
}): { loss: number; grad: Float32Array } {
  const { window: w, actor, critic, scale } = args;
  const { N, K, S, A, env } = w;
  const nActorNet = args.actorParams.length - A;
  const low = env.actionLow;
  const high = env.actionHigh;
  return tf.tidy(() => {
    const mid = tf.tensor1d(low.map((lo, j) => (high[j] + lo) / 2));
    const half = tf.tensor1d(low.map((lo, j) => (high[j] - lo) / 2));
    const criticFlat = critic && args.criticParams ? tf.tensor1d(args.criticParams) : null;
    const value = (states: tf.Tensor2D): tf.Tensor1D =>
      tf.reshape(mlpTf(critic!, criticFlat!, 0, normalizeTf(env.observeTf(states), scale)), [-1]) as tf.Tensor1D;
    // Rows of the bootstrap per time step: truncated copies (t < K) and the window end (t = K).
    const bootAt: { e: number; w: number }[][] = Array.from({ length: K + 1 }, () => []);
    for (let b = 0; b < w.bootCount; b++) bootAt[w.bootT[b]].push({ e: w.bootE[b], w: w.bootW[b] });
    const bootTerm = (states: tf.Tensor2D, rows: { e: number; w: number }[]): tf.Scalar => {
      const mask = new Float32Array(N);
      for (const r of rows) mask[r.e] = r.w;
      return tf.sum(tf.mul(value(states), tf.tensor1d(mask)));
    };
    const f = (flat: tf.Tensor): tf.Scalar => {
      const p = flat as tf.Tensor1D;
      const sigma = tf.exp(tf.slice(p, [nActorNet], [A]));
      let s = tf.tensor2d(Float32Array.from(w.states.subarray(0, N * S)), [N, S]);
      let total: tf.Scalar = tf.scalar(0);
      for (let t = 0; t < K; t++) {
        const x = normalizeTf(env.observeTf(s), scale);
        const mu = mlpTf(actor, p, 0, x);
        const eps = tf.tensor2d(Float32Array.from(w.eps.subarray(t * N * A, (t + 1) * N * A)), [N, A]);
        const a = tf.add(mid, tf.mul(half, tanh(tf.add(mu, tf.mul(sigma, eps))))) as tf.Tensor2D;
        const step = env.stepTf(s, a, args.stateGradientInReward);
        const weights = tf.tensor1d(Float32Array.from(w.weights.subarray(t * N, (t + 1) * N)));
        total = tf.add(total, tf.sum(tf.mul(weights, step.rewards)));
        if (bootAt[t].length > 0) total = tf.add(total, bootTerm(step.next, bootAt[t]));
        // Resets: the recorded fresh state, a constant.
        const reset = w.reset.subarray(t * N, (t + 1) * N);
        if (reset.some((r) => r === 1)) {
          const keep = new Float32Array(N * S);
          for (let e = 0; e < N; e++) keep.fill(reset[e] ? 0 : 1, e * S, (e + 1) * S);
          const keepT = tf.tensor2d(keep, [N, S]);
          const fresh = tf.tensor2d(Float32Array.from(w.states.subarray((t + 1) * N * S, (t + 2) * N * S)), [N, S]);
          s = tf.add(tf.mul(keepT, step.next), tf.mul(tf.sub(1, keepT), fresh)) as tf.Tensor2D;
        } else {
          s = step.next;
        }
      }
      if (bootAt[K].length > 0) total = tf.add(total, bootTerm(s, bootAt[K]));
      return tf.div(tf.neg(total), N) as tf.Scalar;
    };
    const { value: loss, grad } = tf.valueAndGrad(f)(tf.tensor1d(args.actorParams));
    return { loss: loss.dataSync()[0], grad: grad.dataSync() as Float32Array };
  });
}
