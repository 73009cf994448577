/**
 * Gymnasium's MuJoCo tasks (InvertedPendulum-v4, HalfCheetah-v4, Hopper-v4) on MuJoCo's WebAssembly build:
 * loading, the compiled models against the hard-coded spaces, each task's reset distribution, reward, termination
 * and observation (Gymnasium 0.29.1's formulas), and the slot design — a core keeps no state in MuJoCo, so an
 * episode stepped through the shared `mjData` must equal, bit for bit, the same episode on a private `mjData` that
 * persists between steps as Gymnasium's does; vector copies interleave without interfering; snapshots restore
 * exactly through JSON.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { MainModule } from '@mujoco/mujoco';
import { Rng } from '../../../core/common/rng.js';
import { envSpec, makeEnv, makeEnvCore, prepareEnv, VectorEnv, type EnvId } from '../../../core/envs/index.js';
import { hopperHealthy } from '../../../core/envs/mujoco/hopper.js';
import { HALF_CHEETAH_XML, HOPPER_XML, INVERTED_PENDULUM_XML } from '../../../core/envs/mujoco/models.js';
import { loadMujoco, mujocoVersion } from '../../../core/envs/mujoco/sim.js';

const IDS = ['InvertedPendulum-v4', 'HalfCheetah-v4', 'Hopper-v4'] as const;
type MujocoId = (typeof IDS)[number];
/** Gymnasium 0.29.1's model file, frame skip, sizes, and the actuators' ctrlrange per task. */
const TASKS: Record<MujocoId, { xml: string; frameSkip: number; nq: number; nv: number; obsDim: number; ctrl: [number, number] }> = {
  'InvertedPendulum-v4': { xml: INVERTED_PENDULUM_XML, frameSkip: 2, nq: 2, nv: 2, obsDim: 4, ctrl: [-3, 3] },
  'HalfCheetah-v4': { xml: HALF_CHEETAH_XML, frameSkip: 5, nq: 9, nv: 9, obsDim: 17, ctrl: [-1, 1] },
  'Hopper-v4': { xml: HOPPER_XML, frameSkip: 4, nq: 6, nv: 6, obsDim: 11, ctrl: [-1, 1] },
};

function randomActions(rng: Rng, n: number, dim: number, scale: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => scale * rng.uniformRange(-1, 1)));
}

describe('MuJoCo loading', () => {
  it('envSpec answers before the module loads; making an env says to await prepareEnv', () => {
    expect(envSpec('Hopper-v4')).toMatchObject({ obsDim: 11, actDim: 3, maxEpisodeSteps: 1000, rewardThreshold: 3800 });
    expect(() => makeEnv('HalfCheetah-v4')).toThrow("HalfCheetah-v4 runs on MuJoCo (WebAssembly), which loads asynchronously: await prepareEnv('HalfCheetah-v4')");
    expect(() => makeEnvCore('Hopper-v4')).toThrow(/await prepareEnv\('Hopper-v4'\)/);
  });
});

