/**
 * DD-PPO's update is PPO's update, distributed: with syncFraction 1, one minibatch and one epoch, N workers each
 * holding 1/N of a rollout give (after the gradient all-reduce) the gradient and the weights of single-process PPO on
 * the whole rollout, to float tolerance (only the summation order differs). Advantages normalised over every worker
 * (distributedAdvNorm) equal PPO's whole-batch normalisation. And the update creates no tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Collector, type PhaseClock } from '../../../core/algos/collect.js';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { update } from '../../../core/algos/ddppo/ddppo.js';
import { ActorCritic } from '../../../core/algos/model.js';
import { Adam } from '../../../core/algos/nn/optim.js';
import { ppo } from '../../../core/algos/ppo/ppo.js';
import { gaeTargets, MinibatchGatherer } from '../../../core/algos/samples.js';
import type { Samples } from '../../../core/algos/types.js';
import { createLocalShared, LocalCollective } from '../../../core/collective/local.js';
import { Rng } from '../../../core/common/rng.js';
import { envSpec, VectorEnv } from '../../../core/envs/index.js';

const N = 2;
const E = 3;
const T = 16;
const config = ddppoConfigSchema.parse({ workers: N, numEnvs: E, numSteps: T, numMinibatches: 1, updateEpochs: 1, syncFraction: 1, normAdv: true, distributedAdvNorm: true, maxGradNorm: 1e9, annealLr: false });
const ppoConfig = { ...config, numEnvs: N * E };

function slice(s: Samples, from: number, to: number, obsDim: number, actDim: number): Samples {
  return {
    size: to - from,
    obs: s.obs.slice(from * obsDim, to * obsDim),
    actions: s.actions.slice(from * actDim, to * actDim),
    logProbs: s.logProbs.slice(from, to),
    values: s.values.slice(from, to),
    advantages: s.advantages.slice(from, to),
    returns: s.returns.slice(from, to),
  };
}

function copySamples(s: Samples): Samples {
  return { size: s.size, obs: s.obs.slice(), actions: s.actions.slice(), logProbs: s.logProbs.slice(), values: s.values.slice(), advantages: s.advantages.slice(), returns: s.returns.slice() };
}

describe('DD-PPO update = PPO update on the same data', () => {
  it.each(['CartPole-v1', 'Pendulum-v1'] as const)('%s: 2 workers × 3 envs ≡ PPO with 6 envs (gradient and weights)', async (envId) => {
    const spec = envSpec(envId);
    const modelSpec = { obsDim: spec.obsDim, actionSpace: spec.actionSpace, hiddenSizes: config.hiddenSizes, activation: config.activation, logStdInit: config.logStdInit };
    // One rollout of N·E envs, as single-process PPO collects it.
    const ref = ActorCritic.create(modelSpec, new Rng(7));
    const venv = new VectorEnv(envId, N * E, 7);
    const collector = new Collector(venv, ref, ppoConfig, { numEnvs: N * E, numSteps: T });
    collector.reset(7);
    const clock: PhaseClock = { env: 0, inference: 0, update: 0, logging: 0 };
    const rollout = collector.collect(new Rng(8), 0, () => undefined, clock, true);
    gaeTargets(collector.buffer, rollout.steps, config.gamma, config.gaeLambda);
    const all = copySamples(collector.takeSamples());
    const before = ref.params.slice();

    const tensorsBefore = tf.memory().numTensors;
    // N replicas with the same weights, each updating on its share over a local collective (one thread, waitAsync).
    const shared = createLocalShared(N, ref.params.length);
    const share = all.size / N;
    const replicas = Array.from({ length: N }, (_, r) => {
      const m = ActorCritic.create(modelSpec, new Rng(7));
      return { model: m, opt: new Adam(m.params.length, config.adamEps), coll: new LocalCollective(shared, r, N, { blocking: false }), samples: slice(all, r * share, (r + 1) * share, spec.obsDim, m.actDim) };
    });
    await Promise.all(replicas.map((w, r) => update(w.coll, w.model, w.opt, new MinibatchGatherer(spec.obsDim, w.model.actDim), w.samples, config, new Rng(100 + r), 0)));
    expect(tf.memory().numTensors).toBe(tensorsBefore); // the js engine: no tfjs tensors

    // Single-process PPO on the whole rollout.
    ppo.update({ model: ref, samples: all, config: ppoConfig, rng: new Rng(9), progress: 0, optimizers: ppo.createOptimizers(ref, ppoConfig) });

    const g = replicas[0].model.grads;
    let maxG = 0;
    for (let i = 0; i < g.length; i++) maxG = Math.max(maxG, Math.abs(ref.grads[i]));
    expect(maxG).toBeGreaterThan(1e-4); // a real gradient
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - ref.grads[i])).toBeLessThan(1e-5 * maxG + 1e-7);
    for (let i = 0; i < g.length; i++) expect(Math.abs(replicas[0].model.params[i] - ref.params[i])).toBeLessThan(1e-6);
    // Every replica took the identical step, and the step moved the weights.
    expect(replicas[1].model.params).toEqual(replicas[0].model.params);
    expect(ref.params).not.toEqual(before);
  });
});
