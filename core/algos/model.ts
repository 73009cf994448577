/**
 * The agent's networks as CleanRL builds them — separate actor and critic MLPs, orthogonal init (gain √2 hidden,
 * 0.01 policy head, 1 value head), zero biases, and for continuous actions a state-independent log-std — stored in
 * ONE flat Float32Array: [actor | logStd | critic]. One vector means one optimizer state, one global gradient
 * norm, and a checkpoint that is a single exact copy.
 *
 * Rollouts run `act()`: one batched plain-JS forward pass per vector step on these live weights (the role
 * core/common's `Mlp.forwardJs` plays for tfjs-held weights; here the weights are never in tensors, so there is no
 * cache to sync). `toArtifacts()` writes the same tfjs layers-model format as `Mlp.toArtifacts()`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Space } from '../envs/env.js';
import { orthogonalKernel } from '../common/init.js';
import { artifactsFromWeights } from '../common/network-artifacts.js';
import { GAIN, type MlpSpec } from '../common/networks.js';
import { categoricalLogProbJs, categoricalModeJs, gaussianLogProbJs, sampleCategoricalJs } from '../common/distributions-js.js';
import type { Rng } from '../common/rng.js';
import { gsdeLogProb, gsdeLogStdSize, gsdeStd, gsdeVariance, type GsdeNoise, type GsdeSpec } from './gsde.js';
import { MlpNet, mlpParamCount, type Activation } from './nn/mlp.js';

export interface ModelSpec {
  obsDim: number;
  actionSpace: Space;
  hiddenSizes: number[];
  activation: Activation;
  logStdInit: number;
  /** false: PyTorch's nn.Linear default initialisation instead of orthogonal (SB3 `ortho_init=False`). Default true. */
  orthoInit?: boolean;
  /**
   * gSDE (core/algos/gsde.ts) instead of a state-independent log-std: the log-std block holds the p×d (fullStd) or
   * p log σ of the exploration matrices, p = the last hidden width. Box action spaces only.
   */
  gsde?: { fullStd: boolean; useExpln: boolean } | null;
}

/** The model's gSDE option from a config's gSDE fields (null when useSde is off or the algorithm has none). */
export function gsdeOptionOf(c: { useSde?: boolean; fullStd?: boolean; useExpln?: boolean }): ModelSpec['gsde'] {
  return c.useSde ? { fullStd: c.fullStd ?? true, useExpln: c.useExpln ?? false } : null;
}

export class ActorCritic {
  readonly spec: ModelSpec;
  readonly discrete: boolean;
  /** Discrete: number of actions; Box: action size. */
  readonly numActions: number;
  /** Floats per action in rollout buffers: 1 (discrete index) or the Box size. */
  readonly actDim: number;
  readonly params: Float32Array;
  /** Gradient accumulator with the layout of `params`. */
  readonly grads: Float32Array;
  readonly actor: MlpNet;
  readonly critic: MlpNet;
  /** Box only (empty for discrete): log σ per action dimension, or with gSDE the exploration matrices' log σ. */
  readonly logStd: Float32Array;
  /** gSDE's shapes (null: a state-independent Gaussian, or discrete). */
  readonly gsde: GsdeSpec | null;
  /** [actor | logStd] and [critic] as views, for algorithms with separate optimizers. */
  readonly actorParams: Float32Array;
  readonly criticParams: Float32Array;
  readonly actorGrads: Float32Array;
  readonly criticGrads: Float32Array;
  /** Views of `grads` per part. */
  readonly actorNetGrads: Float32Array;
  readonly logStdGrads: Float32Array;
  readonly low: Float32Array | null;
  readonly high: Float32Array | null;

