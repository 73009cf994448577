/** Spaces, reset distributions, reproducibility, time limits and snapshots of every registered env. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { ENV_IDS, makeEnv, prepareEnv, type Action, type EnvId, type Space } from '../../../core/envs/index.js';

const f = Math.fround;

beforeAll(async () => {
  for (const id of ENV_IDS) await prepareEnv(id);
});
const F32_MAX = 3.4028234663852886e38;

function randomAction(space: Space, rng: Rng): Action {
  if (space.kind === 'discrete') return rng.integer(space.n);
  return Array.from(space.low, (lo, i) => rng.uniformRange(lo * 1.5, space.high[i] * 1.5));
}

describe('spaces', () => {
  const cases: Record<EnvId, { low: number[]; high: number[]; action: Space | { kind: 'box'; low: number[]; high: number[] } }> = {
    'CartPole-v1': {
      low: [-4.8, -F32_MAX, -f((12 * 2 * Math.PI) / 360) * 2, -F32_MAX].map(f),
      high: [4.8, F32_MAX, f(((12 * 2 * Math.PI) / 360) * 2), F32_MAX].map(f),
      action: { kind: 'discrete', n: 2 },
    },
    'Acrobot-v1': {
      low: [-1, -1, -1, -1, -4 * Math.PI, -9 * Math.PI].map(f),
      high: [1, 1, 1, 1, 4 * Math.PI, 9 * Math.PI].map(f),
      action: { kind: 'discrete', n: 3 },
    },
    'MountainCar-v0': { low: [-1.2, -0.07].map(f), high: [0.6, 0.07].map(f), action: { kind: 'discrete', n: 3 } },
    'MountainCarContinuous-v0': {
      low: [-1.2, -0.07].map(f),
      high: [0.6, 0.07].map(f),
      action: { kind: 'box', low: [-1], high: [1] },
    },
    'Pendulum-v1': { low: [-1, -1, -8], high: [1, 1, 8], action: { kind: 'box', low: [-2], high: [2] } },
    'LunarLander-v2': { low: [-1.5, -1.5, -5, -5, -Math.PI, -5, -0, -0].map(f), high: [1.5, 1.5, 5, 5, Math.PI, 5, 1, 1].map(f), action: { kind: 'discrete', n: 4 } },
    'LunarLanderContinuous-v2': {
      low: [-1.5, -1.5, -5, -5, -Math.PI, -5, -0, -0].map(f),
      high: [1.5, 1.5, 5, 5, Math.PI, 5, 1, 1].map(f),
      action: { kind: 'box', low: [-1, -1], high: [1, 1] },
    },
    // Gymnasium's MuJoCo observation spaces are unbounded; action bounds are the actuators' ctrlrange.
    'InvertedPendulum-v4': { low: Array(4).fill(-Infinity), high: Array(4).fill(Infinity), action: { kind: 'box', low: [-3], high: [3] } },
    'HalfCheetah-v4': { low: Array(17).fill(-Infinity), high: Array(17).fill(Infinity), action: { kind: 'box', low: Array(6).fill(-1), high: Array(6).fill(1) } },
    'Hopper-v4': { low: Array(11).fill(-Infinity), high: Array(11).fill(Infinity), action: { kind: 'box', low: Array(3).fill(-1), high: Array(3).fill(1) } },
  };
  for (const id of ENV_IDS) {
    it(`${id} has Gymnasium's float32 observation bounds and action space`, () => {
      const env = makeEnv(id);
      const c = cases[id];
      expect(env.observationSpace.kind).toBe('box');
      expect(env.observationSpace.shape).toEqual([c.low.length]);
      expect(Array.from(env.observationSpace.low)).toEqual(c.low);
      expect(Array.from(env.observationSpace.high)).toEqual(c.high);
      if (c.action.kind === 'discrete') {
        expect(env.actionSpace).toEqual(c.action);
      } else {
        const a = env.actionSpace;
        if (a.kind !== 'box') throw new Error('expected a Box action space');
        expect(a.shape).toEqual([c.action.low.length]);
        expect(Array.from(a.low)).toEqual(c.action.low);
        expect(Array.from(a.high)).toEqual(c.action.high);
      }
    });
  }
});

describe('reset distributions (Gymnasium ranges)', () => {
  const N = 3000;
  function sample(id: EnvId): number[][] {
    const env = makeEnv(id, { seed: 11 });
    return Array.from({ length: N }, () => {
      env.reset();
      return env.getState();
    });
  }
  function expectUniform(values: number[], low: number, high: number, what: string): void {
    const min = Math.min(...values);
    const max = Math.max(...values);
    expect(min, `${what} min`).toBeGreaterThanOrEqual(low);
    expect(max, `${what} max`).toBeLessThanOrEqual(high);
    const width = high - low;
    expect(min - low, `${what} reaches near low`).toBeLessThan(width * 0.01);
    expect(high - max, `${what} reaches near high`).toBeLessThan(width * 0.01);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    // Uniform mean ± 5 standard errors.
    expect(Math.abs(mean - (low + high) / 2), `${what} mean`).toBeLessThan((5 * width) / Math.sqrt(12 * values.length));
  }

  it('CartPole-v1: all four state variables uniform in [-0.05, 0.05)', () => {
    const s = sample('CartPole-v1');
    for (let k = 0; k < 4; k++) expectUniform(s.map((v) => v[k]), -0.05, 0.05, `state[${k}]`);
  });
  it('Acrobot-v1: all four uniform in [-0.1, 0.1], stored as float32 values', () => {
    const s = sample('Acrobot-v1');
    for (let k = 0; k < 4; k++) expectUniform(s.map((v) => v[k]), -0.1, f(0.1), `state[${k}]`);
    expect(s.every((v) => v.every((x) => f(x) === x))).toBe(true);
  });
  for (const id of ['MountainCar-v0', 'MountainCarContinuous-v0'] as const) {
    it(`${id}: position uniform in [-0.6, -0.4), velocity 0`, () => {
      const s = sample(id);
      expectUniform(s.map((v) => v[0]), -0.6, -0.4, 'position');
      expect(s.every((v) => v[1] === 0)).toBe(true);
    });
  }
  it('Pendulum-v1: theta uniform in [-π, π), theta_dot uniform in [-1, 1)', () => {
    const s = sample('Pendulum-v1');
    expectUniform(s.map((v) => v[0]), -Math.PI, Math.PI, 'theta');
    expectUniform(s.map((v) => v[1]), -1, 1, 'theta_dot');
  });
  it('observations are the float32 image of the state', () => {
    const cp = makeEnv('CartPole-v1', { seed: 3 });
    const { obs } = cp.reset();
    expect(Array.from(obs)).toEqual(cp.getState().map(f));
    const pe = makeEnv('Pendulum-v1', { seed: 3 });
    const r = pe.reset();
    const [th, thdot] = pe.getState();
    expect(Array.from(r.obs)).toEqual([f(Math.cos(th)), f(Math.sin(th)), f(thdot)]);
    const ac = makeEnv('Acrobot-v1', { seed: 3 });
    const a = ac.reset().obs;
    const s = ac.getState();
    expect(Array.from(a)).toEqual([Math.cos(s[0]), Math.sin(s[0]), Math.cos(s[1]), Math.sin(s[1]), s[2], s[3]].map(f));
  });
});

describe('reproducibility', () => {
  for (const id of ENV_IDS) {
    it(`${id}: same seed → same episode; different seed → different start`, () => {
      const run = (seed: number) => {
        const env = makeEnv(id);
        const rng = new Rng(99);
        const trace: number[] = Array.from(env.reset(seed).obs);
        for (let t = 0; t < 60; t++) {
          const r = env.step(randomAction(env.actionSpace, rng));
          trace.push(...r.obs, r.reward, Number(r.terminated), Number(r.truncated));
          if (r.terminated || r.truncated) trace.push(...env.reset().obs);
        }
        return trace;
      };
      expect(run(5)).toEqual(run(5));
      expect(run(5).slice(0, 4)).not.toEqual(run(6).slice(0, 4));
    });
  }
  it('reset() without a seed continues the stream; the seed option equals reset(seed)', () => {
    const a = makeEnv('CartPole-v1');
    const first = Array.from(a.reset(42).obs);
    const second = Array.from(a.reset().obs);
    expect(second).not.toEqual(first);
    const b = makeEnv('CartPole-v1', { seed: 42 });
    expect(Array.from(b.reset().obs)).toEqual(first);
    expect(Array.from(b.reset().obs)).toEqual(second);
    expect(Array.from(b.reset(42).obs)).toEqual(first);
  });
  it('rejects a non-integer seed', () => {
    expect(() => makeEnv('CartPole-v1').reset(1.5)).toThrow(/seed must be an integer, got 1.5/);
  });
});

describe('time limits (TimeLimit semantics)', () => {
  const registered: Record<EnvId, number> = {
    'CartPole-v1': 500,
    'Acrobot-v1': 500,
    'MountainCar-v0': 200,
    'MountainCarContinuous-v0': 999,
    'Pendulum-v1': 200,
    'LunarLander-v2': 1000,
    'LunarLanderContinuous-v2': 1000,
    'InvertedPendulum-v4': 1000,
    'HalfCheetah-v4': 1000,
    'Hopper-v4': 1000,
  };
  for (const id of ENV_IDS) {
    it(`${id}: makeEnv applies the registered limit of ${registered[id]}`, () => {
      expect(makeEnv(id).maxEpisodeSteps).toBe(registered[id]);
    });
  }
  it('truncates exactly at the limit and counts from the last reset', () => {
    const env = makeEnv('Pendulum-v1', { seed: 1 });
    env.reset();
    for (let t = 1; t <= 200; t++) {
      const r = env.step([0.5]);
      expect(r.truncated, `step ${t}`).toBe(t === 200);
      expect(r.terminated).toBe(false);
    }
    expect(env.step([0]).truncated).toBe(true); // stepping on stays truncated, as with Gymnasium's TimeLimit
    env.reset();
    expect(env.elapsedSteps).toBe(0);
    expect(env.step([0]).truncated).toBe(false);
  });
  it('MountainCar-v0 coasting never reaches the flag and is truncated at 200', () => {
    const env = makeEnv('MountainCar-v0', { seed: 2 });
    env.reset();
    let r = env.step(1);
    for (let t = 2; t <= 200; t++) r = env.step(1);
    expect(r).toMatchObject({ terminated: false, truncated: true, reward: -1 });
  });
  it('a custom limit applies, and terminated and truncated can both be set', () => {
    const env = makeEnv('CartPole-v1', { seed: 1, maxEpisodeSteps: 3 });
    env.reset();
    env.setState([2.39, 5, 0, 0]); // x > 2.4 after one Euler step
    env.step(1);
    env.step(1);
    const r = env.step(1);
    expect(r.terminated).toBe(true);
    expect(r.truncated).toBe(true);
    expect(() => makeEnv('CartPole-v1', { maxEpisodeSteps: 0 })).toThrow(/maxEpisodeSteps must be a positive integer, got 0/);
  });
});

describe('snapshots and state', () => {
  for (const id of ENV_IDS) {
    it(`${id}: restore() reproduces the continuation exactly (through JSON)`, () => {
      const env = makeEnv(id, { seed: 8 });
      const rng = new Rng(3);
      env.reset();
      const play = (n: number, actions: Action[]) => {
        const out: number[] = [];
        for (let t = 0; t < n; t++) {
          const a = actions[t] ?? (actions[t] = randomAction(env.actionSpace, rng));
          const r = env.step(a);
          out.push(...r.obs, r.reward, Number(r.terminated), Number(r.truncated));
          if (r.terminated || r.truncated) out.push(...env.reset().obs);
        }
        return out;
      };
      play(37, []);
      const snap = JSON.parse(JSON.stringify(env.snapshot()));
      const actions: Action[] = [];
      const first = play(80, actions);
      env.restore(snap);
      expect(env.getState()).toEqual(snap.state);
      expect(play(80, actions)).toEqual(first);
    });
  }
  it('getState/setState round-trip in Gymnasium layout; setState validates', () => {
    const env = makeEnv('Acrobot-v1', { seed: 1 });
    env.setState([0.1, -0.2, 0.3, -0.4]);
    expect(env.getState()).toEqual([0.1, -0.2, 0.3, -0.4]);
    expect(() => env.setState([1, 2, 3])).toThrow(/Acrobot-v1: setState\(\) needs 4 numbers .* got 3/);
    expect(() => env.setState([1, 2, NaN, 4])).toThrow(/state\[2\] must be a finite number, got NaN/);
  });
  it('CartPole-v1 snapshot keeps steps_beyond_terminated', () => {
    const env = makeEnv('CartPole-v1', { seed: 1 });
    env.reset();
    env.setState([2.39, 5, 0, 0]);
    expect(env.step(1)).toMatchObject({ terminated: true, reward: 1 });
    const snap = env.snapshot();
    expect(snap.extra).toEqual({ stepsBeyondTerminated: 0 });
    expect(env.step(1)).toMatchObject({ terminated: true, reward: 0 });
    env.restore(snap);
    expect(env.step(1)).toMatchObject({ terminated: true, reward: 0 });
    env.reset();
    expect(env.snapshot().extra).toEqual({ stepsBeyondTerminated: -1 });
  });
  it('restore() rejects malformed snapshots with the reason', () => {
    const env = makeEnv('MountainCar-v0', { seed: 1 });
    env.reset();
    const snap = env.snapshot();
    expect(() => env.restore({ ...snap, state: [0] })).toThrow(/needs 2 numbers/);
    expect(() => env.restore({ ...snap, elapsedSteps: -1 })).toThrow(/elapsedSteps must be a non-negative integer, got -1/);
    expect(() => env.restore({ ...snap, rng: [0, 0, 0, 0] })).toThrow(/Rng state must not be all zeros/);
  });
});