describe('MuJoCo tasks', () => {
  let mj: MainModule;
  beforeAll(async () => {
    await prepareEnv('CartPole-v1'); // a no-op for envs without an engine to load
    for (const id of IDS) await prepareEnv(id);
    mj = await loadMujoco();
  });

  it('compiles Gymnasium 0.29.1 models whose sizes, timesteps and ctrlranges match the registered spaces', () => {
    expect(mujocoVersion()).toMatch(/^3\.\d+\.\d+/);
    const dt: Record<MujocoId, number> = { 'InvertedPendulum-v4': 0.04, 'HalfCheetah-v4': 0.05, 'Hopper-v4': 0.008 };
    for (const id of IDS) {
      const t = TASKS[id];
      const model = mj.MjModel.from_xml_string(t.xml);
      try {
        expect([model.nq, model.nv]).toEqual([t.nq, t.nv]);
        const spec = envSpec(id);
        expect(model.nu).toBe(spec.actDim);
        const range = Array.from(model.actuator_ctrlrange as Float64Array);
        expect(range).toEqual(Array.from({ length: 2 * model.nu }, (_, i) => t.ctrl[i % 2]));
        expect(spec.actionSpace).toMatchObject({ low: Float32Array.from(Array(model.nu).fill(t.ctrl[0])), high: Float32Array.from(Array(model.nu).fill(t.ctrl[1])) });
        expect(spec.obsDim).toBe(t.obsDim);
        const core = makeEnvCore(id) as unknown as { dt: number; stateSize: number; slotSize: number };
        expect(core.dt).toBeCloseTo(dt[id], 12);
        expect([core.stateSize, core.slotSize]).toEqual([t.nq + t.nv, t.nq + 2 * t.nv]);
      } finally {
        model.delete();
      }
    }
  });

  it('an episode through the shared mjData equals one on a private mjData that persists, as in Gymnasium', () => {
    for (const id of IDS) {
      const t = TASKS[id];
      const env = makeEnv(id, { seed: 3 });
      const first = env.reset(3);
      const state0 = env.getState();
      // Gymnasium's path on its own MjData: mj_resetData, set_state (qpos, qvel, mj_forward), then per step
      // ctrl[:] = action and frame_skip × mj_step, with nothing reloaded in between.
      const model = mj.MjModel.from_xml_string(t.xml);
      const data = new mj.MjData(model);
      try {
        mj.mj_resetData(model, data);
        (data.qpos as Float64Array).set(state0.slice(0, t.nq));
        (data.qvel as Float64Array).set(state0.slice(t.nq));
        mj.mj_forward(model, data);
        const rng = new Rng(11);
        const actions = randomActions(rng, 200, model.nu, t.ctrl[1] * 1.2);
        // A second env in the same process steps in between, through the same shared mjData.
        const other = makeEnv(id, { seed: 99 });
        other.reset(99);
        let obs: ArrayLike<number> = first.obs;
        let steps = 0;
        for (const action of actions) {
          (data.ctrl as Float64Array).set(action.map(Math.fround));
          for (let k = 0; k < t.frameSkip; k++) mj.mj_step(model, data);
          const ref = [...(data.qpos as Float64Array), ...(data.qvel as Float64Array)];
          const x0 = env.getState()[0];
          const result = env.step(action);
          other.step(action.map((a) => -a));
          steps++;
          expect(env.getState()).toEqual(ref);
          obs = result.obs;
          const v = (ref[0] - x0) / (model.opt.timestep * t.frameSkip);
          const sq = action.reduce((sum, a) => sum + Math.fround(a) ** 2, 0);
          if (id === 'HalfCheetah-v4') expect(result.reward).toBeCloseTo(v - 0.1 * sq, 10);
          if (id === 'Hopper-v4') expect(result.reward).toBeCloseTo(v + 1 - 1e-3 * sq, 10);
          if (id === 'InvertedPendulum-v4') expect(result.reward).toBe(1);
          if (result.terminated || result.truncated) break;
        }
        expect(steps).toBeGreaterThan(id === 'HalfCheetah-v4' ? 199 : 2);
        expect(obs.length).toBe(t.obsDim);
      } finally {
        data.delete();
        model.delete();
      }
    }
  });

  it('resets as Gymnasium draws: qpos0 plus the task noise; observations in Gymnasium layout', () => {
    const rng = new Rng(5);
    for (let seed = 0; seed < 20; seed++) {
      const ip = makeEnv('InvertedPendulum-v4', { seed });
      const o = ip.reset(seed).obs;
      expect(Array.from(o).every((v) => Math.abs(v) <= 0.01)).toBe(true);
      const hopper = makeEnv('Hopper-v4', { seed });
      const h = hopper.reset(seed).obs;
      const hs = hopper.getState();
      expect(Math.abs(hs[1] - 1.25)).toBeLessThanOrEqual(5e-3); // rootz's ref 1.25 is qpos0
      expect(hs.every((v, i) => i === 1 || Math.abs(v) <= 5e-3)).toBe(true);
      expect(Array.from(h)).toEqual(Array.from(Float32Array.from(hs.slice(1))));
      const cheetah = makeEnv('HalfCheetah-v4', { seed });
      const c = cheetah.reset(seed).obs;
      const cs = cheetah.getState();
      expect(cs.slice(0, 9).every((v) => Math.abs(v) <= 0.1)).toBe(true);
      expect(Array.from(c)).toEqual(Array.from(Float32Array.from(cs.slice(1))));
    }
    // qvel of HalfCheetah is 0.1·N(0, 1): its spread over many resets is about 0.1.
    const v: number[] = [];
    const cheetah = makeEnv('HalfCheetah-v4', { seed: rng.integer(1000) });
    for (let i = 0; i < 200; i++) v.push(...cheetah.reset().obs.slice(8));
    const sd = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.11);
  });

  it('InvertedPendulum terminates once |angle| > 0.2; a pushed cart tips the pole within a second', () => {
    const env = makeEnv('InvertedPendulum-v4', { seed: 0 });
    env.reset(0);
    let t = 0;
    let result;
    do {
      result = env.step([3]);
      t++;
      const angle = env.getState()[1];
      expect(result.terminated).toBe(Math.abs(angle) > 0.2);
    } while (!result.terminated && t < 100);
    expect(result.terminated).toBe(true);
    expect(t).toBeLessThan(25);
  });

  it('Hopper terminates when unhealthy (it falls with no torque) and clips observed velocities to ±10', () => {
    const env = makeEnv('Hopper-v4', { seed: 1 });
    env.reset(1);
    let result;
    let t = 0;
    let clipped = false;
    do {
      result = env.step([0, 0, 0]);
      t++;
      const s = env.getState();
      expect(result.terminated).toBe(!hopperHealthy(s));
      for (let i = 0; i < 6; i++) {
        const qv = s[6 + i];
        expect(result.obs[5 + i]).toBe(Math.fround(Math.min(10, Math.max(-10, qv))));
        clipped ||= Math.abs(qv) > 10;
      }
    } while (!result.terminated && t < 1000);
    expect(result.terminated).toBe(true);
    expect(t).toBeLessThan(1000);
    // The rules: z must exceed 0.7, the angle stay inside (-0.2, 0.2), state_vector()[2:] inside (-100, 100).
    const healthy = [0, 1.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(hopperHealthy(healthy)).toBe(true);
    expect(hopperHealthy(healthy.map((v, i) => (i === 1 ? 0.7 : v)))).toBe(false);
    expect(hopperHealthy(healthy.map((v, i) => (i === 2 ? 0.2 : v)))).toBe(false);
    expect(hopperHealthy(healthy.map((v, i) => (i === 8 ? -100 : v)))).toBe(false);
    expect(hopperHealthy(healthy.map((v, i) => (i === 0 ? 1e6 : v)))).toBe(true); // rootx is not checked
    // Thrashing at full torque makes joint speeds exceed 10 before the fall.
    const thrash = makeEnv('Hopper-v4', { seed: 2 });
    thrash.reset(2);
    const rng = new Rng(2);
    for (let i = 0; i < 200 && !clipped; i++) {
      const r = thrash.step([rng.uniform() < 0.5 ? -1 : 1, rng.uniform() < 0.5 ? -1 : 1, rng.uniform() < 0.5 ? -1 : 1]);
      clipped ||= thrash.getState().slice(6).some((v) => Math.abs(v) > 10);
      if (r.terminated) thrash.reset();
    }
    expect(clipped).toBe(true);
  });

  it('HalfCheetah never terminates; the registered time limit truncates at 1000 steps', () => {
    const env = makeEnv('HalfCheetah-v4', { seed: 4 });
    env.reset(4);
    const rng = new Rng(4);
    let t = 0;
    let result;
    do {
      result = env.step(randomActions(rng, 1, 6, 1)[0]);
      t++;
      expect(result.terminated).toBe(false);
    } while (!result.truncated);
    expect(t).toBe(1000);
  });

  it('vector copies stepped together equal single envs seeded seed + i, bit for bit', () => {
    for (const id of IDS) {
      const n = 3;
      const dim = envSpec(id).actDim;
      const venv = new VectorEnv(id, n, 20);
      venv.reset(20);
      const singles = Array.from({ length: n }, (_, i) => makeEnv(id, { seed: 20 + i }));
      singles.forEach((e, i) => e.reset(20 + i));
      const rng = new Rng(8);
      for (let t = 0; t < 60; t++) {
        const acts = randomActions(rng, n, dim, TASKS[id].ctrl[1]);
        venv.step(Float32Array.from(acts.flat()));
        singles.forEach((e, i) => {
          const r = e.step(acts[i]);
          if (r.terminated || r.truncated) e.reset();
          expect(venv.rewards[i]).toBe(Math.fround(r.reward));
        });
        expect(venv.getStates()).toEqual(singles.map((e) => e.getState()));
      }
    }
  });

  it('snapshot/restore through JSON continues an episode exactly; a bad snapshot is refused and changes nothing', () => {
    for (const id of IDS) {
      const dim = envSpec(id).actDim;
      const env = makeEnv(id as EnvId, { seed: 6 });
      env.reset(6);
      const rng = new Rng(6);
      const acts = randomActions(rng, 80, dim, 0.5 * TASKS[id].ctrl[1]);
      for (const a of acts.slice(0, 40)) if (env.step(a).terminated) break;
      const snap = JSON.parse(JSON.stringify(env.snapshot()));
      expect(Object.keys(snap.extra)).toHaveLength(TASKS[id].nv); // the solver's warm start
      const copy = makeEnv(id as EnvId, { seed: 1234 });
      copy.reset(1234);
      copy.restore(snap);
      for (const a of acts.slice(40)) {
        const r1 = env.step(a);
        const r2 = copy.step(a);
        expect(r2).toEqual(r1);
        expect(copy.getState()).toEqual(env.getState());
        if (r1.terminated) break;
      }
      const before = copy.snapshot();
      expect(() => copy.restore({ ...snap, state: snap.state.slice(1) })).toThrow(`${id}: restore() needs ${TASKS[id].nq + TASKS[id].nv} numbers`);
      expect(() => copy.restore({ ...snap, extra: { ...snap.extra, qacc_warmstart0: 'x' } })).toThrow(`${id}: snapshot.extra.qacc_warmstart0 must be a number`);
      expect(copy.snapshot()).toEqual(before);
    }
  });

  it('the same seed gives the same episode; another seed another', () => {
    const run = (seed: number) => {
      const env = makeEnv('Hopper-v4', { seed });
      const out = [...env.reset(seed).obs];
      const rng = new Rng(0);
      for (let i = 0; i < 50; i++) out.push(env.step(randomActions(rng, 1, 3, 1)[0]).reward);
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });
});