  constructor(spec: ModelSpec) {
    this.spec = { ...spec, hiddenSizes: [...spec.hiddenSizes], gsde: spec.gsde ? { ...spec.gsde } : null };
    const space = spec.actionSpace;
    this.discrete = space.kind === 'discrete';
    this.numActions = space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
    this.actDim = this.discrete ? 1 : this.numActions;
    this.low = space.kind === 'box' ? space.low : null;
    this.high = space.kind === 'box' ? space.high : null;
    const actorSizes = [spec.obsDim, ...spec.hiddenSizes, this.numActions];
    const criticSizes = [spec.obsDim, ...spec.hiddenSizes, 1];
    const nActor = mlpParamCount(actorSizes);
    if (spec.gsde && this.discrete) {
      throw new Error('useSde needs a continuous (Box) action space; this env has discrete actions (turn useSde off)');
    }
    this.gsde = spec.gsde
      ? { latentDim: spec.hiddenSizes[spec.hiddenSizes.length - 1], actionDim: this.numActions, fullStd: spec.gsde.fullStd, useExpln: spec.gsde.useExpln }
      : null;
    const nLogStd = this.discrete ? 0 : this.gsde ? gsdeLogStdSize(this.gsde) : this.numActions;
    const nCritic = mlpParamCount(criticSizes);
    const total = nActor + nLogStd + nCritic;
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);
    const a = nActor;
    const s = nActor + nLogStd;
    this.actor = new MlpNet(actorSizes, spec.activation, this.params.subarray(0, a));
    this.logStd = this.params.subarray(a, s);
    this.critic = new MlpNet(criticSizes, spec.activation, this.params.subarray(s, total));
    this.actorParams = this.params.subarray(0, s);
    this.criticParams = this.params.subarray(s, total);
    this.actorGrads = this.grads.subarray(0, s);
    this.criticGrads = this.grads.subarray(s, total);
    this.actorNetGrads = this.grads.subarray(0, a);
    this.logStdGrads = this.grads.subarray(a, s);
    this.logStd.fill(spec.logStdInit);
  }

  /**
   * CleanRL's initialisation, drawn from `rng`: critic first, then actor (the order of its Agent's fields); with
   * `orthoInit: false`, PyTorch's default in the same order.
   */
  static create(spec: ModelSpec, rng: Rng): ActorCritic {
    const model = new ActorCritic(spec);
    if (spec.orthoInit === false) {
      initTorchDefault(model.critic, rng);
      initTorchDefault(model.actor, rng);
    } else {
      initOrthogonal(model.critic, GAIN.value, rng);
      initOrthogonal(model.actor, GAIN.policy, rng);
    }
    model.paramsChanged();
    return model;
  }

  /** Call after anything wrote `params` (optimizer step, restore). */
  paramsChanged(): void {
    this.actor.paramsChanged();
    this.critic.paramsChanged();
  }

  /**
   * One batched forward pass for `batch` observations: samples an action per row (or takes the mode when
   * `deterministic`), writes actions (batch × actDim) and their log-probabilities (when `logProbs` is given).
   * Continuous actions are stored unclipped (the log-prob is of the sample); `envActions` receives the clipped
   * copy to step the env with (the same array as `actions` for discrete spaces). With gSDE, a sampled action is
   * μ(s) + φ(s)ᵀE_e with env row e's exploration matrix from `noise` (required then; deterministic: μ(s)).
   */
  act(
    obs: Float32Array,
    batch: number,
    rng: Rng,
    deterministic: boolean,
    actions: Float32Array,
    envActions: Float32Array | Int32Array,
    logProbs: Float32Array | null,
    clipActions: boolean,
    noise: GsdeNoise | null = null,
  ): void {
    const out = this.actor.forward(obs, batch);
    const n = this.numActions;
    if (this.discrete) {
      for (let i = 0; i < batch; i++) {
        const a = deterministic ? categoricalModeJs(out, i * n, n) : sampleCategoricalJs(out, i * n, n, rng);
        actions[i] = a;
        envActions[i] = a;
        if (logProbs) logProbs[i] = categoricalLogProbJs(out, i * n, n, a);
      }
      return;
    }
    const logStd = this.logStd;
    const low = this.low!;
    const high = this.high!;
    if (this.gsde) {
      this.#actGsde(out, batch, deterministic, actions, envActions as Float32Array, logProbs, clipActions, noise);
      return;
    }
    for (let i = 0; i < batch; i++) {
      const o = i * n;
      for (let j = 0; j < n; j++) {
        const a = deterministic ? out[o + j] : out[o + j] + Math.exp(logStd[j]) * rng.normal();
        actions[o + j] = a;
        envActions[o + j] = clipActions ? Math.min(high[j], Math.max(low[j], a)) : a;
      }
      if (logProbs) logProbs[i] = gaussianLogProbJs(out, logStd, actions, o, o);
    }
  }

  #gsdeNoiseOut = new Float32Array(0);

  #actGsde(
    out: Float32Array,
    batch: number,
    deterministic: boolean,
    actions: Float32Array,
    envActions: Float32Array,
    logProbs: Float32Array | null,
    clipActions: boolean,
    noise: GsdeNoise | null,
  ): void {
    const s = this.gsde!;
    const n = this.numActions;
    const latent = this.latent(batch);
    if (!deterministic) {
      if (!noise) throw new Error('ActorCritic.act: gSDE sampling needs the exploration noise (GsdeNoise)');
      if (this.#gsdeNoiseOut.length < batch * n) this.#gsdeNoiseOut = new Float32Array(batch * n);
      noise.noise(latent, batch, this.#gsdeNoiseOut);
    }
    const eps = this.#gsdeNoiseOut;
    for (let i = 0; i < batch; i++) {
      const o = i * n;
      for (let j = 0; j < n; j++) {
        const a = deterministic ? out[o + j] : out[o + j] + eps[o + j];
        actions[o + j] = a;
        envActions[o + j] = clipActions ? Math.min(this.high![j], Math.max(this.low![j], a)) : a;
      }
    }
    if (logProbs) {
      const std = gsdeStd(s, this.logStd);
      const v = new Float64Array(n);
      for (let i = 0; i < batch; i++) {
        gsdeVariance(s, std, latent, i * s.latentDim, v);
        logProbs[i] = gsdeLogProb(out, i * n, actions, i * n, v, n);
      }
    }
  }

  /** gSDE's latent φ(s): the actor's last hidden features of its last forward pass ([batch, p]). */
  latent(batch: number): Float32Array {
    return this.actor.lastHidden(this.actor.numLayers - 2, batch);
  }

  /** V(s) for `batch` observations into `out`. */
  values(obs: Float32Array, batch: number, out: Float32Array): Float32Array {
    const v = this.critic.forward(obs, batch);
    out.set(v.subarray(0, batch));
    return out;
  }

  /** tfjs layers-model artifacts of both networks (what `tf.loadLayersModel` loads and serving uses). */
  toArtifacts(): { actor: tf.io.ModelArtifacts; critic: tf.io.ModelArtifacts } {
    return {
      actor: artifactsFromWeights(mlpSpecOf(this.actor, GAIN.policy), layerWeights(this.actor), 'actor'),
      critic: artifactsFromWeights(mlpSpecOf(this.critic, GAIN.value), layerWeights(this.critic), 'critic'),
    };
  }

  /** Overwrites every parameter (exact restore from a checkpoint). */
  setParams(params: Float32Array): void {
    if (params.length !== this.params.length) {
      throw new Error(`ActorCritic.setParams: got ${params.length} parameters, this architecture has ${this.params.length}`);
    }
    this.params.set(params);
    this.paramsChanged();
  }
}

function initOrthogonal(net: MlpNet, outputGain: number, rng: Rng): void {
  for (let l = 0; l < net.numLayers; l++) {
    const gain = l === net.numLayers - 1 ? outputGain : GAIN.hidden;
    net.kernels[l].set(orthogonalKernel(net.sizes[l], net.sizes[l + 1], gain, rng));
    net.biases[l].fill(0);
  }
}

/**
 * PyTorch's `nn.Linear.reset_parameters`: kaiming_uniform_(a = √5) on the weight, which is U(±1/√fan_in), and the
 * bias U(±1/√fan_in) — what SB3 networks keep when `ortho_init=False`.
 */
function initTorchDefault(net: MlpNet, rng: Rng): void {
  for (let l = 0; l < net.numLayers; l++) {
    const bound = 1 / Math.sqrt(net.sizes[l]);
    const w = net.kernels[l];
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformRange(-bound, bound);
    const b = net.biases[l];
    for (let i = 0; i < b.length; i++) b[i] = rng.uniformRange(-bound, bound);
  }
}

function mlpSpecOf(net: MlpNet, outputGain: number): Required<MlpSpec> {
  return {
    inputDim: net.inputDim,
    hiddenSizes: net.sizes.slice(1, -1),
    outputDim: net.outputDim,
    activation: net.activation,
    outputGain,
    hiddenGain: GAIN.hidden,
  };
}

/** [kernel0, bias0, kernel1, …] copies, in `Mlp.getWeights()` order. */
export function layerWeights(net: MlpNet): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < net.numLayers; l++) out.push(net.kernels[l].slice(), net.biases[l].slice());
  return out;
}
