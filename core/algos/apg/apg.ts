/**
 * Analytic Policy Gradients: the policy is trained by gradient ascent on the return itself, differentiated through
 * the environment's dynamics and reward (core/envs/diff) — no likelihood ratios, no advantage estimates. One update:
 *
 *   1. window   roll N copies K steps with reparameterised actions a = squash(μ_θ(s) + σ_θ ε), recording a tape;
 *   2. gradient ∂L/∂θ of L = −(1/N) Σ_e [Σ_t γ^t r_t (+ γ^k V̄(s))] by the hand-written adjoints (engine "js") or
 *               tfjs autodiff (engine "tfjs"); the state is carried into the next window but not differentiated;
 *   3. guard    a non-finite loss or gradient skips the update (logged, counted: train/skippedFraction);
 *   4. step     global-norm clipping, Adam on [actor | logσ];
 *   5. critic   (criticBootstrap) SHAC's TD(λ) critic update and target-critic averaging (critic.ts).
 *
 * Parameters live in an ActorCritic (core/algos/model.ts: [actor | logσ | critic]), so checkpoints, exported models
 * and the app's policy loader read APG's policy like any other; its actions are tanh-squashed (`actionSquash`).
 */
import { METRIC } from '../../common/metrics.js';
import { RunningMeanStd } from '../../common/normalizer.js';
import type { Rng } from '../../common/rng.js';
import type { DiffEnv, DiffVectorEnv } from '../../envs/diff/index.js';
import { ALGO_METRIC } from '../metrics.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import type { ApgConfig } from './config.js';
import { ShacCritic } from './critic.js';
import { TapeMlp } from './tape-mlp.js';
import { windowLossAndGradTf } from './window-tf.js';
import { ApgWindow, type EpisodeSink, type ObsScale } from './window.js';

/** How APG's actions are formed from the actor's output (recorded in checkpoints for the policy loader). */
export const APG_ACTION_SQUASH = 'tanh' as const;

export interface ApgUpdateResult {
  metrics: Record<string, number>;
  /** Why the update was skipped (null: it was applied). */
  skipped: string | null;
  /** Critic minibatch steps skipped for a non-finite loss or gradient (the actor's update stands). */
  criticSkipped: number;
}

export class ApgLearner {
  readonly window: ApgWindow;
  readonly actor: TapeMlp;
  readonly actorOptimizer: Adam;
  readonly critic: ShacCritic | null;
  readonly obsRms: RunningMeanStd | null;
  updates = 0;
  skippedUpdates = 0;
  readonly #scale: ObsScale | null;

  constructor(
    readonly model: ActorCritic,
    readonly env: DiffEnv,
    readonly config: ApgConfig,
  ) {
    if (model.discrete || model.numActions !== env.actDim || model.spec.obsDim !== env.obsDim) {
      throw new Error(`APG: the model (${model.spec.obsDim} → ${model.numActions}) does not fit ${env.id} (${env.obsDim} → ${env.actDim})`);
    }
    const { numEnvs: N, windowLength: K } = config;
    this.window = new ApgWindow(env, N, K);
    this.actor = new TapeMlp(model.actor.sizes, model.actor.activation, model.actor.params, N * K);
    this.actorOptimizer = new Adam(model.actorParams.length, config.adamEps, config.adamBeta1, config.adamBeta2);
    this.critic = config.criticBootstrap ? new ShacCritic(model, config) : null;
    this.obsRms = config.normalizeObs ? new RunningMeanStd(env.obsDim, { clip: config.clipObs }) : null;
    this.#scale = this.obsRms
      ? { mean: new Float64Array(env.obsDim), invStd: new Float64Array(env.obsDim), clip: config.clipObs }
      : null;
  }

  /** The observation scaling in effect (frozen per window), or null. */
  scale(): ObsScale | null {
    const rms = this.obsRms;
    const s = this.#scale;
    if (!rms || !s) return null;
    for (let j = 0; j < rms.dim; j++) {
      s.mean[j] = rms.mean[j];
      s.invStd[j] = 1 / Math.sqrt(rms.var[j] + rms.varEpsilon);
    }
    return s;
  }

