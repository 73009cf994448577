/**
 * Differentiable envs (core/envs/diff): the same dynamics as Gymnasium 0.29.1 — replayed against the shipped
 * reference episodes, step by step and free-running, and against the classic cores on random states — and correct
 * derivatives: every adjoint (step, observation, action squash) against central finite differences in float64, both
 * settings of stateGradientInReward, inside and at the clips; and the tfjs twins against the JS steps (values and
 * gradients, to float32 accuracy).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { makeEnv, makeEnvCore, VectorEnv, type EnvId } from '../../../core/envs/index.js';
import {
  DIFF_ENV_IDS,
  DiffMountainCarContinuous,
  DiffPendulum,
  DiffPointReach,
  DiffVectorEnv,
  makeDiffEnv,
  squashAction,
  squashActionVjp,
  type DiffEnv,
  type StateGradientInReward,
} from '../../../core/envs/diff/index.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { CLASSIC_FIXTURE_PATH, EXTRA_FIXTURE_PATH, loadReferenceFile, type ReferenceEpisode } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

function actionOf(a: number | number[]): number[] {
  return typeof a === 'number' ? [a] : a;
}

/** One step of one copy: next state, reward, terminated. */
function stepOne(env: DiffEnv, state: readonly number[], action: readonly number[]): { next: number[]; reward: number; terminated: boolean } {
  const next = new Float64Array(env.stateSize);
  const r = new Float64Array(1);
  const term = new Uint8Array(1);
  env.step(Float64Array.from(state), action, 1, next, r, term);
  return { next: Array.from(next), reward: r[0], terminated: term[0] === 1 };
}

function observeOne(env: DiffEnv, state: readonly number[]): number[] {
  const obs = new Float64Array(env.obsDim);
  env.observe(Float64Array.from(state), 1, obs);
  return Array.from(obs);
}

