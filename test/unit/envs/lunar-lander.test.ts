/**
 * LunarLander-v2 / LunarLanderContinuous-v2 semantics (Gymnasium 0.29.1's lunar_lander.py on planck.js): what can be
 * checked exactly (terrain, observation scaling, reward formula, termination rules, leg contact, seeded determinism,
 * exact snapshot/restore) and that Gymnasium's own heuristic lands, as Gymnasium's test suite checks it.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { HELIPAD_Y, LANDER_H, LANDER_W, lunarLanderHeuristic, S } from '../../../core/envs/box2d/lunar-lander.js';
import { makeEnv, type Action, type EnvId } from '../../../core/envs/index.js';
import { VectorEnv } from '../../../core/envs/vector.js';

const IDS: EnvId[] = ['LunarLander-v2', 'LunarLanderContinuous-v2'];
const f = Math.fround;

function shaping(o: ArrayLike<number>): number {
  return -100 * Math.hypot(o[0], o[1]) - 100 * Math.hypot(o[2], o[3]) - 100 * Math.abs(o[4]) + 10 * o[6] + 10 * o[7];
}

/** The observation Gymnasium computes from the lander's position, velocity and contacts, in float64. */
function obsFromState(st: number[]): number[] {
  const l = S.lander;
  return [
    (st[l] - LANDER_W / 2) / (LANDER_W / 2),
    (st[l + 1] - (HELIPAD_Y + 18 / 30)) / (LANDER_H / 2),
    (st[l + 3] * (LANDER_W / 2)) / 50,
    (st[l + 4] * (LANDER_H / 2)) / 50,
    st[l + 2],
    (20 * st[l + 5]) / 50,
    st[S.contact0],
    st[S.contact1],
  ];
}

function heuristicEpisode(id: EnvId, seed: number): { ret: number; last: number; steps: number; contactSeen: boolean } {
  const env = makeEnv(id);
  let { obs } = env.reset(seed);
  let ret = 0;
  let last = 0;
  let steps = 0;
  let contactSeen = false;
  for (;;) {
    const r = env.step(lunarLanderHeuristic(obs, id === 'LunarLanderContinuous-v2') as Action);
    ret += r.reward;
    last = r.reward;
    steps++;
    obs = r.obs;
    contactSeen ||= obs[6] === 1 || obs[7] === 1;
    if (r.terminated || r.truncated) return { ret, last, steps, contactSeen };
  }
}

