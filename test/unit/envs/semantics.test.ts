/** Per-env Gymnasium details (hand-computed steps, clipping, walls, terminal rules) and action validation. */
import { describe, expect, it, beforeAll } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { AcrobotEnv, angleNormalize, ENV_IDS, makeEnv, prepareEnv, PendulumEnv, spaceContains } from '../../../core/envs/index.js';

beforeAll(async () => {
  for (const id of ENV_IDS) await prepareEnv(id);
});

const f = Math.fround;

describe('CartPole-v1', () => {
  it('takes one explicit-Euler step as Gymnasium does', () => {
    const env = makeEnv('CartPole-v1', { seed: 0 });
    env.setState([0.01, -0.02, 0.03, -0.04]);
    const r = env.step(1);
    const [x, xDot, theta, thetaDot] = [0.01, -0.02, 0.03, -0.04];
    const totalMass = 0.1 + 1.0;
    const pml = 0.1 * 0.5;
    const temp = (10 + pml * thetaDot ** 2 * Math.sin(theta)) / totalMass;
    const thetaacc = (9.8 * Math.sin(theta) - Math.cos(theta) * temp) / (0.5 * (4 / 3 - (0.1 * Math.cos(theta) ** 2) / totalMass));
    const xacc = temp - (pml * thetaacc * Math.cos(theta)) / totalMass;
    const expected = [x + 0.02 * xDot, xDot + 0.02 * xacc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaacc];
    env.getState().forEach((v, i) => expect(v).toBeCloseTo(expected[i], 15));
    expect(Array.from(r.obs)).toEqual(env.getState().map(f));
    expect(r).toMatchObject({ reward: 1, terminated: false, truncated: false, info: {} });
  });
  it('terminates past |x| > 2.4 or |theta| > 12°, with reward 1 on that step and 0 after', () => {
    const env = makeEnv('CartPole-v1', { seed: 0 });
    env.setState([0, 0, 0.2094, 0.1]); // theta crosses 12° = 0.20944 rad
    expect(env.step(0)).toMatchObject({ terminated: true, reward: 1 });
    expect(env.step(0)).toMatchObject({ terminated: true, reward: 0 });
    env.reset();
    env.setState([-2.399, -1, 0, 0]);
    expect(env.step(0)).toMatchObject({ terminated: true, reward: 1 });
  });
});

describe('Acrobot-v1', () => {
  it('wraps angles into [-π, π], bounds velocities and pays -1 until the tip is above the bar', () => {
    const env = makeEnv('Acrobot-v1', { seed: 4 });
    env.reset();
    const rng = new Rng(1);
    for (let t = 0; t < 500; t++) {
      const a = t % 40 < 20 ? 2 : 0;
      const r = env.step(rng.uniform() < 0.8 ? a : rng.integer(3));
      const [th1, th2, d1, d2] = env.getState();
      expect(Math.abs(th1)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(th2)).toBeLessThanOrEqual(Math.PI);
      expect(Math.abs(d1)).toBeLessThanOrEqual(4 * Math.PI);
      expect(Math.abs(d2)).toBeLessThanOrEqual(9 * Math.PI);
      const above = -Math.cos(th1) - Math.cos(th2 + th1) > 1;
      expect(r.terminated).toBe(above);
      expect(r.reward).toBe(above ? 0 : -1);
    }
  });
  it('a state hanging straight up is terminal; torque noise is off by default', () => {
    const env = makeEnv('Acrobot-v1', { seed: 0 });
    env.setState([Math.PI - 0.01, 0, 0, 0]);
    expect(env.step(1)).toMatchObject({ terminated: true, reward: 0 });
    const a = makeEnv('Acrobot-v1', { seed: 1 });
    const b = makeEnv('Acrobot-v1', { seed: 2 });
    a.setState([0.1, 0.2, 0.3, 0.4]);
    b.setState([0.1, 0.2, 0.3, 0.4]);
    expect(a.step(2).obs).toEqual(b.step(2).obs);
  });
});

describe('Acrobot-v1 torque noise (off in the registered env)', () => {
  it('draws from the env Rng: reproducible by seed and by snapshot', () => {
    const run = (seed: number) => {
      const env = new AcrobotEnv({ torqueNoiseMax: 0.5, seed });
      env.reset();
      return Array.from({ length: 30 }, () => env.step(2).obs[4]);
    };
    expect(run(1)).toEqual(run(1));
    const quiet = new AcrobotEnv({ seed: 1 });
    quiet.reset();
    expect(run(1)).not.toEqual(Array.from({ length: 30 }, () => quiet.step(2).obs[4]));
    const env = new AcrobotEnv({ torqueNoiseMax: 0.5, seed: 2 });
    env.reset();
    env.step(0);
    const snap = env.snapshot();
    const a = [env.step(1).obs, env.step(1).obs];
    env.restore(snap);
    expect([env.step(1).obs, env.step(1).obs]).toEqual(a);
    expect(() => new AcrobotEnv({ torqueNoiseMax: -1 })).toThrow('Acrobot-v1: torqueNoiseMax must be a finite number >= 0, got -1');
  });
});

