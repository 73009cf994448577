/**
 * One APG window: N env copies roll the policy forward K steps through a differentiable env, recording everything
 * the reverse pass needs (a tape); then the gradient of the window's loss with respect to the policy is pulled back
 * through the rewards, the dynamics, the action squash, the policy and the observations, step by step in reverse
 * (hand-written adjoints: core/envs/diff for the envs, tape-mlp.ts for the networks).
 *
 *   a_t = squash(μ_θ(x_t) + σ_θ ⊙ ε_t),  ε_t ~ N(0, I)        (reparameterised: ε is recorded, a is a function of θ)
 *   L   = −(1/N) Σ_e [ Σ_t w_{t,e} r_{t,e} + Σ_b w_b V̄(s_b) ]
 *
 * w_{t,e} = γ^(steps since the copy's window or episode start): the discount restarts when an episode ends inside the
 * window. With the critic bootstrap (SHAC, Xu et al. 2022) the target critic V̄ scores the state a truncated episode
 * ended in and every copy's state at the window end, differentiated through that state; a terminated episode
 * bootstraps 0. Gradients stop between windows: the window starts from the carried states as constants, and a reset
 * state is a constant too.
 *
 * Everything here is allocation-free once constructed; the env is float64, the networks float32.
 */
import type { Rng } from '../../common/rng.js';
import { squashAction, squashActionVjp, type DiffEnv, type DiffVectorEnv, type StateGradientInReward } from '../../envs/diff/index.js';
import type { TapeMlp } from './tape-mlp.js';

/** Observation normalisation frozen for the window: x = clip((obs − mean)·invStd, ±clip). Null: x = obs. */
export interface ObsScale {
  mean: Float64Array;
  invStd: Float64Array;
  clip: number;
}

export interface WindowStats {
  /** L, the actor loss. */
  loss: number;
  /** Mean over copies of the discounted window return Σ_t w_t r_t (without the bootstrap). */
  windowReturn: number;
  /** Mean over copies of the bootstrap term Σ_b w_b V̄(s_b) (0 without a critic). */
  bootstrap: number;
  /** Mean reward per step. */
  meanReward: number;
}

export type EpisodeSink = (ret: number, length: number, step: number) => void;

export class ApgWindow {
  readonly N: number;
  readonly K: number;
  readonly S: number;
  readonly O: number;
  readonly A: number;
  /** S_t before each step t (row K: the state after the window, resets applied). [(K+1)·N·S] */
  readonly states: Float64Array;
  /** The state each step produced, before any reset. [K·N·S] */
  readonly next: Float64Array;
  /** Raw observations of S_t (t < K) and the normalised policy inputs. [K·N·O] */
  readonly obs: Float64Array;
  readonly x: Float32Array;
  readonly eps: Float64Array;
  readonly tanh: Float64Array;
  readonly actions: Float64Array;
  readonly rewards: Float64Array;
  /** Discount weight of each reward in the loss. [K·N] */
  readonly weights: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly reset: Uint8Array;
  /** Bootstrap rows (critic only): time step (K = window end), copy, weight, policy input. */
  readonly bootT: Int32Array;
  readonly bootE: Int32Array;
  readonly bootW: Float64Array;
  readonly bootX: Float32Array;
  bootCount = 0;
  /** Target-critic values of the bootstrap rows, then of every S_t (t < K) when the critic is trained. */
  readonly bootValues: Float32Array;
  readonly stateValues: Float32Array;

  readonly #g: Float64Array;
  readonly #obsRow: Float64Array;
  readonly #dS: Float64Array;
  readonly #dSt: Float64Array;
  readonly #dNext: Float64Array;
  readonly #dR: Float64Array;
  readonly #dA: Float64Array;
  readonly #dz: Float64Array;
  readonly #dX: Float32Array;
  readonly #dObs: Float64Array;
  readonly #dFinal: Float64Array;
  readonly #hasFinal: Uint8Array;
  readonly #dBootX: Float32Array;
  readonly #dBootV: Float32Array;
  readonly #sigma: Float64Array;

