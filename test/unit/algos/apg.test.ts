/**
 * APG's gradient, checked three ways: the hand-written adjoints of a whole window (window.ts: env steps, squash,
 * policy, observation normalisation, critic bootstrap, resets) against central finite differences of a float64
 * re-implementation of the same loss, and against tfjs autodiff (window-tf.ts); both settings of
 * stateGradientInReward, windows of 1 and of 16 steps, with truncations, terminations and resets inside the window.
 * Also: the update's NaN/∞ guard, tensor discipline of the tfjs engine, and the critic's TD(λ) targets.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApgLearner } from '../../../core/algos/apg/apg.js';
import { apgConfigSchema, type ApgConfig } from '../../../core/algos/apg/config.js';
import { windowLossAndGradTf } from '../../../core/algos/apg/window-tf.js';
import type { ApgWindow, ObsScale } from '../../../core/algos/apg/window.js';
import { ActorCritic } from '../../../core/algos/model.js';
import { lambdaReturns } from '../../../core/common/returns.js';
import { Rng } from '../../../core/common/rng.js';
import {
  DiffMountainCarContinuous,
  DiffPendulum,
  DiffPointReach,
  DiffVectorEnv,
  type DiffEnv,
  type StateGradientInReward,
} from '../../../core/envs/diff/index.js';
import { boxSpace } from '../../../core/envs/index.js';
import { initBackend } from '../../../core/tensor/backend.js';

beforeAll(async () => {
  await initBackend();
});

// ---- a float64 reference of the window loss ------------------------------------------------------------------------

function mlp64(sizes: readonly number[], activation: 'tanh' | 'relu', p: ArrayLike<number>, x: number[]): number[] {
  let h = x;
  let o = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nin = sizes[l];
    const nout = sizes[l + 1];
    const out = new Array<number>(nout).fill(0);
    for (let j = 0; j < nout; j++) {
      let s = p[o + nin * nout + j];
      for (let k = 0; k < nin; k++) s += h[k] * p[o + k * nout + j];
      out[j] = l + 2 < sizes.length ? (activation === 'tanh' ? Math.tanh(s) : Math.max(0, s)) : s;
    }
    o += (nin + 1) * nout;
    h = out;
  }
  return h;
}

function normalize64(obs: number[], scale: ObsScale | null): number[] {
  if (!scale) return obs;
  return obs.map((v, j) => Math.min(scale.clip, Math.max(-scale.clip, (v - scale.mean[j]) * scale.invStd[j])));
}

interface Reference {
  env: DiffEnv;
  w: ApgWindow;
  actorSizes: readonly number[];
  criticSizes: readonly number[];
  activation: 'tanh' | 'relu';
  critic: Float64Array | null;
  scale: ObsScale | null;
  mode: StateGradientInReward;
}

/**
 * L(θ) for θ = [actor | logσ], replaying the window's noise, resets and weights in float64. With stopGradient, the
 * rewards see the recorded (unperturbed) states — sg[s] is s's value, without its derivative.
 */
function referenceLoss(ref: Reference, theta: Float64Array): number {
  const { env, w } = ref;
  const { N, K, S, A } = w;
  const nActor = theta.length - A;
  let s = Array.from(w.states.subarray(0, N * S));
  let total = 0;
  const next = new Float64Array(N * S);
  const r = new Float64Array(N);
  const rSg = new Float64Array(N);
  const term = new Uint8Array(N);
  const obs = new Float64Array(N * env.obsDim);
  const value = (state: ArrayLike<number>): number => {
    const o = new Float64Array(env.obsDim);
    env.observe(Float64Array.from(state), 1, o);
    return mlp64(ref.criticSizes, ref.activation, ref.critic!, normalize64(Array.from(o), ref.scale))[0];
  };
  for (let t = 0; t < K; t++) {
    env.observe(Float64Array.from(s), N, obs);
    const actions = new Float64Array(N * A);
    for (let e = 0; e < N; e++) {
      const x = normalize64(Array.from(obs.subarray(e * env.obsDim, (e + 1) * env.obsDim)), ref.scale);
      const mu = mlp64(ref.actorSizes, ref.activation, theta, x);
      for (let j = 0; j < A; j++) {
        const z = mu[j] + Math.exp(theta[nActor + j]) * w.eps[(t * N + e) * A + j];
        const lo = env.actionLow[j];
        const hi = env.actionHigh[j];
        actions[e * A + j] = (hi + lo) / 2 + ((hi - lo) / 2) * Math.tanh(z);
      }
    }
    env.step(Float64Array.from(s), actions, N, next, r, term);
    if (ref.mode === 'stopGradient') {
      env.step(w.states.subarray(t * N * S, (t + 1) * N * S), actions, N, new Float64Array(N * S), rSg, new Uint8Array(N));
    }
    for (let e = 0; e < N; e++) total += w.weights[t * N + e] * (ref.mode === 'stopGradient' ? rSg[e] : r[e]);
    for (let b = 0; b < w.bootCount; b++) {
      if (w.bootT[b] === t) total += w.bootW[b] * value(next.subarray(w.bootE[b] * S, (w.bootE[b] + 1) * S));
    }
    s = Array.from(next);
    for (let e = 0; e < N; e++) {
      if (w.reset[t * N + e]) for (let k = 0; k < S; k++) s[e * S + k] = w.states[((t + 1) * N + e) * S + k];
    }
  }
  for (let b = 0; b < w.bootCount; b++) if (w.bootT[b] === K) total += w.bootW[b] * value(s.slice(w.bootE[b] * S, (w.bootE[b] + 1) * S));
  return -total / N;
}

