/**
 * SHAC's critic (Xu et al., 2022, §3.3): after each window, the critic V (ActorCritic's critic network) regresses
 * TD(λ) targets of the window's rewards, computed with the TARGET critic V̄ (core/common/returns.ts lambdaReturns:
 * a terminated step bootstraps 0, a truncated one V̄(final state), the window's last step V̄(s_K)), by
 * `criticIterations` passes of `criticMinibatches` shuffled minibatches of mean squared error, Adam and clipping;
 * then V̄ ← α·V̄ + (1 − α)·V. V̄ is what the actor's bootstrap differentiates through (window.ts).
 */
import { explainedVariance } from '../../common/metrics.js';
import { lambdaReturns } from '../../common/returns.js';
import type { Rng } from '../../common/rng.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import type { ApgConfig } from './config.js';
import { TapeMlp } from './tape-mlp.js';
import { ApgWindow } from './window.js';

export interface CriticStats {
  /** Mean squared error of the last pass. */
  valueLoss: number;
  /** Of the target critic's values before the update, as predictors of the TD(λ) targets. */
  explainedVariance: number;
  /** Minibatch steps skipped for a non-finite loss or gradient. */
  skipped: number;
}

export class ShacCritic {
  /** V̄'s weights (the critic's layout). */
  readonly targetParams: Float32Array;
  readonly target: TapeMlp;
  readonly optimizer: Adam;
  readonly #targets: Float32Array;
  readonly #rewards: Float32Array;
  readonly #finalValues: Float32Array;
  readonly #lastValues: Float32Array;
  readonly #indices: Int32Array;
  readonly #xb: Float32Array;
  readonly #yb: Float32Array;
  readonly #dOut: Float32Array;

  constructor(
    readonly model: ActorCritic,
    readonly config: ApgConfig,
  ) {
    const rows = config.numEnvs * config.windowLength;
    this.targetParams = model.criticParams.slice();
    this.target = new TapeMlp(model.critic.sizes, model.critic.activation, this.targetParams, ApgWindow.criticRows(config.numEnvs, config.windowLength));
    this.optimizer = new Adam(model.criticParams.length, config.adamEps, config.adamBeta1, config.adamBeta2);
    this.#targets = new Float32Array(rows);
    this.#rewards = new Float32Array(rows);
    this.#finalValues = new Float32Array(rows);
    this.#lastValues = new Float32Array(config.numEnvs);
    this.#indices = new Int32Array(rows);
    const mb = Math.ceil(rows / config.criticMinibatches);
    this.#xb = new Float32Array(mb * model.spec.obsDim);
    this.#yb = new Float32Array(mb);
    this.#dOut = new Float32Array(mb);
  }

  /** Re-reads V̄'s weights after a restore. */
  targetChanged(): void {
    this.target.refresh();
  }

  /** TD(λ) targets of the window (`window.stateValues` and the bootstrap rows hold V̄'s values). */
  targetsOf(window: ApgWindow): Float32Array {
    const { N, K } = window;
    this.#rewards.set(window.rewards);
    this.#finalValues.fill(0);
    for (let b = 0; b < window.bootCount; b++) {
      const t = window.bootT[b];
      const e = window.bootE[b];
      if (t === K) this.#lastValues[e] = window.bootValues[b];
      else this.#finalValues[t * N + e] = window.bootValues[b];
    }
    return lambdaReturns(
      {
        rewards: this.#rewards,
        values: window.stateValues,
        terminated: window.terminated,
        truncated: window.truncated,
        finalValues: this.#finalValues,
        lastValues: this.#lastValues,
        numEnvs: N,
        gamma: this.config.gamma,
      },
      this.config.criticLambda,
      this.#targets,
    );
  }

  update(window: ApgWindow, rng: Rng, lr: number): CriticStats {
    const { model, config } = this;
    const O = model.spec.obsDim;
    const targets = this.targetsOf(window);
    const n = targets.length;
    const ev = explainedVariance(window.stateValues, targets);
    const idx = this.#indices;
    const mbCount = config.criticMinibatches;
    let skipped = 0;
    let lastLoss = 0;
    for (let it = 0; it < config.criticIterations; it++) {
      for (let i = 0; i < n; i++) idx[i] = i;
      rng.shuffle(idx);
      let passLoss = 0;
      for (let m = 0; m < mbCount; m++) {
        const start = Math.floor((m * n) / mbCount);
        const end = Math.floor(((m + 1) * n) / mbCount);
        const B = end - start;
        if (B === 0) continue;
        for (let j = 0; j < B; j++) {
          const r = idx[start + j];
          this.#xb.set(window.x.subarray(r * O, (r + 1) * O), j * O);
          this.#yb[j] = targets[r];
        }
        const v = model.critic.forward(this.#xb, B);
        let loss = 0;
        for (let j = 0; j < B; j++) {
          const d = v[j] - this.#yb[j];
          loss += d * d;
          this.#dOut[j] = (2 * d) / B;
        }
        loss /= B;
        model.criticGrads.fill(0);
        model.critic.backward(this.#dOut.subarray(0, B), model.criticGrads);
        const norm = clipGradNorm(model.criticGrads, config.maxGradNorm);
        if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
          skipped++;
          continue;
        }
        this.optimizer.step(model.criticParams, model.criticGrads, lr);
        model.paramsChanged();
        passLoss += loss * B;
      }
      lastLoss = passLoss / n;
    }
    const a = config.targetCriticAlpha;
    const p = model.criticParams;
    for (let i = 0; i < p.length; i++) this.targetParams[i] = a * this.targetParams[i] + (1 - a) * p[i];
    this.target.refresh();
    return { valueLoss: lastLoss, explainedVariance: ev, skipped };
  }
}
