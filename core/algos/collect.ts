/**
 * Rollout collection: steps every env copy together with ONE batched forward pass of the actor per vector step
 * (plain JS on the live weights, no tensors), storing observations, actions, log-probabilities, rewards and the
 * terminated/truncated flags time-major in a RolloutBuffer. Observation normalisation (running mean/std, SB3
 * VecNormalize semantics) and reward scaling (Gymnasium NormalizeReward) happen here, where the data comes in.
 *
 * Critic values are computed after the rollout in one batched pass over all its observations (same weights, same
 * numbers as per-step evaluation, a fraction of the overhead), together with V(final obs) for truncated steps
 * and V(s_T) for the bootstrap at the rollout end.
 *
 * Two shapes: fixed `numSteps` per env (A2C, PPO, TRPO; episodes continue across rollouts), or 'episodes'
 * (REINFORCE): every copy runs until its episode ends; later steps of a copy are masked out, and all copies are
 * reset before the next rollout, so each update sees exactly one fresh episode per copy.
 */
import { RunningMeanStd, RewardScaler } from '../common/normalizer.js';
import type { Rng } from '../common/rng.js';
import { RolloutBuffer } from '../common/rollout.js';
import type { VectorEnv } from '../envs/vector.js';
import type { CommonConfig } from './config-common.js';
import { GsdeNoise } from './gsde.js';
import type { ActorCritic } from './model.js';
import type { RolloutShape, Samples } from './types.js';

export interface PhaseClock {
  env: number;
  inference: number;
  update: number;
  logging: number;
}

export interface CollectResult {
  /** Time steps stored (rows of the buffer). */
  steps: number;
  /** Env steps that count towards training (all of them, or the unmasked ones in 'episodes' mode). */
  envSteps: number;
}

/** Called for each finished training episode, in order (`step` = global env steps when it ended). */
export type EpisodeSink = (ret: number, length: number, step: number) => void;

export class Collector {
  readonly buffer: RolloutBuffer;
  readonly obsRms: RunningMeanStd | null;
  readonly rewardScaler: RewardScaler | null;
  /**
   * gSDE's per-env exploration matrices (null without gSDE): drawn at the start of every rollout (SB3's
   * `reset_noise(n_envs)` in collect_rollouts) and again every sdeSampleFreq vector steps when that is > 0.
   */
  readonly gsdeNoise: GsdeNoise | null;
  /** The current (normalised) observation of every copy: the policy's next input. */
  readonly normObs: Float32Array;
  readonly #finalObs: Float32Array;
  readonly #actions: Float32Array;
  readonly #envActions: Float32Array | Int32Array;
  readonly #logProbs: Float32Array;
  readonly #rowScratch: Float32Array;
  /** Rows of copies that may update the observation statistics (see #observe). */
  readonly #obsScratch: Float32Array;
  readonly #mode: RolloutShape['numSteps'];
  #endedAt: Int32Array | null = null;
  #steps = 0;

  constructor(
    readonly venv: VectorEnv,
    readonly model: ActorCritic,
    readonly config: CommonConfig,
    shape: RolloutShape,
  ) {
    const N = venv.numEnvs;
    const obsDim = venv.obsDim;
    this.#mode = shape.numSteps;
    const capacity = shape.numSteps === 'episodes' ? venv.maxEpisodeSteps : shape.numSteps;
    this.buffer = new RolloutBuffer(capacity, N, obsDim, model.actDim);
    this.#finalObs = new Float32Array(capacity * N * obsDim);
    this.normObs = new Float32Array(N * obsDim);
    this.#actions = new Float32Array(N * model.actDim);
    this.#envActions = model.discrete ? new Int32Array(N) : new Float32Array(N * model.actDim);
    this.#logProbs = new Float32Array(N);
    this.#rowScratch = new Float32Array(obsDim);
    this.#obsScratch = new Float32Array(N * obsDim);
    this.obsRms = config.normalizeObs ? new RunningMeanStd(obsDim, { clip: config.clipObs }) : null;
    this.gsdeNoise = model.gsde ? new GsdeNoise(model.gsde, N, config.sdeSampleFreq ?? -1) : null;
    this.rewardScaler = config.normalizeReward ? new RewardScaler(N, config.gamma, { clip: config.clipReward }) : null;
  }

