/** VectorEnv: flat buffers, same-step autoreset with final observations, episode statistics, snapshots. */
import { describe, expect, it, beforeAll } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { ENV_IDS, makeEnv, prepareEnv, VectorEnv, type EnvId } from '../../../core/envs/index.js';

beforeAll(async () => {
  for (const id of ENV_IDS) await prepareEnv(id);
});

function randomActions(vec: VectorEnv, rng: Rng): Int32Array | Float32Array {
  const space = vec.actionSpace;
  if (space.kind === 'discrete') return Int32Array.from({ length: vec.numEnvs }, () => rng.integer(space.n));
  return Float32Array.from({ length: vec.numEnvs * vec.actDim }, (_, i) => rng.uniformRange(space.low[i % vec.actDim] * 1.2, space.high[i % vec.actDim] * 1.2));
}

/** Same-step autoreset written out with single envs, to compare the vector env against. */
class Reference {
  readonly envs;
  returns: number[] = [];
  lengths: number[] = [];
  readonly epReturn: number[];
  readonly epLength: number[];
  constructor(id: EnvId, n: number, seed: number) {
    this.envs = Array.from({ length: n }, (_, i) => makeEnv(id, { seed: seed + i }));
    this.epReturn = new Array<number>(n).fill(0);
    this.epLength = new Array<number>(n).fill(0);
  }
  reset(): number[] {
    return this.envs.flatMap((e) => Array.from(e.reset().obs));
  }
  step(actions: Int32Array | Float32Array, actDim: number) {
    const out = { obs: [] as number[], finalObs: [] as (number[] | null)[], rewards: [] as number[], terminated: [] as number[], truncated: [] as number[] };
    this.envs.forEach((env, i) => {
      const a = env.actionSpace.kind === 'discrete' ? actions[i] : Array.from(actions.subarray(i * actDim, (i + 1) * actDim));
      const r = env.step(a);
      this.epReturn[i] += r.reward;
      this.epLength[i] += 1;
      out.rewards.push(Math.fround(r.reward));
      out.terminated.push(Number(r.terminated));
      out.truncated.push(Number(r.truncated));
      if (r.terminated || r.truncated) {
        out.finalObs.push(Array.from(r.obs));
        this.returns.push(this.epReturn[i]);
        this.lengths.push(this.epLength[i]);
        this.epReturn[i] = 0;
        this.epLength[i] = 0;
        out.obs.push(...env.reset().obs);
      } else {
        out.finalObs.push(null);
        out.obs.push(...r.obs);
      }
    });
    return out;
  }
}