  /** Call after the model's parameters were restored. */
  paramsChanged(): void {
    this.model.paramsChanged();
    this.actor.refresh();
    this.critic?.targetChanged();
  }

  /** One window and one update (see the module comment). `progress` ∈ [0, 1) anneals the learning rates. */
  update(venv: DiffVectorEnv, rng: Rng, stepBefore: number, progress: number, onEpisode: EpisodeSink): ApgUpdateResult {
    const { model, config, window } = this;
    const anneal = config.annealLr ? 1 - progress : 1;
    const lr = config.lr * anneal;
    const scale = this.scale();
    const critic = this.critic;

    const t0 = performance.now();
    const stats = window.run({
      venv,
      actor: this.actor,
      logStd: model.logStd,
      critic: critic?.target ?? null,
      valueRows: critic !== null,
      scale,
      gamma: config.gamma,
      rng,
      stepBefore,
      onEpisode,
    });
    const t1 = performance.now();

    model.actorGrads.fill(0);
    let loss = stats.loss;
    if (config.engine === 'js') {
      window.backward({
        actor: this.actor,
        logStd: model.logStd,
        critic: critic?.target ?? null,
        scale,
        stateGradientInReward: config.stateGradientInReward,
        actorGrad: model.actorNetGrads,
        logStdGrad: model.logStdGrads,
      });
    } else {
      const tf = windowLossAndGradTf({
        window,
        actor: { sizes: model.actor.sizes, activation: model.actor.activation },
        actorParams: model.actorParams,
        critic: critic ? { sizes: model.critic.sizes, activation: model.critic.activation } : null,
        criticParams: critic?.targetParams ?? null,
        scale,
        stateGradientInReward: config.stateGradientInReward,
      });
      model.actorGrads.set(tf.grad);
      loss = tf.loss;
    }
    if (!config.learnStd) model.logStdGrads.fill(0);
    const t2 = performance.now();

    this.updates++;
    const gradNorm = clipGradNorm(model.actorGrads, null);
    let skipped: string | null = null;
    if (!Number.isFinite(loss)) skipped = `the window's loss is ${loss}`;
    else if (!Number.isFinite(gradNorm)) skipped = `the gradient has ${countNonFinite(model.actorGrads)} non-finite entries`;
    if (skipped) {
      this.skippedUpdates++;
    } else {
      clipGradNorm(model.actorGrads, config.maxGradNorm);
      this.actorOptimizer.step(model.actorParams, model.actorGrads, lr);
      model.paramsChanged();
      this.actor.refresh();
    }

    const metrics: Record<string, number> = {
      [METRIC.policyLoss]: loss,
      [ALGO_METRIC.windowReturn]: stats.windowReturn,
      [METRIC.gradNorm]: gradNorm,
      [METRIC.learningRate]: lr,
      [ALGO_METRIC.policyStd]: meanExp(model.logStd),
      [ALGO_METRIC.skippedUpdate]: skipped ? 1 : 0,
      [ALGO_METRIC.skippedFraction]: this.skippedUpdates / this.updates,
      [ALGO_METRIC.forwardMs]: t1 - t0,
      [ALGO_METRIC.backwardMs]: t2 - t1,
    };
    let criticSkipped = 0;
    if (critic) {
      const t3 = performance.now();
      const c = critic.update(window, rng, config.criticLr * anneal);
      metrics[ALGO_METRIC.bootstrapValue] = stats.bootstrap;
      metrics[METRIC.valueLoss] = c.valueLoss;
      metrics[METRIC.explainedVariance] = c.explainedVariance;
      metrics[ALGO_METRIC.criticMs] = performance.now() - t3;
      criticSkipped = c.skipped;
    }
    // The statistics move after the window, so the window's forward and reverse passes saw the same scaling.
    this.obsRms?.update(window.obs);
    return { metrics, skipped, criticSkipped };
  }
}

function countNonFinite(a: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}

function meanExp(logStd: Float32Array): number {
  let s = 0;
  for (let i = 0; i < logStd.length; i++) s += Math.exp(logStd[i]);
  return s / logStd.length;
}