  /** Resets every copy (seeded, or continuing each copy's stream) and computes the first policy inputs. */
  reset(seed?: number): void {
    this.venv.reset(seed);
    this.#observe();
  }

  /**
   * After venv.obs changed: update the running stats with it (training only; with `learn`, only the copies it marks:
   * a copy whose episode is over steps on, discarded, and must not shape the statistics) and normalise into normObs.
   */
  #observe(learn?: Uint8Array): void {
    if (this.obsRms) {
      if (!learn) this.obsRms.update(this.venv.obs);
      else {
        const d = this.venv.obsDim;
        let k = 0;
        for (let e = 0; e < learn.length; e++) if (learn[e]) this.#obsScratch.set(this.venv.obs.subarray(e * d, (e + 1) * d), d * k++);
        if (k > 0) this.obsRms.update(this.#obsScratch.subarray(0, k * d));
      }
      this.obsRms.normalize(this.venv.obs, this.normObs);
    } else {
      this.normObs.set(this.venv.obs);
    }
  }

  /**
   * `stopAfter` (fixed-length rollouts only; DD-PPO's preemption): asked after each vector step with the steps taken;
   * true ends the rollout there, which then bootstraps from V at the cut and its envs continue mid-episode.
   */
  collect(
    rng: Rng,
    stepBefore: number,
    onEpisode: EpisodeSink,
    clock: PhaseClock,
    needValues: boolean,
    stopAfter?: (steps: number) => boolean,
  ): CollectResult {
    const { venv, model, buffer } = this;
    const N = venv.numEnvs;
    const obsDim = venv.obsDim;
    const actDim = model.actDim;
    const episodes = this.#mode === 'episodes';
    const capacity = buffer.numSteps;
    buffer.reset();
    // 'episodes' mode: the step at which each copy's episode ended (−1: still running).
    const endedAt = episodes ? new Int32Array(N).fill(-1) : null;
    // 'episodes' mode: 1 while the copy's episode runs (its steps are kept and may update the normalisers).
    const live = episodes ? new Uint8Array(N).fill(1) : undefined;
    const firstReturn = episodes ? new Float64Array(N) : null;
    let running = N;
    let steps = 0;
    let envSteps = 0;
    const noise = this.gsdeNoise;
    if (noise) noise.resample(model.logStd, rng);
    let t0 = performance.now();
    for (let t = 0; t < capacity; t++) {
      const row = t * N;
      noise?.beforeStep(model.logStd, rng);
      // One batched forward pass: sample actions for every copy.
      model.act(this.normObs, N, rng, false, this.#actions, this.#envActions, this.#logProbs, this.config.clipActions, noise);
      buffer.obs.set(this.normObs, row * obsDim);
      buffer.actions.set(this.#actions, row * actDim);
      buffer.logProbs.set(this.#logProbs, row);
      const t1 = performance.now();
      clock.inference += t1 - t0;

      venv.step(this.#envActions);
      const raw = venv.rewards;
      if (this.rewardScaler) this.rewardScaler.scale(raw, venv.terminated, venv.truncated, buffer.rewards.subarray(row, row + N), live);
      else buffer.rewards.set(raw, row);
      buffer.terminated.set(venv.terminated, row);
      buffer.truncated.set(venv.truncated, row);
      let anyDone = false;
      for (let e = 0; e < N; e++) {
        if (endedAt && endedAt[e] < 0) firstReturn![e] += raw[e];
        if (!(venv.terminated[e] | venv.truncated[e])) continue;
        anyDone = true;
        // V(final obs) bootstraps a truncated step: keep that obs, normalised with the current statistics.
        const fo = this.#finalObs.subarray((row + e) * obsDim, (row + e + 1) * obsDim);
        if (this.obsRms) this.obsRms.normalize(venv.finalObs.subarray(e * obsDim, (e + 1) * obsDim), fo);
        else fo.set(venv.finalObs.subarray(e * obsDim, (e + 1) * obsDim));
      }
      if (episodes && anyDone) {
        for (let e = 0; e < N; e++) {
          if (endedAt![e] < 0 && venv.terminated[e] | venv.truncated[e]) {
            endedAt![e] = t;
            live![e] = 0;
            running--;
          }
        }
      }
      this.#observe(live);
      buffer.advance();
      steps = t + 1;
      // Every simulated step counts (SPS, the step axis, steps-to-threshold), including the steps a copy whose
      // episode is over takes while it waits for the others ('episodes' mode discards them from the update).
      envSteps += N;
      if (!episodes && anyDone) {
        const done = venv.drainEpisodes();
        for (let k = 0; k < done.returns.length; k++) onEpisode(done.returns[k], done.lengths[k], stepBefore + envSteps);
      }
      t0 = performance.now();
      clock.env += t0 - t1;
      if (episodes && running === 0) break;
      if (!episodes && stopAfter?.(steps)) break;
    }

    if (endedAt) {
      // Episodes cut by the buffer's capacity (only when maxEpisodeSteps is not enforced) count as truncated.
      for (let e = 0; e < N; e++) {
        if (endedAt[e] < 0) {
          endedAt[e] = steps - 1;
          buffer.truncated[(steps - 1) * N + e] = 1;
        }
      }
      // Each episode is reported at the step count when it ended, in the order they ended.
      const order = Array.from({ length: N }, (_, e) => e).sort((a, b) => endedAt[a] - endedAt[b] || a - b);
      for (const e of order) onEpisode(firstReturn![e], endedAt[e] + 1, stepBefore + (endedAt[e] + 1) * N);
      venv.drainEpisodes();
    }
    this.#endedAt = endedAt;
    this.#steps = steps;

    const tv = performance.now();
    if (needValues) this.#values(steps);
    clock.inference += performance.now() - tv;
    return { steps, envSteps };
  }

  /**
   * The samples of the last rollout for the update, once its targets (advantages, returns) are in the buffer:
   * the buffer's first `steps` rows, or in 'episodes' mode the unmasked rows gathered — after which every copy
   * is reset, discarding what it did after its episode, so the next rollout starts from fresh episodes.
   */
  takeSamples(): Samples {
    const b = this.buffer;
    const n = this.#steps * b.numEnvs;
    if (!this.#endedAt) {
      return {
        size: n,
        obs: b.obs.subarray(0, n * b.obsDim),
        actions: b.actions.subarray(0, n * b.actDim),
        logProbs: b.logProbs.subarray(0, n),
        values: b.values.subarray(0, n),
        advantages: b.advantages.subarray(0, n),
        returns: b.returns.subarray(0, n),
      };
    }
    const endedAt = this.#endedAt;
    const N = b.numEnvs;
    let m = 0;
    for (let e = 0; e < N; e++) m += endedAt[e] + 1;
    const idx = new Int32Array(m);
    let k = 0;
    for (let t = 0; t < this.#steps; t++) for (let e = 0; e < N; e++) if (t <= endedAt[e]) idx[k++] = t * N + e;
    const pick = (src: Float32Array, width: number): Float32Array => {
      const out = new Float32Array(m * width);
      for (let j = 0; j < m; j++) out.set(src.subarray(idx[j] * width, idx[j] * width + width), j * width);
      return out;
    };
    const samples: Samples = {
      size: m,
      obs: pick(b.obs, b.obsDim),
      actions: pick(b.actions, b.actDim),
      logProbs: pick(b.logProbs, 1),
      values: pick(b.values, 1),
      advantages: pick(b.advantages, 1),
      returns: pick(b.returns, 1),
    };
    this.reset();
    return samples;
  }

  /** V(s_t) for every stored step, V(final obs) where truncated, V(s_T) for the rollout end. */
  #values(steps: number): void {
    const { buffer, model, venv } = this;
    const N = venv.numEnvs;
    const obsDim = venv.obsDim;
    const n = steps * N;
    model.values(buffer.obs, n, buffer.values);
    model.values(this.normObs, N, buffer.lastValues);
    const v = new Float32Array(1);
    for (let i = 0; i < n; i++) {
      if (!buffer.truncated[i] || buffer.terminated[i]) continue;
      this.#rowScratch.set(this.#finalObs.subarray(i * obsDim, (i + 1) * obsDim));
      model.values(this.#rowScratch, 1, v);
      buffer.finalValues[i] = v[0];
    }
  }
}