describe.each(IDS)('%s', (id) => {
  const continuous = id === 'LunarLanderContinuous-v2';

  it("Gymnasium's heuristic lands on every one of ten seeds (return > 100, the +100 of a lander at rest)", () => {
    for (let seed = 0; seed < 10; seed++) {
      const ep = heuristicEpisode(id, seed);
      expect(ep.ret, `seed ${seed}`).toBeGreaterThan(100);
      expect(ep.last, `seed ${seed}`).toBe(100);
      expect(ep.contactSeen).toBe(true);
      expect(ep.steps).toBeLessThan(1000);
    }
  });

  it('terrain: twelve heights in [0, H/2) smoothed, the helipad flat at 0.99·H/4, and a different draw per seed', () => {
    const env = makeEnv(id);
    env.reset(3);
    const a = env.getState().slice(0, 11);
    for (const k of [4, 5, 6]) expect(a[k]).toBeCloseTo(0.99 * HELIPAD_Y, 12);
    for (const h of a) expect(h >= 0 && h < 0.99 * (LANDER_H / 2)).toBe(true);
    env.reset(4);
    expect(env.getState().slice(0, 11)).not.toEqual(a);
  });

  it('observation is the float32 of Gymnasium’s scaling of the state; reward = Δshaping − fuel (0.3 main, 0.03 side)', () => {
    const env = makeEnv(id, { seed: 5 });
    env.reset();
    const rng = new Rng(9);
    let prev = env.getState()[S.prevShaping];
    expect(prev).toBeCloseTo(shaping(obsFromState(env.getState())), 9);
    let sawMain = false;
    let sawSide = false;
    for (let t = 0; t < 60; t++) {
      const action: Action = continuous ? [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)] : rng.integer(4);
      const r = env.step(action);
      const st = env.getState();
      expect(Array.from(r.obs)).toEqual(obsFromState(st).map(f));
      const now = shaping(obsFromState(st));
      expect(st[S.prevShaping]).toBeCloseTo(now, 9);
      let fuel: number;
      if (continuous) {
        const [m, l] = action as number[];
        const main = m > 0 ? (f(Math.min(Math.max(f(m), 0), 1)) + 1) * 0.5 : 0;
        const side = Math.abs(f(l)) > 0.5 ? Math.min(Math.max(Math.abs(f(l)), 0.5), 1) : 0;
        fuel = f(main) * 0.3 + side * 0.03;
        sawMain ||= main > 0;
        sawSide ||= side > 0;
      } else {
        fuel = action === 2 ? 0.3 : action === 1 || action === 3 ? 0.03 : 0;
        sawMain ||= action === 2;
        sawSide ||= action === 1 || action === 3;
      }
      if (r.terminated) break;
      expect(r.reward).toBeCloseTo(now - prev - fuel, 9);
      prev = now;
    }
    expect(sawMain && sawSide).toBe(true);
  });

  it('legs settle at their joint limits, ±0.4 rad from the hull (reference angle 0, as in pybox2d’s joint def)', () => {
    const env = makeEnv(id);
    env.reset(11);
    for (let t = 0; t < 30; t++) env.step(continuous ? [-1, 0] : 0);
    const s = env.getState();
    expect(s[S.leg0 + 2] - s[S.lander + 2]).toBeCloseTo(0.4, 1);
    expect(s[S.leg1 + 2] - s[S.lander + 2]).toBeCloseTo(-0.4, 1);
    expect(Math.abs(s[S.leg0 + 2] - s[S.lander + 2]) - 0.4).toBeGreaterThan(-0.01);
  });

  it('engines push the lander: the main engine slows its fall, the side engines turn it opposite ways', () => {
    const vy = (action: Action): number => {
      const env = makeEnv(id);
      env.reset(11);
      for (let t = 0; t < 20; t++) env.step(action);
      return env.getState()[S.lander + 4];
    };
    const noop: Action = continuous ? [-1, 0] : 0;
    const main: Action = continuous ? [1, 0] : 2;
    expect(vy(main)).toBeGreaterThan(vy(noop) + 1);
    const spin = (action: Action): number => {
      const env = makeEnv(id);
      env.reset(11);
      const w0 = env.getState()[S.lander + 5];
      for (let t = 0; t < 10; t++) env.step(action);
      return env.getState()[S.lander + 5] - w0;
    };
    const left = spin(continuous ? [-1, -1] : 1);
    const right = spin(continuous ? [-1, 1] : 3);
    expect(Math.sign(left)).toBe(-Math.sign(right));
    expect(Math.abs(left)).toBeGreaterThan(0.05);
  });

  it('terminates with −100 when the body touches the ground (upside down) and when |x| reaches 1', () => {
    const env = makeEnv(id);
    env.reset(2);
    const st = env.getState();
    // upside down, just above the helipad, falling: the hull hits first
    const put = (x: number, y: number, angle: number, vx: number, vy: number): void => {
      const s = [...st];
      for (const [b, dx] of [[S.lander, 0], [S.leg0, 0], [S.leg1, 0]] as const) {
        s[b] = x + dx;
        s[b + 1] = y;
        s[b + 2] = angle;
        s[b + 3] = vx;
        s[b + 4] = vy;
        s[b + 5] = 0;
      }
      s[S.contact0] = 0;
      s[S.contact1] = 0;
      s[S.gameOver] = 0;
      env.setState(s);
    };
    put(LANDER_W / 2, HELIPAD_Y + 0.8, Math.PI, 0, -3);
    let r = env.step(continuous ? [-1, 0] : 0);
    for (let t = 0; t < 50 && !r.terminated; t++) r = env.step(continuous ? [-1, 0] : 0);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(-100);
    expect(env.getState()[S.gameOver]).toBe(1);

    put(LANDER_W - 0.05, LANDER_H * 0.8, 0, 5, 0);
    r = env.step(continuous ? [-1, 0] : 0);
    for (let t = 0; t < 20 && !r.terminated; t++) r = env.step(continuous ? [-1, 0] : 0);
    expect(r.terminated).toBe(true);
    expect(r.reward).toBe(-100);
    expect(Math.abs(r.obs[0])).toBeGreaterThanOrEqual(1);
  });

  it('is deterministic under a seed; a vector env copy i steps like a single env seeded seed + i', () => {
    const run = (): number[] => {
      const env = makeEnv(id);
      const rng = new Rng(1);
      const out: number[] = [...env.reset(21).obs];
      for (let t = 0; t < 200; t++) {
        const r = env.step(continuous ? [rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)] : rng.integer(4));
        out.push(...r.obs, r.reward);
        if (r.terminated) out.push(...env.reset().obs);
      }
      return out;
    };
    expect(run()).toEqual(run());

    const venv = new VectorEnv(id, 3, 40);
    venv.reset();
    const single = makeEnv(id);
    const first = single.reset(42).obs;
    expect(Array.from(venv.obs.subarray(16, 24))).toEqual(Array.from(first));
    const acts = new Float32Array(3 * venv.actDim);
    for (let t = 0; t < 30; t++) {
      acts.fill(continuous ? 0.7 : 2);
      venv.step(acts);
      const r = single.step(continuous ? [0.7, 0.7] : 2);
      expect(Array.from(venv.obs.subarray(16, 24))).toEqual(Array.from(r.obs));
      expect(venv.rewards[2]).toBe(f(r.reward));
    }
  });

  it('snapshot/restore is exact mid-episode, through JSON, after leg contact (Box2D warm starts replayed)', () => {
    const env = makeEnv(id);
    let { obs } = env.reset(8);
    let t = 0;
    for (; t < 1000; t++) {
      const r = env.step(lunarLanderHeuristic(obs, continuous) as Action);
      obs = r.obs;
      if (obs[6] === 1 && obs[7] === 1) break;
    }
    expect(t).toBeLessThan(1000);
    for (let k = 0; k < 3; k++) obs = env.step(lunarLanderHeuristic(obs, continuous) as Action).obs; // contacts warm
    const snap = JSON.parse(JSON.stringify(env.snapshot()));
    expect(snap.world.actions.length).toBe((t + 4) * (continuous ? 2 : 1));
    const future = (e: typeof env, o: Float32Array): number[] => {
      const out: number[] = [];
      for (let k = 0; k < 80; k++) {
        const r = e.step(lunarLanderHeuristic(o, continuous) as Action);
        o = r.obs;
        out.push(...r.obs, r.reward, Number(r.terminated));
        if (r.terminated) break;
      }
      return out;
    };
    const expected = future(env, obs);
    const other = makeEnv(id);
    other.restore(snap);
    expect(future(other, other.observe())).toEqual(expected);
  });

  it('a tampered snapshot.world is refused and changes nothing; setState without a record rebuilds the world', () => {
    const env = makeEnv(id);
    env.reset(6);
    for (let k = 0; k < 30; k++) env.step(continuous ? [0.6, -0.8] : 2);
    const snap = env.snapshot();
    const bad = { ...snap, world: { ...snap.world!, actions: snap.world!.actions.map((v, k) => (k === 4 ? (continuous ? -0.9 : 1) : v)) } };
    const victim = makeEnv(id);
    victim.reset(99);
    const before = victim.snapshot();
    expect(() => victim.restore(bad)).toThrow(`${id}: snapshot.world does not replay to snapshot.state`);
    expect(victim.snapshot()).toEqual(before);
    expect(() => victim.restore({ ...snap, world: { rng: snap.rng, actions: ['x'] as unknown as number[] } })).toThrow(/snapshot.world must be/);

    // a bare state (what replay stores): the world is rebuilt and steps on sensibly
    const bare = makeEnv(id);
    bare.setState(snap.state);
    expect(Array.from(bare.observe())).toEqual(Array.from(env.observe()));
    const a = env.step(continuous ? [-1, 0] : 0);
    const b = bare.step(continuous ? [-1, 0] : 0);
    for (let k = 0; k < 6; k++) expect(b.obs[k]).toBeCloseTo(a.obs[k], 2);
    expect(bare.snapshot().world).toBeUndefined();
  });
});

it('the continuous variant clips actions and leaves the engines off below their thresholds', () => {
  const env = makeEnv('LunarLanderContinuous-v2');
  const ref = makeEnv('LunarLanderContinuous-v2');
  env.reset(1);
  ref.reset(1);
  for (let t = 0; t < 10; t++) expect(env.step([5, -7]).obs).toEqual(ref.step([1, -1]).obs);
  const off = makeEnv('LunarLanderContinuous-v2');
  const noop = makeEnv('LunarLander-v2');
  off.reset(2);
  noop.reset(2);
  for (let t = 0; t < 10; t++) {
    const a = off.step([-0.2, 0.45]);
    const b = noop.step(0);
    expect(a.obs).toEqual(b.obs);
    expect(a.reward).toBe(b.reward);
  }
});