// ---- cases ---------------------------------------------------------------------------------------------------------

interface Case {
  name: string;
  env: DiffEnv;
  config: Partial<ApgConfig>;
  maxEpisodeSteps: number;
  /** Puts some copies where the episode will terminate inside the window (Mountain Car's goal). */
  prepare?: (v: DiffVectorEnv) => void;
}

function setup(c: Case, seed = 3) {
  const config = apgConfigSchema.parse({ numEnvs: 3, windowLength: 16, hiddenSizes: [12, 12], ...c.config });
  const rng = new Rng(seed);
  const model = ActorCritic.create(
    { obsDim: c.env.obsDim, actionSpace: boxSpace([...c.env.actionLow], [...c.env.actionHigh]), hiddenSizes: config.hiddenSizes, activation: config.activation, logStdInit: -0.7 },
    rng,
  );
  // Larger weights than the init, so the policy and the critic depend on the state and the gradient is not tiny.
  for (let i = 0; i < model.params.length; i++) model.params[i] += 0.3 * rng.normal();
  model.paramsChanged();
  const learner = new ApgLearner(model, c.env, config);
  if (learner.critic) {
    for (let i = 0; i < learner.critic.targetParams.length; i++) learner.critic.targetParams[i] += 0.2 * rng.normal();
  }
  learner.paramsChanged();
  if (learner.obsRms) {
    // Statistics that change the scaling noticeably (and clip some inputs).
    const batch = Float64Array.from({ length: 40 * c.env.obsDim }, () => 0.3 * rng.normal() + 0.1);
    learner.obsRms.update(batch);
  }
  const venv = new DiffVectorEnv(c.env, config.numEnvs, seed, c.maxEpisodeSteps);
  venv.resetAll(seed);
  c.prepare?.(venv);
  return { config, model, learner, venv, rng };
}

function runWindow(c: Case, seed = 3) {
  const s = setup(c, seed);
  const { learner, model, venv, rng, config } = s;
  const scale = learner.scale();
  const critic = learner.critic?.target ?? null;
  const stats = learner.window.run({ venv, actor: learner.actor, logStd: model.logStd, critic, valueRows: critic !== null, scale, gamma: config.gamma, rng, stepBefore: 0, onEpisode: () => {} });
  model.actorGrads.fill(0);
  learner.window.backward({ actor: learner.actor, logStd: model.logStd, critic, scale, stateGradientInReward: config.stateGradientInReward, actorGrad: model.actorNetGrads, logStdGrad: model.logStdGrads });
  return { ...s, stats, scale, grad: model.actorGrads.slice() };
}

const reachNearGoal = (v: DiffVectorEnv): void => {
  // Copy 0 starts just below the flag, fast: it terminates within the window, then resets.
  v.states.set([0.4, 0.06], 0);
};