  constructor(
    readonly env: DiffEnv,
    numEnvs: number,
    windowLength: number,
  ) {
    const N = (this.N = numEnvs);
    const K = (this.K = windowLength);
    const S = (this.S = env.stateSize);
    const O = (this.O = env.obsDim);
    const A = (this.A = env.actDim);
    this.states = new Float64Array((K + 1) * N * S);
    this.next = new Float64Array(K * N * S);
    this.obs = new Float64Array(K * N * O);
    this.x = new Float32Array(K * N * O);
    this.eps = new Float64Array(K * N * A);
    this.tanh = new Float64Array(K * N * A);
    this.actions = new Float64Array(K * N * A);
    this.rewards = new Float64Array(K * N);
    this.weights = new Float64Array(K * N);
    this.terminated = new Uint8Array(K * N);
    this.truncated = new Uint8Array(K * N);
    this.reset = new Uint8Array(K * N);
    const maxBoot = (K + 1) * N;
    this.bootT = new Int32Array(maxBoot);
    this.bootE = new Int32Array(maxBoot);
    this.bootW = new Float64Array(maxBoot);
    this.bootX = new Float32Array(maxBoot * O);
    this.bootValues = new Float32Array(maxBoot);
    this.stateValues = new Float32Array(K * N);
    this.#g = new Float64Array(N);
    this.#obsRow = new Float64Array(N * O);
    this.#dS = new Float64Array(N * S);
    this.#dSt = new Float64Array(N * S);
    this.#dNext = new Float64Array(N * S);
    this.#dR = new Float64Array(N);
    this.#dA = new Float64Array(N * A);
    this.#dz = new Float64Array(N * A);
    this.#dX = new Float32Array(maxBoot * O);
    this.#dObs = new Float64Array(maxBoot * O);
    this.#dFinal = new Float64Array(K * N * S);
    this.#hasFinal = new Uint8Array(K * N);
    this.#dBootX = new Float32Array(maxBoot * O);
    this.#dBootV = new Float32Array(maxBoot);
    this.#sigma = new Float64Array(A);
  }

  /** Rows a critic tape needs: bootstrap rows, then (when training the critic) one per stored state. */
  static criticRows(numEnvs: number, windowLength: number): number {
    return (windowLength + 1) * numEnvs + windowLength * numEnvs;
  }