describe('VectorEnv', () => {
  it('exposes the contract fields and buffer sizes', () => {
    const vec = new VectorEnv('Acrobot-v1', 3, 7);
    expect(vec.id).toBe('Acrobot-v1');
    expect(vec.numEnvs).toBe(3);
    expect(vec.obsDim).toBe(6);
    expect(vec.actDim).toBe(1);
    expect(vec.obs).toBeInstanceOf(Float32Array);
    expect(vec.obs.length).toBe(18);
    expect(vec.finalObs.length).toBe(18);
    expect(vec.rewards).toBeInstanceOf(Float32Array);
    expect(vec.rewards.length).toBe(3);
    expect(vec.terminated).toBeInstanceOf(Uint8Array);
    expect(vec.truncated).toBeInstanceOf(Uint8Array);
    expect(vec.actionSpace).toEqual({ kind: 'discrete', n: 3 });
    expect(vec.observationSpace.shape).toEqual([6]);
    expect(vec.maxEpisodeSteps).toBe(500);
  });

  it('validates its arguments and requires reset() before step()', () => {
    expect(() => new VectorEnv('CartPole-v1', 0, 1)).toThrow('VectorEnv: numEnvs must be a positive integer, got 0');
    expect(() => new VectorEnv('CartPole-v1', 2, 0.5)).toThrow('VectorEnv: seed must be an integer, got 0.5');
    expect(() => new VectorEnv('Nope-v0' as EnvId, 2, 1)).toThrow(/unknown env id "Nope-v0"; valid ids: CartPole-v1, /);
    const vec = new VectorEnv('CartPole-v1', 2, 1);
    expect(() => vec.step(new Int32Array(2))).toThrow('VectorEnv(CartPole-v1): call reset() before step()');
  });

  it('reset(seed) seeds copy i with seed + i; the first reset() uses the constructor seed', () => {
    const vec = new VectorEnv('Pendulum-v1', 4, 100);
    const first = Array.from(vec.reset());
    const expected = [0, 1, 2, 3].flatMap((i) => Array.from(makeEnv('Pendulum-v1', { seed: 100 + i }).reset().obs));
    expect(first).toEqual(expected);
    expect(Array.from(vec.reset(100))).toEqual(expected);
    expect(Array.from(vec.reset())).not.toEqual(expected);
    expect(vec.reset(5)).toBe(vec.obs);
    expect(vec.getStates()).toEqual([0, 1, 2, 3].map((i) => makeEnvState('Pendulum-v1', 5 + i)));
  });

  for (const id of ENV_IDS) {
    it(`${id}: matches single envs with same-step autoreset, finalObs and episode stats`, () => {
      const n = 3;
      const vec = new VectorEnv(id, n, 20);
      const ref = new Reference(id, n, 20);
      expect(Array.from(vec.reset())).toEqual(ref.reset());
      const rng = new Rng(4);
      const obsBuf = vec.obs;
      let dones = 0;
      const steps = id === 'MountainCarContinuous-v0' || id === 'HalfCheetah-v4' ? 1100 : 520; // past their time limits (neither terminates early)
      for (let t = 0; t < steps; t++) {
        const actions = randomActions(vec, rng);
        vec.step(actions);
        const r = ref.step(actions, vec.actDim);
        expect(vec.obs).toBe(obsBuf); // reused, never reallocated
        expect(Array.from(vec.obs)).toEqual(r.obs);
        expect(Array.from(vec.rewards)).toEqual(r.rewards);
        expect(Array.from(vec.terminated)).toEqual(r.terminated);
        expect(Array.from(vec.truncated)).toEqual(r.truncated);
        r.finalObs.forEach((fo, i) => {
          if (fo === null) return;
          dones++;
          expect(Array.from(vec.finalObs.subarray(i * vec.obsDim, (i + 1) * vec.obsDim))).toEqual(fo);
        });
      }
      expect(dones).toBeGreaterThan(0);
      const stats = vec.drainEpisodes();
      expect(stats.returns).toEqual(ref.returns);
      expect(stats.lengths).toEqual(ref.lengths);
      expect(stats.lengths.length).toBe(dones);
      expect(vec.drainEpisodes()).toEqual({ returns: [], lengths: [] });
    });
  }

  it('truncation: flags, final observation and stats at the time limit', () => {
    const vec = new VectorEnv('Pendulum-v1', 2, 3);
    const single = makeEnv('Pendulum-v1', { seed: 3 });
    vec.reset();
    single.reset();
    const actions = new Float32Array([0.5, -0.5]);
    let total = 0;
    let last = single.step([0.5]);
    total += last.reward;
    vec.step(actions);
    for (let t = 2; t <= 200; t++) {
      expect(Array.from(vec.truncated)).toEqual([0, 0]);
      last = single.step([0.5]);
      total += last.reward;
      vec.step(actions);
    }
    expect(last.truncated).toBe(true);
    expect(Array.from(vec.truncated)).toEqual([1, 1]);
    expect(Array.from(vec.terminated)).toEqual([0, 0]);
    expect(Array.from(vec.finalObs.subarray(0, 3))).toEqual(Array.from(last.obs));
    expect(Array.from(vec.obs.subarray(0, 3))).toEqual(Array.from(single.reset().obs)); // reset obs from the continued stream
    const stats = vec.drainEpisodes();
    expect(stats.lengths).toEqual([200, 200]);
    expect(stats.returns[0]).toBe(total);
    vec.step(actions);
    expect(Array.from(vec.truncated)).toEqual([0, 0]);
  });

  it('a step can be terminated and truncated at once (custom time limit)', () => {
    const vec = new VectorEnv('CartPole-v1', 2, 1, { maxEpisodeSteps: 1 });
    expect(vec.maxEpisodeSteps).toBe(1);
    vec.reset();
    const rng = new Rng(0);
    let both = 0;
    for (let t = 0; t < 400; t++) {
      vec.step(randomActions(vec, rng));
      expect(Array.from(vec.truncated)).toEqual([1, 1]);
      both += vec.terminated[0] & vec.truncated[0];
    }
    expect(vec.drainEpisodes().lengths.every((l) => l === 1)).toBe(true);
    expect(both).toBe(0); // CartPole never falls in one step from its reset range
    const ended = new VectorEnv('MountainCar-v0', 1, 3, { maxEpisodeSteps: 1 });
    ended.reset();
    ended.restore([{ state: [0.49, 0.02], elapsedSteps: 0, rng: ended.snapshot()[0].rng }]);
    ended.step(new Int32Array([2]));
    expect([ended.terminated[0], ended.truncated[0]]).toEqual([1, 1]);
    expect(Array.from(ended.finalObs)[0]).toBeGreaterThanOrEqual(0.5);
    expect(() => new VectorEnv('CartPole-v1', 1, 1, { maxEpisodeSteps: 1.5 })).toThrow(/maxEpisodeSteps must be a positive integer, got 1.5/);
  });

  it('rejects bad action batches before moving any copy', () => {
    const vec = new VectorEnv('CartPole-v1', 3, 1);
    vec.reset();
    const before = vec.getStates();
    expect(() => vec.step(new Int32Array([0, 1, 2]))).toThrow(
      'VectorEnv(CartPole-v1).step: env 2: CartPole-v1: action must be an integer in [0, 2), got 2',
    );
    expect(() => vec.step(new Float32Array([0, 0.5, 1]))).toThrow(/env 1: .* got 0.5/);
    expect(() => vec.step(new Int32Array(2))).toThrow(
      'VectorEnv(CartPole-v1).step: actions must be an Int32Array or Float32Array of length 3 (numEnvs 3 × 1), got Int32Array of length 2',
    );
    expect(() => vec.step([0, 1, 0] as unknown as Int32Array)).toThrow(/got object/);
    expect(vec.getStates()).toEqual(before);
    vec.step(new Float32Array([0, 1, 1])); // integral float values are accepted for Discrete
    const box = new VectorEnv('MountainCarContinuous-v0', 2, 1);
    box.reset();
    expect(() => box.step(new Float32Array([0.2, NaN]))).toThrow(
      'VectorEnv(MountainCarContinuous-v0).step: env 1: action[0] must be a finite number, got NaN',
    );
    expect(() => box.step(new Float32Array([Infinity, 0]))).toThrow(/env 0: action\[0\] must be a finite number, got Infinity/);
  });

  it('snapshot/restore resumes exactly, including unfinished episode statistics (through JSON)', () => {
    const vec = new VectorEnv('CartPole-v1', 4, 9);
    vec.reset();
    const rng = new Rng(2);
    for (let t = 0; t < 57; t++) vec.step(randomActions(vec, rng));
    vec.drainEpisodes();
    const snap = JSON.parse(JSON.stringify(vec.snapshot()));
    const obsAtSnap = Array.from(vec.obs);
    const actions = Array.from({ length: 150 }, () => randomActions(vec, rng));
    const run = () => {
      const trace: number[] = [];
      for (const a of actions) {
        vec.step(a);
        trace.push(...vec.obs, ...vec.rewards, ...vec.terminated, ...vec.truncated);
      }
      return { trace, stats: vec.drainEpisodes() };
    };
    const first = run();
    vec.restore(snap);
    expect(Array.from(vec.obs)).toEqual(obsAtSnap);
    expect(run()).toEqual(first);
    expect(first.stats.lengths.length).toBeGreaterThan(0);
  });

  it("a copy's snapshot restores into a single env that then steps exactly like the copy", () => {
    const vec = new VectorEnv('Acrobot-v1', 3, 2);
    vec.reset();
    const rng = new Rng(8);
    for (let t = 0; t < 40; t++) vec.step(randomActions(vec, rng));
    const snap = vec.snapshot()[1];
    expect(snap).toMatchObject({ elapsedSteps: 40, episodeLength: 40 });
    const single = makeEnv('Acrobot-v1');
    single.restore(snap);
    expect(Array.from(single.observe())).toEqual(Array.from(vec.obs.subarray(6, 12)));
    for (let t = 0; t < 30; t++) {
      const actions = randomActions(vec, rng);
      vec.step(actions);
      const r = single.step(actions[1]);
      expect(Array.from(r.obs)).toEqual(Array.from(vec.obs.subarray(6, 12)));
      expect(Math.fround(r.reward)).toBe(vec.rewards[1]);
    }
    const cart = new VectorEnv('CartPole-v1', 1, 2);
    cart.reset();
    expect(cart.snapshot()[0].extra).toEqual({ stepsBeyondTerminated: -1 });
  });

  it('restore() rejects a malformed snapshot and leaves the vector env untouched', () => {
    const vec = new VectorEnv('MountainCar-v0', 2, 9);
    vec.reset();
    const snap = vec.snapshot();
    const states = vec.getStates();
    expect(() => vec.restore(snap.slice(0, 1))).toThrow('VectorEnv(MountainCar-v0).restore: needs 2 snapshots, got 1');
    expect(() => vec.restore([snap[0], { ...snap[1], state: [1] }])).toThrow(/snapshot 1: MountainCar-v0: restore\(\) needs 2 numbers/);
    expect(() => vec.restore([snap[0], { ...snap[1], episodeLength: -2 }])).toThrow(/snapshot 1 has a bad episodeReturn\/episodeLength/);
    expect(vec.getStates()).toEqual(states);
  });
});

function makeEnvState(id: EnvId, seed: number): number[] {
  const env = makeEnv(id, { seed });
  env.reset();
  return env.getState();
}