describe('fast path', () => {
  for (const id of ENV_IDS) {
    it(`${id}: stepInto/resetInto give exactly what step/reset give`, () => {
      const pub = makeEnv(id, { seed: 12 });
      const fast = makeEnv(id, { seed: 12 });
      const rng = new Rng(6);
      const buf = new Float32Array(fast.obsDim + 2);
      const act = new Float32Array(fast.actionSize);
      expect(Array.from(pub.reset().obs)).toEqual((fast.resetInto(buf, 2), Array.from(buf.subarray(2))));
      for (let t = 0; t < 700; t++) {
        const space = pub.actionSpace;
        const action = space.kind === 'discrete' ? rng.integer(space.n) : Array.from(space.low, () => rng.uniformRange(-3, 3));
        const r = pub.step(action);
        if (typeof action === 'number') act[0] = action;
        else act.set(action);
        const flags = fast.stepInto(act, 0, buf, 2);
        expect(Array.from(buf.subarray(2))).toEqual(Array.from(r.obs));
        expect(fast.lastReward).toBe(r.reward);
        expect(flags).toBe(Number(r.terminated) | (Number(r.truncated) << 1));
        if (r.terminated || r.truncated) {
          pub.reset();
          fast.resetInto(buf, 2);
        }
      }
      expect(fast.getState()).toEqual(pub.getState());
    });
  }
});

describe('MountainCar-v0', () => {
  it('applies force and gravity, clips velocity to ±0.07', () => {
    const env = makeEnv('MountainCar-v0', { seed: 0 });
    env.setState([-0.5, 0.01]);
    env.step(2);
    const v = 0.01 + (1 * 0.001 + Math.cos(3 * -0.5) * -0.0025);
    expect(env.getState()).toEqual([-0.5 + v, v]);
    env.setState([-1.0, 0.0695]);
    env.step(2);
    expect(env.getState()[1]).toBe(0.07);
  });
  it('hitting the left wall stops the car', () => {
    const env = makeEnv('MountainCar-v0', { seed: 0 });
    env.setState([-1.19, -0.05]);
    const r = env.step(0);
    expect(env.getState()).toEqual([-1.2, 0]);
    expect(Array.from(r.obs)).toEqual([f(-1.2), 0]);
  });
  it('terminates at position >= 0.5 with velocity >= 0 (reward stays -1)', () => {
    const env = makeEnv('MountainCar-v0', { seed: 0 });
    env.setState([0.49, 0.02]);
    expect(env.step(2)).toMatchObject({ terminated: true, reward: -1 });
  });
});

describe('MountainCarContinuous-v0', () => {
  it('clips the force, not the reward: reward = -0.1·a² with the raw float32 action', () => {
    const env = makeEnv('MountainCarContinuous-v0', { seed: 0 });
    env.setState([-0.5, 0]);
    const r = env.step([1.5]);
    expect(r.reward).toBe(-(1.5 * 1.5) * 0.1);
    const other = makeEnv('MountainCarContinuous-v0', { seed: 0 });
    other.setState([-0.5, 0]);
    other.step([1]);
    expect(env.getState()).toEqual(other.getState()); // same dynamics as a = 1
    const odd = makeEnv('MountainCarContinuous-v0', { seed: 0 });
    odd.setState([-0.5, 0]);
    expect(odd.step([0.3]).reward).toBe(0 - f(0.3) * f(0.3) * 0.1); // action rounded to the Box's float32
  });
  it('stores the state as float32 after a step and pays +100 at the goal', () => {
    const env = makeEnv('MountainCarContinuous-v0', { seed: 0 });
    env.setState([0.44, 0.02]);
    const r = env.step([0.5]);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(100 - 0.5 * 0.5 * 0.1);
    expect(env.getState().every((x) => f(x) === x)).toBe(true);
    expect(Array.from(r.obs)).toEqual(env.getState());
  });
});