const CASES: Case[] = [
  { name: 'Pendulum, full', env: new DiffPendulum({ float32: false }), config: {}, maxEpisodeSteps: 200 },
  { name: 'Pendulum, stopGradient', env: new DiffPendulum({ float32: false }), config: { stateGradientInReward: 'stopGradient' }, maxEpisodeSteps: 200 },
  {
    name: 'Pendulum, critic bootstrap, truncations and resets inside the window, tanh, normalised observations',
    env: new DiffPendulum({ float32: false }),
    config: { criticBootstrap: true, activation: 'tanh', normalizeObs: true, clipObs: 1.5 },
    maxEpisodeSteps: 7,
  },
  { name: 'PointReach, full, critic bootstrap', env: new DiffPointReach(), config: { criticBootstrap: true, gamma: 0.9 }, maxEpisodeSteps: 10 },
  { name: 'PointReach, stopGradient', env: new DiffPointReach(), config: { stateGradientInReward: 'stopGradient' }, maxEpisodeSteps: 200 },
  {
    name: 'Mountain Car, a termination inside the window, critic bootstrap',
    env: new DiffMountainCarContinuous({ float32: false }),
    config: { criticBootstrap: true },
    maxEpisodeSteps: 999,
    prepare: reachNearGoal,
  },
  { name: 'Pendulum, one-step window', env: new DiffPendulum({ float32: false }), config: { windowLength: 1 }, maxEpisodeSteps: 200 },
];

describe('window gradient: hand-written adjoints vs central finite differences (float64 reference)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = runWindow(c);
      const w = r.learner.window;
      if (c.maxEpisodeSteps < w.K) expect(w.reset.some((x) => x === 1)).toBe(true);
      if (c.prepare) expect(w.terminated.some((x) => x === 1)).toBe(true);
      if (c.config.criticBootstrap) expect(w.bootCount).toBeGreaterThan(r.config.numEnvs - (c.prepare ? 1 : 0));
      const ref: Reference = {
        env: c.env,
        w,
        actorSizes: r.model.actor.sizes,
        criticSizes: r.model.critic.sizes,
        activation: r.config.activation,
        critic: r.learner.critic ? Float64Array.from(r.learner.critic.targetParams) : null,
        scale: r.scale,
        mode: r.config.stateGradientInReward,
      };
      const theta = Float64Array.from(r.model.actorParams);
      // The reference reproduces the recorded loss (float32 networks vs float64).
      expect(referenceLoss(ref, theta)).toBeCloseTo(r.stats.loss, 3);
      const rng = new Rng(11);
      const h = 1e-5;
      const g = r.grad;
      const gNorm = Math.hypot(...g);
      expect(gNorm).toBeGreaterThan(1e-3);
      // Random directions, and the coordinates of log σ and of a few weights.
      const directions: Float64Array[] = [];
      for (let k = 0; k < 4; k++) directions.push(Float64Array.from({ length: theta.length }, () => rng.normal()));
      for (const i of [theta.length - 1, 0, Math.floor(theta.length / 2), theta.length - 2]) {
        const d = new Float64Array(theta.length);
        d[i] = 1;
        directions.push(d);
      }
      for (const d of directions) {
        const plus = theta.map((x, i) => x + h * d[i]);
        const minus = theta.map((x, i) => x - h * d[i]);
        const fd = (referenceLoss(ref, plus) - referenceLoss(ref, minus)) / (2 * h);
        let analytic = 0;
        for (let i = 0; i < g.length; i++) analytic += g[i] * d[i];
        const scaleOf = Math.max(Math.abs(fd), 1e-3 * gNorm * Math.hypot(...d));
        expect(Math.abs(analytic - fd) / scaleOf, `${c.name}: g·d = ${analytic}, FD ${fd}`).toBeLessThan(2e-3);
      }
    });
  }
});

describe('window gradient: hand-written adjoints vs tfjs autodiff', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = runWindow(c);
      const before = tf.memory().numTensors;
      const out = windowLossAndGradTf({
        window: r.learner.window,
        actor: { sizes: r.model.actor.sizes, activation: r.config.activation },
        actorParams: r.model.actorParams,
        critic: r.learner.critic ? { sizes: r.model.critic.sizes, activation: r.config.activation } : null,
        criticParams: r.learner.critic?.targetParams ?? null,
        scale: r.scale,
        stateGradientInReward: r.config.stateGradientInReward,
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(out.loss).toBeCloseTo(r.stats.loss, 3);
      let num = 0;
      let den = 0;
      for (let i = 0; i < r.grad.length; i++) {
        num += (out.grad[i] - r.grad[i]) ** 2;
        den += r.grad[i] ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
    });
  }
});

