/**
 * gSDE wired into the engines: PPO's, A2C's and TRPO's gradients and TRPO's Fisher-vector products through the
 * hand-derived engine against the tfjs path (and against the KL's curvature by finite differences), the model's
 * log-std block and latent, deterministic actions = the mean, the discrete refusal, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { a2cLossJs, a2cLossTf } from '../../../core/algos/a2c/a2c.js';
import { GsdeNoise, gsdeLogStdSize } from '../../../core/algos/gsde.js';
import { ActorCritic } from '../../../core/algos/model.js';
import { policyForward } from '../../../core/algos/pg-js.js';
import { ppoLossJs } from '../../../core/algos/ppo/ppo.js';
import { ppoLossTf } from '../../../core/algos/ppo/ppo-tf.js';
import { evaluatePolicy, snapshotPolicy } from '../../../core/algos/trpo/policy-eval.js';
import { fisherVectorProductJs, surrogateGradJs } from '../../../core/algos/trpo/trpo.js';
import { fisherVectorProductTf, surrogateGradTf } from '../../../core/algos/trpo/trpo-tf.js';
import { Rng } from '../../../core/common/rng.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { expectAllClose, randomBatch } from '../algos/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const VARIANTS = [
  { fullStd: true, useExpln: false },
  { fullStd: false, useExpln: false },
  { fullStd: true, useExpln: true },
];

function gsdeModel(gsde: { fullStd: boolean; useExpln: boolean }, seed: number): ActorCritic {
  const actionSpace = { kind: 'box', shape: [2], low: new Float32Array([-2, -2]), high: new Float32Array([2, 2]) } as const;
  const rng = new Rng(seed);
  const model = ActorCritic.create({ obsDim: 5, actionSpace, hiddenSizes: [8, 6], activation: 'tanh', logStdInit: -0.5, gsde }, rng);
  for (let i = 0; i < model.params.length; i++) model.params[i] += 0.2 * rng.normal();
  // Log-stds on both sides of 0 (expln's two branches).
  for (let i = 0; i < model.logStd.length; i++) model.logStd[i] = 0.7 * rng.normal();
  model.paramsChanged();
  return model;
}

const name = (g: { fullStd: boolean; useExpln: boolean }) => `fullStd=${g.fullStd} expln=${g.useExpln}`;

describe('gSDE model', () => {
  it('log-std block is p×d (fullStd) or p, p = the last hidden width; deterministic actions are the mean', () => {
    for (const g of VARIANTS) {
      const model = gsdeModel(g, 1);
      expect(model.logStd.length).toBe(gsdeLogStdSize(model.gsde!));
      expect(model.logStd.length).toBe(g.fullStd ? 12 : 6);
      const obs = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i));
      const actions = new Float32Array(6);
      const env = new Float32Array(6);
      model.act(obs, 3, new Rng(0), true, actions, env, null, false);
      expect(Array.from(actions)).toEqual(Array.from(model.actor.forward(obs, 3)));
      // Sampling needs the noise, and then adds φ(s)ᵀE to the mean.
      expect(() => model.act(obs, 3, new Rng(0), false, actions, env, null, false)).toThrow(/exploration noise/);
      const noise = new GsdeNoise(model.gsde!, 3, -1);
      noise.resample(model.logStd, new Rng(2));
      const logProbs = new Float32Array(3);
      model.act(obs, 3, new Rng(0), false, actions, env, logProbs, false, noise);
      const mean = model.actor.forward(obs, 3).slice();
      const eps = noise.noise(model.latent(3), 3, new Float32Array(6));
      expectAllClose(actions, mean.map((m, i) => m + eps[i]), 1e-6);
      // The stored log-prob is the one the update's forward pass computes for the same action.
      const { logProbs: again } = policyForward(model, obs, actions, 3);
      expectAllClose(logProbs, again, 1e-6);
    }
  });

  it('a discrete action space refuses useSde, naming it', () => {
    expect(
      () => new ActorCritic({ obsDim: 4, actionSpace: { kind: 'discrete', n: 2 }, hiddenSizes: [8], activation: 'tanh', logStdInit: 0, gsde: { fullStd: true, useExpln: false } }),
    ).toThrow(/useSde needs a continuous \(Box\) action space/);
  });
});

describe('gSDE gradients: hand-derived engine = tfjs autodiff', () => {
  for (const g of VARIANTS) {
    it(`PPO loss (${name(g)})`, () => {
      const model = gsdeModel(g, 3);
      const batch = randomBatch(model, 24, 4);
      const coefs = { clip: true, clipCoef: 0.2, clipVloss: true, entCoef: 0.05, vfCoef: 0.5 };
      model.grads.fill(0);
      const js = ppoLossJs(model, batch, coefs);
      const gJs = model.grads.slice();
      const t = ppoLossTf(model, batch, coefs);
      expect(js.loss).toBeCloseTo(t.loss, 4);
      expect(js.entropy).toBeCloseTo(t.entropy, 4);
      expectAllClose(gJs, model.grads, 2e-3);
      // The log-std block really receives gradient (the test would pass vacuously otherwise).
      expect(Math.max(...Array.from(model.logStdGrads, Math.abs))).toBeGreaterThan(1e-4);
    });

    it(`A2C loss (${name(g)})`, () => {
      const model = gsdeModel(g, 5);
      const batch = randomBatch(model, 20, 6);
      model.grads.fill(0);
      const js = a2cLossJs(model, batch, { entCoef: 0.01, vfCoef: 0.5 });
      const gJs = model.grads.slice();
      const t = a2cLossTf(model, batch, { entCoef: 0.01, vfCoef: 0.5 });
      expect(js.loss).toBeCloseTo(t.loss, 4);
      expectAllClose(gJs, model.grads, 2e-3);
    });

    it(`TRPO surrogate gradient and Fisher-vector product (${name(g)})`, () => {
      const model = gsdeModel(g, 7);
      const batch = randomBatch(model, 23, 8);
      expectAllClose(surrogateGradJs(model, batch), surrogateGradTf(model, batch), 2e-3);
      const size = model.actorParams.length;
      const rng = new Rng(9);
      const u = Float64Array.from({ length: size }, () => rng.normal());
      const v = Float64Array.from({ length: size }, () => rng.normal());
      const fvpJs = fisherVectorProductJs(model, batch.obs, batch.size, 0.1);
      const fvpTf = fisherVectorProductTf(model, batch.obs, batch.size, 0.1);
      const fu = fvpJs(u);
      expectAllClose(fu, fvpTf(u), 2e-3);
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
      const fv = fvpJs(v);
      expect(dot(v, fu)).toBeCloseTo(dot(u, fv), 4);
      // Curvature of the exact mean KL along a direction that leaves the latent unchanged (the output layer and the
      // log-std block): KL(θ_old ‖ θ + εw) ≈ ½ ε² wᵀFw.
      const net = model.actor.numParams;
      const headStart = net - (6 * 2 + 2);
      const w = new Float64Array(size);
      for (let i = headStart; i < size; i++) w[i] = rng.normal();
      const old = snapshotPolicy(model, batch);
      const theta = model.actorParams.slice();
      const eps = 1e-2;
      for (let i = 0; i < size; i++) model.actorParams[i] = theta[i] + eps * w[i];
      model.paramsChanged();
      const kl = evaluatePolicy(model, batch, old).kl;
      model.actorParams.set(theta);
      model.paramsChanged();
      const fw = fvpJs(w);
      const wFw = dot(w, fw) - 0.1 * dot(w, w);
      expect(Math.abs((2 * kl) / (eps * eps) - wFw) / wFw).toBeLessThan(0.05);
    });
  }
});

describe('gSDE tfjs path leaks nothing', () => {
  it('PPO loss, A2C loss and the Fisher-vector product keep tf.memory().numTensors unchanged', () => {
    const model = gsdeModel({ fullStd: true, useExpln: true }, 11);
    const batch = randomBatch(model, 16, 12);
    const counts: number[] = [];
    for (let k = 0; k < 3; k++) {
      ppoLossTf(model, batch, { clip: true, clipCoef: 0.2, clipVloss: false, entCoef: 0.01, vfCoef: 0.5 });
      a2cLossTf(model, batch, { entCoef: 0.01, vfCoef: 0.5 });
      fisherVectorProductTf(model, batch.obs, batch.size, 0.1)(new Float64Array(model.actorParams.length).fill(0.1));
      surrogateGradTf(model, batch);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
  });
});