function expectStateClose(actual: readonly number[], expected: readonly number[], what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-9 * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

const references: { id: 'Pendulum-v1' | 'MountainCarContinuous-v0'; file: string; ep: ReferenceEpisode }[] = [];
for (const file of [CLASSIC_FIXTURE_PATH, EXTRA_FIXTURE_PATH]) {
  const ref = loadReferenceFile(file);
  for (const id of ['Pendulum-v1', 'MountainCarContinuous-v0'] as const) for (const ep of ref.envs[id] ?? []) references.push({ id, file, ep });
}

describe('Gymnasium fidelity: reference episodes', () => {
  it('covers both Gymnasium twins, with saturated speed, clipped actions, the left wall and the goal', () => {
    expect(references.filter((r) => r.id === 'Pendulum-v1').length).toBe(5);
    expect(references.filter((r) => r.id === 'MountainCarContinuous-v0').length).toBe(3);
    expect(references.some((r) => r.id === 'Pendulum-v1' && r.ep.states.some((s) => Math.abs(s[1]) === 8))).toBe(true);
    expect(references.some((r) => r.id === 'MountainCarContinuous-v0' && r.ep.terminated.includes(true))).toBe(true);
    expect(references.some((r) => r.id === 'MountainCarContinuous-v0' && r.ep.states.some((s) => s[0] === Math.fround(-1.2)))).toBe(true);
  });

  for (const { id, file, ep } of references) {
    const name = `${id} seed ${ep.seed} (${ep.policy}, ${file.endsWith('extra.json') ? 'extra' : 'classic'} fixture)`;
    it(`${name}: every next state, reward and termination, stepping from the reference state`, () => {
      const env = makeDiffEnv(id);
      for (let t = 0; t < ep.actions.length; t++) {
        const from = t === 0 ? ep.initialState : ep.states[t - 1];
        const r = stepOne(env, from, actionOf(ep.actions[t]));
        expectStateClose(r.next, ep.states[t], `step ${t} state`);
        expect(Math.abs(r.reward - ep.rewards[t]), `step ${t} reward`).toBeLessThanOrEqual(1e-12 * Math.abs(ep.rewards[t]) + 1e-15);
        expect(r.terminated, `step ${t} terminated`).toBe(ep.terminated[t]);
        const obs = observeOne(env, r.next);
        for (let k = 0; k < obs.length; k++) expect(Math.abs(obs[k] - ep.obs[t][k]), `step ${t} obs[${k}]`).toBeLessThanOrEqual(1e-5);
      }
    });
    it(`${name}: free-running from the initial state, observations to float32 accuracy`, () => {
      const env = makeDiffEnv(id);
      let state = ep.initialState;
      for (let t = 0; t < ep.actions.length; t++) {
        const r = stepOne(env, state, actionOf(ep.actions[t]));
        const obs = observeOne(env, r.next);
        for (let k = 0; k < obs.length; k++) expect(Math.abs(obs[k] - ep.obs[t][k]), `step ${t} obs[${k}]`).toBeLessThanOrEqual(1e-5);
        expect(r.terminated, `step ${t} terminated`).toBe(ep.terminated[t]);
        state = r.next;
      }
    });
  }
});

describe('Gymnasium fidelity: the classic cores on random states and actions', () => {
  for (const id of ['Pendulum-v1', 'MountainCarContinuous-v0'] as const) {
    it(`${id}: identical next state, reward and termination (including saturated speeds and out-of-range actions)`, () => {
      const core = makeEnvCore(id);
      const env = makeDiffEnv(id);
      const rng = new Rng(7);
      const slot = new Float64Array(core.slotSize);
      const obs = new Float32Array(core.observationSpace.low.length);
      const rew = new Float64Array(1);
      for (let k = 0; k < 2000; k++) {
        const state = id === 'Pendulum-v1' ? [rng.uniformRange(-7, 7), rng.uniformRange(-9, 9)] : [rng.uniformRange(-1.25, 0.65), rng.uniformRange(-0.08, 0.08)];
        const action = [Math.fround(rng.uniformRange(-3, 3))];
        slot.set(state);
        const term = core.step(slot, 0, action, 0, obs, 0, rew, 0, rng);
        const r = stepOne(env, state, action);
        expect(r.next).toEqual(Array.from(slot.subarray(0, 2)));
        expect(r.reward).toBe(rew[0]);
        expect(r.terminated).toBe(term === 1);
      }
    });
  }

  for (const id of DIFF_ENV_IDS) {
    it(`${id}: DiffVectorEnv copy i starts and steps as VectorEnv copy i (seed + i), through autoresets`, () => {
      const env = makeDiffEnv(id);
      const N = 3;
      const v = new DiffVectorEnv(env, N, 11, 60);
      v.resetAll(11);
      const rng = new Rng(3);
      const actions = new Float64Array(N * env.actDim);
      if (id === 'PointReach-v0') {
        // No classic twin: the reset distribution is the env's own; check it is seeded per copy.
        const w = new DiffVectorEnv(env, N, 11, 60);
        w.resetAll(11);
        expect(Array.from(w.states)).toEqual(Array.from(v.states));
        expect(new Set(Array.from({ length: N }, (_, i) => v.states[i * env.stateSize])).size).toBe(N);
        return;
      }
      const ref = new VectorEnv(id as EnvId, N, 11, { maxEpisodeSteps: 60 });
      ref.reset(11);
      for (let i = 0; i < N; i++) {
        const single = makeEnv(id as EnvId);
        single.reset(11 + i);
        expect(Array.from(v.states.subarray(2 * i, 2 * i + 2))).toEqual(single.getState());
      }
      let episodes = 0;
      for (let t = 0; t < 150; t++) {
        for (let i = 0; i < actions.length; i++) actions[i] = Math.fround(rng.uniformRange(-2, 2));
        v.step(actions);
        ref.step(Float32Array.from(actions));
        expect(Array.from(v.truncated)).toEqual(Array.from(ref.truncated));
        expect(Array.from(v.terminated)).toEqual(Array.from(ref.terminated));
        for (let i = 0; i < N; i++) {
          expect(v.rewards[i]).toBeCloseTo(ref.rewards[i], 5); // VectorEnv stores float32 rewards
          expect(Array.from(v.states.subarray(2 * i, 2 * i + 2))).toEqual(ref.getStates()[i]);
        }
        const done = v.drainEpisodes();
        const refDone = ref.drainEpisodes();
        expect(done.lengths).toEqual(refDone.lengths);
        episodes += done.lengths.length;
      }
      expect(episodes).toBeGreaterThanOrEqual(N * 2);
    });
  }

  it('DiffVectorEnv snapshot → restore continues identically; bad snapshots change nothing', () => {
    const env = new DiffPendulum();
    const a = new DiffVectorEnv(env, 2, 5);
    a.resetAll(5);
    const act = new Float64Array([0.5, -1]);
    for (let t = 0; t < 150; t++) a.step(act);
    const snap = a.snapshot();
    const b = new DiffVectorEnv(env, 2, 99);
    b.restore(JSON.parse(JSON.stringify(snap)));
    for (let t = 0; t < 120; t++) {
      a.step(act);
      b.step(act);
    }
    expect(Array.from(b.states)).toEqual(Array.from(a.states));
    const episodes = a.drainEpisodes();
    expect(episodes.lengths).toEqual([200, 200]);
    expect(b.drainEpisodes()).toEqual(episodes);
    const before = Array.from(b.states);
    expect(() => b.restore([snap[0]])).toThrow(/needs 2 snapshots/);
    expect(() => b.restore([snap[0], { ...snap[1], state: [1] }])).toThrow(/snapshot 1 needs a state of 2 finite numbers/);
    expect(Array.from(b.states)).toEqual(before);
  });
});

// ---- derivatives -------------------------------------------------------------------------------------------------

interface Case {
  env: DiffEnv;
  state: number[];
  action: number[];
  label: string;
}

function randomCases(env: DiffEnv, rng: Rng, count: number): Case[] {
  const cases: Case[] = [];
  for (let k = 0; k < count; k++) {
    let state: number[];
    if (env instanceof DiffPendulum) state = [rng.uniformRange(-3, 3), rng.uniformRange(-6, 6)];
    else if (env instanceof DiffMountainCarContinuous) state = [rng.uniformRange(-1.1, 0.4), rng.uniformRange(-0.05, 0.05)];
    else state = Array.from({ length: 6 }, () => rng.uniformRange(-1, 1));
    const action = Array.from({ length: env.actDim }, () => rng.uniformRange(-0.9, 0.9) * env.actionHigh[0]);
    cases.push({ env, state, action, label: `${env.id} random ${k}` });
  }
  return cases;
}

/** f = ⟨dNext, next(s, a)⟩ + ⟨dR, r(s_r, a)⟩, with s_r = s (full) or a fixed copy of s (stopGradient). */
function objective(env: DiffEnv, s: number[], a: number[], sReward: number[] | null, dNext: number[], dR: number): number {
  const r = stepOne(env, s, a);
  const reward = sReward ? stepOne(env, sReward, a).reward : r.reward;
  let f = dR * reward;
  for (let i = 0; i < dNext.length; i++) f += dNext[i] * r.next[i];
  return f;
}

function checkStepVjp(c: Case, mode: StateGradientInReward, rng: Rng): void {
  const { env, state, action } = c;
  const dNext = Array.from({ length: env.stateSize }, () => rng.normal());
  const dR = rng.normal();
  const dStates = new Float64Array(env.stateSize);
  const dActions = new Float64Array(env.actDim);
  env.stepVjp(Float64Array.from(state), action, 1, Float64Array.from(dNext), [dR], mode, dStates, dActions);
  const h = 1e-6;
  const fixed = mode === 'stopGradient' ? state : null;
  for (let i = 0; i < env.stateSize; i++) {
    const p = [...state];
    const m = [...state];
    p[i] += h;
    m[i] -= h;
    const fd = (objective(env, p, action, fixed, dNext, dR) - objective(env, m, action, fixed, dNext, dR)) / (2 * h);
    expect(Math.abs(dStates[i] - fd), `${c.label} ${mode}: d state[${i}] = ${dStates[i]}, FD ${fd}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
  }
  for (let j = 0; j < env.actDim; j++) {
    const p = [...action];
    const m = [...action];
    p[j] += h;
    m[j] -= h;
    const fd = (objective(env, state, p, fixed, dNext, dR) - objective(env, state, m, fixed, dNext, dR)) / (2 * h);
    expect(Math.abs(dActions[j] - fd), `${c.label} ${mode}: d action[${j}] = ${dActions[j]}, FD ${fd}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
  }
}

describe('adjoints against central finite differences (float64)', () => {
  const float64Envs: DiffEnv[] = [new DiffPendulum({ float32: false }), new DiffMountainCarContinuous({ float32: false }), new DiffPointReach()];
  const rng = new Rng(2024);
  for (const env of float64Envs) {
    for (const mode of ['full', 'stopGradient'] as const) {
      it(`${env.id}, stateGradientInReward ${mode}: stepVjp on 40 random states and actions`, () => {
        for (const c of randomCases(env, rng, 40)) checkStepVjp(c, mode, rng);
      });
    }
    it(`${env.id}: observeVjp`, () => {
      for (const c of randomCases(env, rng, 20)) {
        const dObs = Array.from({ length: env.obsDim }, () => rng.normal());
        const dStates = new Float64Array(env.stateSize);
        env.observeVjp(Float64Array.from(c.state), 1, dObs, dStates);
        const h = 1e-6;
        for (let i = 0; i < env.stateSize; i++) {
          const p = [...c.state];
          const m = [...c.state];
          p[i] += h;
          m[i] -= h;
          const op = observeOne(env, p);
          const om = observeOne(env, m);
          let fd = 0;
          for (let k = 0; k < env.obsDim; k++) fd += (dObs[k] * (op[k] - om[k])) / (2 * h);
          expect(Math.abs(dStates[i] - fd)).toBeLessThanOrEqual(1e-7);
        }
      }
    });
  }

  it('saturated clips pass no gradient: Pendulum at max speed, Mountain Car at the speed limit and the left wall', () => {
    const rngS = new Rng(5);
    const cases: Case[] = [
      { env: new DiffPendulum({ float32: false }), state: [0.3, 7.99], action: [1.9], label: 'pendulum saturating +8' },
      { env: new DiffPendulum({ float32: false }), state: [-0.3, -7.99], action: [-1.9], label: 'pendulum saturating −8' },
      { env: new DiffMountainCarContinuous({ float32: false }), state: [-0.2, 0.0695], action: [0.9], label: 'car at +0.07' },
      { env: new DiffMountainCarContinuous({ float32: false }), state: [-1.19, -0.05], action: [-0.5], label: 'car hits the left wall' },
    ];
    for (const c of cases) for (const mode of ['full', 'stopGradient'] as const) checkStepVjp(c, mode, rngS);
    // And the gradient through the saturated speed really is cut: θ̇' does not depend on θ̇.
    const env = new DiffPendulum();
    const dStates = new Float64Array(2);
    env.stepVjp(Float64Array.from([0.3, 7.99]), [1.9], 1, Float64Array.from([0, 1]), [0], 'full', dStates, new Float64Array(1));
    expect(dStates[1]).toBe(0);
  });

  it('Pendulum with stopGradient: the reward gradient is −0.002·u on the action and nothing on the state', () => {
    const env = new DiffPendulum({ float32: false });
    const dStates = new Float64Array(2);
    const dActions = new Float64Array(1);
    env.stepVjp(Float64Array.from([2.5, 3]), [1.2], 1, new Float64Array(2), [1], 'stopGradient', dStates, dActions);
    expect(Array.from(dStates)).toEqual([0, 0]);
    expect(dActions[0]).toBeCloseTo(-0.002 * 1.2, 15);
  });

  it('squashAction stays strictly inside the bounds; its VJP matches finite differences', () => {
    const low = [-2, -1];
    const high = [2, 3];
    const z = [-30, 30, 0.3, -0.7];
    const out = new Float64Array(4);
    const t = new Float64Array(4);
    squashAction(z, 2, low, high, out, t);
    expect(out[0]).toBeGreaterThanOrEqual(-2);
    expect(out[1]).toBeLessThanOrEqual(3);
    const dz = new Float64Array(4);
    squashActionVjp([1, 1, 1, 1], t, 2, low, high, dz);
    const h = 1e-6;
    for (const i of [2, 3]) {
      const zp = [...z];
      const zm = [...z];
      zp[i] += h;
      zm[i] -= h;
      const op = new Float64Array(4);
      const om = new Float64Array(4);
      squashAction(zp, 2, low, high, op, new Float64Array(4));
      squashAction(zm, 2, low, high, om, new Float64Array(4));
      expect(dz[i]).toBeCloseTo((op[i] - om[i]) / (2 * h), 8);
    }
  });
});

describe('tfjs twins (float32) agree with the JS steps', () => {
  const rng = new Rng(9);
  for (const id of DIFF_ENV_IDS) {
    for (const mode of ['full', 'stopGradient'] as const) {
      it(`${id}, ${mode}: next states, rewards and the gradient of ⟨dNext, next⟩ + ⟨dR, r⟩`, () => {
        const env = makeDiffEnv(id);
        const n = 16;
        const cases = randomCases(env, rng, n);
        const states = Float64Array.from(cases.flatMap((c) => c.state));
        const actions = Float64Array.from(cases.flatMap((c) => c.action));
        const next = new Float64Array(n * env.stateSize);
        const rewards = new Float64Array(n);
        env.step(states, actions, n, next, rewards, new Uint8Array(n));
        const dNext = Float64Array.from({ length: n * env.stateSize }, () => rng.normal());
        const dR = Float64Array.from({ length: n }, () => rng.normal());
        const dStates = new Float64Array(n * env.stateSize);
        const dActions = new Float64Array(n * env.actDim);
        env.stepVjp(states, actions, n, dNext, dR, mode, dStates, dActions);
        const before = tf.memory().numTensors;
        const out = tf.tidy(() => {
          const s = tf.tensor2d(Float32Array.from(states), [n, env.stateSize]);
          const a = tf.tensor2d(Float32Array.from(actions), [n, env.actDim]);
          const f = (si: tf.Tensor, ai: tf.Tensor) => {
            const r = env.stepTf(si as tf.Tensor2D, ai as tf.Tensor2D, mode);
            return tf.add(tf.sum(tf.mul(r.next, tf.tensor2d(Float32Array.from(dNext), [n, env.stateSize]))), tf.sum(tf.mul(r.rewards, tf.tensor1d(Float32Array.from(dR)))));
          };
          const [gs, ga] = tf.grads(f)([s, a]);
          const r = env.stepTf(s, a, mode);
          return { next: r.next.dataSync(), rewards: r.rewards.dataSync(), gs: gs.dataSync(), ga: ga.dataSync(), obs: env.observeTf(s).dataSync() };
        });
        expect(tf.memory().numTensors).toBe(before);
        const close = (x: ArrayLike<number>, y: ArrayLike<number>, tol: number, what: string) => {
          for (let i = 0; i < y.length; i++) expect(Math.abs(x[i] - y[i]), `${what}[${i}]: ${x[i]} vs ${y[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y[i])));
        };
        close(out.next, next, 1e-5, 'next');
        close(out.rewards, rewards, 1e-5, 'rewards');
        close(out.gs, dStates, 1e-4, 'd states');
        close(out.ga, dActions, 1e-4, 'd actions');
        const obs = new Float64Array(n * env.obsDim);
        env.observe(states, n, obs);
        close(out.obs, obs, 1e-6, 'obs');
      });
    }
  }
});