describe('the update', () => {
  it('skips a non-finite update, leaves the parameters as they were, and counts it', () => {
    const c: Case = { name: 'nan', env: new DiffPendulum(), config: {}, maxEpisodeSteps: 200 };
    const { learner, model, venv, rng } = setup(c);
    const ok = learner.update(venv, rng, 0, 0, () => {});
    expect(ok.skipped).toBeNull();
    model.params[3] = Number.NaN;
    model.paramsChanged();
    learner.paramsChanged();
    const before = model.params.slice();
    const bad = learner.update(venv, rng, 48, 0.1, () => {});
    expect(bad.skipped).toMatch(/loss is NaN|non-finite/);
    expect(bad.metrics['train/skippedUpdate']).toBe(1);
    expect(bad.metrics['train/skippedFraction']).toBe(0.5);
    expect(Array.from(model.params).map(String)).toEqual(Array.from(before).map(String));
    expect(learner.skippedUpdates).toBe(1);
    expect(learner.updates).toBe(2);
  });

  it('clips the global gradient norm and reports it before clipping; the annealed lr reaches the optimizer', () => {
    const { learner, venv, rng } = setup({ name: 'clip', env: new DiffPendulum(), config: { maxGradNorm: 1e-3, lr: 0.01, annealLr: true }, maxEpisodeSteps: 200 });
    const r = learner.update(venv, rng, 0, 0.25, () => {});
    expect(r.metrics['train/gradNorm']).toBeGreaterThan(1e-3);
    expect(r.metrics['train/learningRate']).toBeCloseTo(0.0075, 12);
  });

  it('engine tfjs: the same update as engine js (to float32), and no tensor leaks across updates', () => {
    const c: Case = { name: 'leak', env: new DiffPendulum(), config: { criticBootstrap: true, normalizeObs: true }, maxEpisodeSteps: 20 };
    const js = setup(c);
    const viaTf = setup({ ...c, config: { ...c.config, engine: 'tfjs' } });
    const counts: number[] = [];
    for (let k = 0; k < 4; k++) {
      const a = js.learner.update(js.venv, js.rng, k * 48, k / 4, () => {});
      const b = viaTf.learner.update(viaTf.venv, viaTf.rng, k * 48, k / 4, () => {});
      counts.push(tf.memory().numTensors);
      expect(b.metrics['train/policyLoss']).toBeCloseTo(a.metrics['train/policyLoss'], 2);
      expect(b.metrics['train/gradNorm']).toBeCloseTo(a.metrics['train/gradNorm'], 1);
    }
    expect(new Set(counts).size).toBe(1);
    let maxDiff = 0;
    for (let i = 0; i < js.model.params.length; i++) maxDiff = Math.max(maxDiff, Math.abs(js.model.params[i] - viaTf.model.params[i]));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it("the critic's targets are core/common/returns.ts λ-returns of the window with the target critic's values", () => {
    const { learner, venv, rng, model } = setup({ name: 'critic', env: new DiffPendulum(), config: { criticBootstrap: true }, maxEpisodeSteps: 10 });
    const scale = learner.scale();
    const w = learner.window;
    w.run({ venv, actor: learner.actor, logStd: model.logStd, critic: learner.critic!.target, valueRows: true, scale, gamma: 0.99, rng, stepBefore: 0, onEpisode: () => {} });
    const targets = learner.critic!.targetsOf(w);
    // By hand: bootstrap V̄(final) where truncated, V̄(s_K) at the end.
    const N = w.N;
    const finalValues = new Float32Array(w.K * N);
    const lastValues = new Float32Array(N);
    for (let b = 0; b < w.bootCount; b++) {
      if (w.bootT[b] === w.K) lastValues[w.bootE[b]] = w.bootValues[b];
      else finalValues[w.bootT[b] * N + w.bootE[b]] = w.bootValues[b];
    }
    const expected = lambdaReturns(
      { rewards: Float32Array.from(w.rewards), values: w.stateValues, terminated: w.terminated, truncated: w.truncated, finalValues, lastValues, numEnvs: N, gamma: 0.99 },
      0.95,
    );
    expect(Array.from(targets)).toEqual(Array.from(expected));
    expect(w.truncated.some((x) => x === 1)).toBe(true);
    // V̄ is the target critic: after an update it moved towards the critic by (1 − α).
    const targetBefore = learner.critic!.targetParams.slice();
    learner.critic!.update(w, rng, 1e-3);
    const a = learner.config.targetCriticAlpha;
    for (const i of [0, 5, targetBefore.length - 1]) {
      expect(learner.critic!.targetParams[i]).toBeCloseTo(a * targetBefore[i] + (1 - a) * model.criticParams[i], 6);
    }
  });
});