  #normalize(obs: Float64Array, n: number, scale: ObsScale | null, out: Float32Array, at: number): void {
    const O = this.O;
    if (!scale) {
      for (let i = 0; i < n * O; i++) out[at + i] = obs[i];
      return;
    }
    const { mean, invStd, clip } = scale;
    for (let i = 0, j = 0; i < n * O; i++) {
      let v = (obs[i] - mean[j]) * invStd[j];
      if (v > clip) v = clip;
      else if (v < -clip) v = -clip;
      out[at + i] = v;
      if (++j === O) j = 0;
    }
  }

  /** dObs = dX · ∂x/∂obs (invStd inside the clip, 0 where the normalised value was clipped). */
  #normalizeVjp(x: Float32Array, xAt: number, dX: Float32Array, n: number, scale: ObsScale | null, dObs: Float64Array): void {
    const O = this.O;
    if (!scale) {
      for (let i = 0; i < n * O; i++) dObs[i] = dX[i];
      return;
    }
    const { invStd, clip } = scale;
    for (let i = 0, j = 0; i < n * O; i++) {
      const v = x[xAt + i];
      dObs[i] = v > -clip && v < clip ? dX[i] * invStd[j] : 0;
      if (++j === O) j = 0;
    }
  }

  /**
   * The forward pass: steps `venv` K times with the policy's reparameterised actions (noise drawn from `rng`, copy
   * by copy, dimension by dimension), records the tape, and — with a `critic` — evaluates the bootstrap rows (and,
   * with `valueRows`, every S_t for the critic's targets). Reports finished episodes at the env step they ended.
   */
  run(args: {
    venv: DiffVectorEnv;
    actor: TapeMlp;
    logStd: Float32Array;
    critic: TapeMlp | null;
    valueRows: boolean;
    scale: ObsScale | null;
    gamma: number;
    rng: Rng;
    stepBefore: number;
    onEpisode: EpisodeSink;
    /** Deterministic actions (ε = 0): gradient checks and tests. */
    noNoise?: boolean;
  }): WindowStats {
    const { venv, actor, logStd, critic, scale, gamma, rng } = args;
    const { N, K, S, O, A, env } = this;
    if (venv.numEnvs !== N || venv.env !== env) throw new Error(`ApgWindow: the vector env must be ${N} copies of ${env.id}`);
    for (let j = 0; j < A; j++) this.#sigma[j] = Math.exp(logStd[j]);
    const g = this.#g.fill(1);
    const low = env.actionLow;
    const high = env.actionHigh;
    let sumWeighted = 0;
    let sumRewards = 0;
    this.bootCount = 0;
    for (let t = 0; t < K; t++) {
      const sRow = this.states.subarray(t * N * S, (t + 1) * N * S);
      sRow.set(venv.states);
      const obs = this.obs.subarray(t * N * O, (t + 1) * N * O);
      env.observe(sRow, N, obs);
      this.#normalize(obs, N, scale, this.x, t * N * O);
      const mu = actor.forward(this.x.subarray(t * N * O, (t + 1) * N * O), t * N, N);
      const at = t * N * A;
      const z = this.#dz; // scratch for the pre-squash values of this step
      for (let i = 0; i < N * A; i++) {
        const e = args.noNoise ? 0 : rng.normal();
        this.eps[at + i] = e;
        z[i] = mu[i] + this.#sigma[i % A] * e;
      }
      squashAction(z, N, low, high, this.actions.subarray(at, at + N * A), this.tanh.subarray(at, at + N * A));
      venv.step(this.actions.subarray(at, at + N * A));
      this.next.set(venv.next, t * N * S);
      for (let e = 0; e < N; e++) {
        const i = t * N + e;
        const r = venv.rewards[e];
        this.rewards[i] = r;
        this.weights[i] = g[e];
        sumWeighted += g[e] * r;
        sumRewards += r;
        g[e] *= gamma;
        this.terminated[i] = venv.terminated[e];
        this.truncated[i] = venv.truncated[e];
        this.reset[i] = venv.reset[e];
        if (critic && venv.truncated[e] && !venv.terminated[e]) this.#addBoot(t, e, g[e], this.next.subarray(i * S, (i + 1) * S), scale);
        if (venv.reset[e]) g[e] = 1;
      }
      const done = venv.drainEpisodes();
      for (let k = 0; k < done.returns.length; k++) args.onEpisode(done.returns[k], done.lengths[k], args.stepBefore + (t + 1) * N);
    }
    this.states.set(venv.states, K * N * S);
    let sumBoot = 0;
    if (critic) {
      for (let e = 0; e < N; e++) this.#addBoot(K, e, g[e], venv.states.subarray(e * S, (e + 1) * S), scale);
      const B = this.bootCount;
      const v = critic.forward(this.bootX.subarray(0, B * O), 0, B);
      this.bootValues.set(v.subarray(0, B));
      for (let b = 0; b < B; b++) sumBoot += this.bootW[b] * v[b];
      if (args.valueRows) this.stateValues.set(critic.forward(this.x, B, K * N).subarray(0, K * N));
    }
    return {
      loss: -(sumWeighted + sumBoot) / N,
      windowReturn: sumWeighted / N,
      bootstrap: sumBoot / N,
      meanReward: sumRewards / (N * K),
    };
  }

  #addBoot(t: number, e: number, w: number, state: Float64Array, scale: ObsScale | null): void {
    const b = this.bootCount++;
    this.bootT[b] = t;
    this.bootE[b] = e;
    this.bootW[b] = w;
    const o = this.#obsRow.subarray(0, this.O);
    this.env.observe(state, 1, o);
    this.#normalize(o, 1, scale, this.bootX, b * this.O);
  }

  /**
   * The reverse pass: adds ∂L/∂θ_actor to `actorGrad` (the actor network's flat layout) and ∂L/∂logσ to
   * `logStdGrad`. Call after `run`, with the same networks (the critic's weights are constants here).
   */
  backward(args: {
    actor: TapeMlp;
    logStd: Float32Array;
    critic: TapeMlp | null;
    scale: ObsScale | null;
    stateGradientInReward: StateGradientInReward;
    actorGrad: Float32Array;
    logStdGrad: Float32Array;
  }): void {
    const { actor, critic, scale } = args;
    const { N, K, S, O, A, env } = this;
    const dS = this.#dS.fill(0);
    this.#hasFinal.fill(0);
    if (critic && this.bootCount > 0) {
      // ∂L/∂V̄ = −w_b / N for every bootstrap row, through the critic into its input, the normalisation and the
      // observation, into the state it scored: S_K (window end) or the final state of a truncated step.
      const B = this.bootCount;
      for (let b = 0; b < B; b++) this.#dBootV[b] = -this.bootW[b] / N;
      critic.backward(0, B, this.#dBootV.subarray(0, B), this.#dBootX);
      const dObs = this.#dObs;
      this.#normalizeVjp(this.bootX, 0, this.#dBootX, B, scale, dObs);
      for (let b = 0; b < B; b++) {
        const t = this.bootT[b];
        const e = this.bootE[b];
        const dOb = dObs.subarray(b * O, (b + 1) * O);
        if (t === K) {
          env.observeVjp(this.states.subarray((K * N + e) * S, (K * N + e + 1) * S), 1, dOb, dS.subarray(e * S, (e + 1) * S));
        } else {
          const i = t * N + e;
          const dF = this.#dFinal.subarray(i * S, (i + 1) * S).fill(0);
          env.observeVjp(this.next.subarray(i * S, (i + 1) * S), 1, dOb, dF);
          this.#hasFinal[i] = 1;
        }
      }
    }
    const dNext = this.#dNext;
    const dSt = this.#dSt;
    const sigma = this.#sigma;
    for (let t = K - 1; t >= 0; t--) {
      // The state after step t: a copy that was reset carries no gradient past the reset; its final state gets
      // only the bootstrap's (if any).
      for (let e = 0; e < N; e++) {
        const i = t * N + e;
        const row = dNext.subarray(e * S, (e + 1) * S);
        if (!this.reset[i]) row.set(dS.subarray(e * S, (e + 1) * S));
        else if (this.#hasFinal[i]) row.set(this.#dFinal.subarray(i * S, (i + 1) * S));
        else row.fill(0);
        this.#dR[e] = -this.weights[i] / N;
      }
      const at = t * N * A;
      const sRow = this.states.subarray(t * N * S, (t + 1) * N * S);
      env.stepVjp(sRow, this.actions.subarray(at, at + N * A), N, dNext, this.#dR, args.stateGradientInReward, dSt, this.#dA);
      squashActionVjp(this.#dA, this.tanh.subarray(at, at + N * A), N, env.actionLow, env.actionHigh, this.#dz);
      for (let i = 0; i < N * A; i++) args.logStdGrad[i % A] += this.#dz[i] * sigma[i % A] * this.eps[at + i];
      actor.backward(t * N, N, this.#dz, this.#dX);
      this.#normalizeVjp(this.x, t * N * O, this.#dX, N, scale, this.#dObs);
      env.observeVjp(sRow, N, this.#dObs, dSt);
      dS.set(dSt);
    }
    actor.accumulateParamGrads(K * N, args.actorGrad);
  }
}