describe('Pendulum-v1', () => {
  it('angle_normalize follows Python floored modulo', () => {
    expect(angleNormalize(0)).toBe(0);
    expect(angleNormalize(Math.PI)).toBe(-Math.PI);
    expect(angleNormalize(-Math.PI)).toBe(-Math.PI);
    expect(angleNormalize(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(angleNormalize(-3 * Math.PI / 2)).toBeCloseTo(Math.PI / 2, 12);
    expect(angleNormalize(7)).toBeCloseTo(7 - 2 * Math.PI, 12);
  });
  it('clips the torque to ±2 (reward included) and the speed to ±8; never terminates', () => {
    const env = makeEnv('Pendulum-v1', { seed: 0 });
    const ref = makeEnv('Pendulum-v1', { seed: 0 });
    env.setState([1, 2]);
    ref.setState([1, 2]);
    const a = env.step([5]);
    const b = ref.step([2]);
    expect(a).toEqual(b);
    const th = 1, thdot = 2, u = 2;
    const an = angleNormalize(th);
    expect(a.reward).toBe(-(an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u)));
    const newthdot = thdot + (15 * Math.sin(th) + 3 * u) * 0.05;
    expect(env.getState()).toEqual([th + newthdot * 0.05, newthdot]);
    env.setState([1, 7.9]);
    env.step([2]);
    expect(env.getState()[1]).toBe(8);
  });
  it('takes g as an option (default 10)', () => {
    expect(new PendulumEnv().g).toBe(10);
    const moon = new PendulumEnv({ g: 1.62, seed: 0 });
    const earth = new PendulumEnv({ seed: 0 });
    moon.setState([1, 0]);
    earth.setState([1, 0]);
    expect(moon.step([0]).obs[2]).toBeLessThan(earth.step([0]).obs[2]);
  });
});

describe('action validation', () => {
  it('discrete envs name the env, the range and the bad value', () => {
    const env = makeEnv('CartPole-v1', { seed: 0 });
    env.reset();
    expect(() => env.step(3)).toThrow('CartPole-v1: action must be an integer in [0, 2), got 3');
    expect(() => env.step(-1)).toThrow('CartPole-v1: action must be an integer in [0, 2), got -1');
    expect(() => env.step(0.5)).toThrow('got 0.5');
    expect(() => env.step(NaN)).toThrow('got NaN');
    expect(() => env.step([1])).toThrow('CartPole-v1: action must be an integer in [0, 2), got an array of length 1 [1]');
    expect(() => env.step('1' as unknown as number)).toThrow(/got string "1"/);
    const mc = makeEnv('MountainCar-v0', { seed: 0 });
    mc.reset();
    expect(() => mc.step(3)).toThrow('MountainCar-v0: action must be an integer in [0, 3), got 3');
    const ac = makeEnv('Acrobot-v1', { seed: 0 });
    ac.reset();
    expect(() => ac.step(-1)).toThrow('Acrobot-v1: action must be an integer in [0, 3), got -1');
  });
  it('Box envs check the shape and finiteness (out-of-bounds values are clipped, not rejected)', () => {
    const env = makeEnv('Pendulum-v1', { seed: 0 });
    env.reset();
    expect(() => env.step(1)).toThrow('Pendulum-v1: action must be an array of 1 finite number (shape [1]), got 1');
    expect(() => env.step([1, 2])).toThrow(/shape \[1\]\), got an array of length 2/);
    expect(() => env.step([NaN])).toThrow('Pendulum-v1: action[0] must be a finite number, got NaN');
    expect(() => env.step([Infinity])).toThrow('action[0] must be a finite number, got Infinity');
    expect(() => env.step(new Float32Array([10]))).not.toThrow();
    const mcc = makeEnv('MountainCarContinuous-v0', { seed: 0 });
    mcc.reset();
    expect(() => mcc.step([])).toThrow('MountainCarContinuous-v0: action must be an array of 1 finite number');
  });
  it('a rejected action leaves the env untouched', () => {
    const env = makeEnv('CartPole-v1', { seed: 0 });
    env.reset();
    const before = env.snapshot();
    expect(() => env.step(2)).toThrow();
    expect(env.snapshot()).toEqual(before);
  });
  for (const id of ENV_IDS) {
    it(`${id}: step() before reset() is an error`, () => {
      const env = makeEnv(id);
      const action = env.actionSpace.kind === 'discrete' ? 0 : Array.from(env.actionSpace.low, () => 0);
      expect(() => env.step(action)).toThrow(`${id}: call reset() (or setState()) before step()`);
      expect(() => env.observe()).toThrow(/before observe\(\)/);
    });
  }
  it('spaceContains mirrors Gymnasium’s Space.contains', () => {
    const cp = makeEnv('CartPole-v1');
    expect(spaceContains(cp.actionSpace, 1)).toBe(true);
    expect(spaceContains(cp.actionSpace, 2)).toBe(false);
    expect(spaceContains(cp.actionSpace, 0.5)).toBe(false);
    const pe = makeEnv('Pendulum-v1');
    expect(spaceContains(pe.actionSpace, [2])).toBe(true);
    expect(spaceContains(pe.actionSpace, [2.1])).toBe(false);
    expect(spaceContains(pe.actionSpace, [0, 0])).toBe(false);
    expect(spaceContains(pe.observationSpace, [1, 0, 8])).toBe(true);
  });
});
