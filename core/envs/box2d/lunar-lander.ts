/**
 * LunarLander-v2 and LunarLanderContinuous-v2, as Gymnasium 0.29.1 defines them (`box2d/lunar_lander.py`,
 * Oleg Klimov), on planck.js — a maintained TypeScript port of Box2D 2.3, the Box2D generation pybox2d 2.3.10
 * (Gymnasium's binding) wraps. What is the same, by construction: the terrain draw (12 heights, smoothed, the
 * helipad flat), the bodies, fixtures, densities, frictions, collision filters and the legs' motorised revolute
 * joints (reference angle 0, limits and motor speeds as Gymnasium sets them), the initial random force, the engines'
 * dispersion and impulse points, `world.Step(1/50, 180, 60)`, the contact detector (including its quirk that one
 * ending contact clears a leg's flag), the observation's scaling, the reward shaping and fuel costs, and the
 * termination rules (body contact or |x| ≥ 1 → −100, the lander asleep → +100). What cannot be identical: pybox2d
 * computes in float32 and planck in float64, and our Rng is not NumPy's PCG64 — so trajectories are not bit-for-bit
 * Gymnasium's (see README). The wind option (off by default in Gymnasium) is not offered; the engine particles are
 * not simulated (Gymnasium 0.29.1 creates them only when rendering, and they collide with nothing but the ground).
 *
 * State layout (Gymnasium's LunarLander has no `env.unwrapped.state`; this is PolicyLab's, `STATE_LABELS`): the 11
 * terrain heights, then x, y, angle, vx, vy, ω of the lander and of each leg (world units), the legs' contact
 * flags, game-over and the previous shaping term. Replay draws from it, and `setState` rebuilds a world from it.
 *
 * Exactness: a Box2D world also holds contact and joint warm-start impulses and sleep timers that no state vector
 * carries. So the core keeps, per copy, the RNG state at the episode's reset and the actions since; snapshots carry
 * them (`EnvSnapshot.world`) and restore replays the episode, which is exact — checked against the saved state.
 */
import { Box, Edge, Polygon, RevoluteJoint, World, type Body, type Contact } from 'planck';
import { Rng, type RngState } from '../../common/rng.js';
import type { EnvSnapshot } from '../env.js';
import { boxSpace, discreteSpace } from '../spaces.js';
import type { EnvCore } from '../classic/core.js';

const FPS = 50;
const SCALE = 30.0;
const MAIN_ENGINE_POWER = 13.0;
const SIDE_ENGINE_POWER = 0.6;
const INITIAL_RANDOM = 1000.0;
const LANDER_POLY: readonly (readonly [number, number])[] = [[-14, 17], [-17, 0], [-17, -10], [17, -10], [17, 0], [14, 17]];
const LEG_AWAY = 20;
const LEG_DOWN = 18;
const LEG_W = 2;
const LEG_H = 8;
const LEG_SPRING_TORQUE = 40;
const SIDE_ENGINE_HEIGHT = 14;
const SIDE_ENGINE_AWAY = 12;
const MAIN_ENGINE_Y_LOCATION = 4;
const VIEWPORT_W = 600;
const VIEWPORT_H = 400;
export const LANDER_W = VIEWPORT_W / SCALE;
export const LANDER_H = VIEWPORT_H / SCALE;
export const CHUNKS = 11;
export const HELIPAD_Y = LANDER_H / 4;
export const HELIPAD_X1 = (LANDER_W / (CHUNKS - 1)) * (Math.floor(CHUNKS / 2) - 1);
export const HELIPAD_X2 = (LANDER_W / (CHUNKS - 1)) * (Math.floor(CHUNKS / 2) + 1);
/** Lander outline and leg half-sizes in world units (for renderers). */
export const LANDER_OUTLINE = LANDER_POLY.map(([x, y]) => [x / SCALE, y / SCALE] as const);
export const LEG_HALF = [LEG_W / SCALE, LEG_H / SCALE] as const;

/** Offsets into a copy's state. */
export const S = { terrain: 0, lander: CHUNKS, leg0: CHUNKS + 6, leg1: CHUNKS + 12, contact0: CHUNKS + 18, contact1: CHUNKS + 19, gameOver: CHUNKS + 20, prevShaping: CHUNKS + 21 } as const;
export const LANDER_STATE_SIZE = CHUNKS + 22;
export const STATE_LABELS: readonly string[] = [
  ...Array.from({ length: CHUNKS }, (_, i) => `terrain${i}`),
  ...['lander', 'leg0', 'leg1'].flatMap((b) => ['x', 'y', 'angle', 'vx', 'vy', 'ω'].map((k) => `${b}.${k}`)),
  'leg0.contact', 'leg1.contact', 'gameOver', 'prevShaping',
];

const OBS_LOW = [-1.5, -1.5, -5.0, -5.0, -Math.PI, -5.0, -0.0, -0.0];
const OBS_HIGH = [1.5, 1.5, 5.0, 5.0, Math.PI, 5.0, 1.0, 1.0];

/** The replayable record of a copy's episode: the RNG at its reset and every action since. */
export interface WorldRecord {
  rng: RngState;
  actions: number[];
}

interface Copy {
  world: World;
  lander: Body;
  legs: [Body, Body];
  contact: [boolean, boolean];
  gameOver: boolean;
  prevShaping: number;
  /** Null when the world was rebuilt from a bare state (setState): not replayable. */
  record: WorldRecord | null;
  /** The state this core last wrote to the slot; a slot that differs was set from outside and is rebuilt. */
  written: Float64Array;
}

function terrainChunkX(i: number): number {
  return (LANDER_W / (CHUNKS - 1)) * i;
}

/** Builds the world of an episode: terrain from the smoothed heights, then the lander and its legs. */
function buildWorld(smoothY: ArrayLike<number>, landerX: number, landerY: number): Copy {
  const world = new World({ gravity: { x: 0, y: -10 } });
  const moon = world.createBody();
  moon.createFixture({ shape: new Edge({ x: 0, y: 0 }, { x: LANDER_W, y: 0 }) }); // pybox2d's default fixture: friction 0.2
  for (let i = 0; i < CHUNKS - 1; i++) {
    const p1 = { x: terrainChunkX(i), y: smoothY[i] };
    const p2 = { x: terrainChunkX(i + 1), y: smoothY[i + 1] };
    moon.createFixture({ shape: new Edge(p1, p2), density: 0, friction: 0.1 });
  }
  const lander = world.createDynamicBody({ position: { x: landerX, y: landerY }, angle: 0 });
  lander.createFixture({
    shape: new Polygon(LANDER_OUTLINE.map(([x, y]) => ({ x, y }))),
    density: 5.0,
    friction: 0.1,
    filterCategoryBits: 0x0010,
    filterMaskBits: 0x001,
    restitution: 0.0,
  });
  const legs = [-1, 1].map((i) => {
    const leg = world.createDynamicBody({ position: { x: landerX - (i * LEG_AWAY) / SCALE, y: landerY }, angle: i * 0.05 });
    leg.createFixture({ shape: new Box(LEG_W / SCALE, LEG_H / SCALE), density: 1.0, friction: 0.2, restitution: 0.0, filterCategoryBits: 0x0020, filterMaskBits: 0x001 });
    world.createJoint(
      new RevoluteJoint({
        bodyA: lander,
        bodyB: leg,
        localAnchorA: { x: 0, y: 0 },
        localAnchorB: { x: (i * LEG_AWAY) / SCALE, y: LEG_DOWN / SCALE },
        referenceAngle: 0, // pybox2d's revoluteJointDef default (planck would take the bodies' angle difference)
        enableMotor: true,
        enableLimit: true,
        maxMotorTorque: LEG_SPRING_TORQUE,
        motorSpeed: 0.3 * i,
        lowerAngle: i === -1 ? 0.9 - 0.5 : -0.9,
        upperAngle: i === -1 ? 0.9 : -0.9 + 0.5,
      }),
    );
    return leg;
  }) as [Body, Body];
  const copy: Copy = { world, lander, legs, contact: [false, false], gameOver: false, prevShaping: NaN, record: null, written: new Float64Array(LANDER_STATE_SIZE) };
  // Gymnasium's ContactDetector
  world.on('begin-contact', (c: Contact) => {
    const a = c.getFixtureA().getBody();
    const b = c.getFixtureB().getBody();
    if (a === lander || b === lander) copy.gameOver = true;
    for (let k = 0; k < 2; k++) if (a === legs[k] || b === legs[k]) copy.contact[k] = true;
  });
  world.on('end-contact', (c: Contact) => {
    const a = c.getFixtureA().getBody();
    const b = c.getFixtureB().getBody();
    for (let k = 0; k < 2; k++) if (a === legs[k] || b === legs[k]) copy.contact[k] = false;
  });
  return copy;
}

function writeBody(state: Float64Array, at: number, body: Body): void {
  const p = body.getPosition();
  const v = body.getLinearVelocity();
  state[at] = p.x;
  state[at + 1] = p.y;
  state[at + 2] = body.getAngle();
  state[at + 3] = v.x;
  state[at + 4] = v.y;
  state[at + 5] = body.getAngularVelocity();
}

function readBody(state: ArrayLike<number>, at: number, body: Body): void {
  body.setTransform({ x: state[at], y: state[at + 1] }, state[at + 2]);
  body.setLinearVelocity({ x: state[at + 3], y: state[at + 4] });
  body.setAngularVelocity(state[at + 5]);
  body.setAwake(true);
}

/** The observation's first six numbers from a copy's state (Gymnasium's scaling). */
function observation(state: ArrayLike<number>, s: number, out: Float64Array | Float32Array, o: number): void {
  const l = s + S.lander;
  out[o] = (state[l] - LANDER_W / 2) / (LANDER_W / 2);
  out[o + 1] = (state[l + 1] - (HELIPAD_Y + LEG_DOWN / SCALE)) / (LANDER_H / 2);
  out[o + 2] = (state[l + 3] * (LANDER_W / 2)) / FPS;
  out[o + 3] = (state[l + 4] * (LANDER_H / 2)) / FPS;
  out[o + 4] = state[l + 2];
  out[o + 5] = (20.0 * state[l + 5]) / FPS;
  out[o + 6] = state[s + S.contact0];
  out[o + 7] = state[s + S.contact1];
}

export class LunarLanderCore implements EnvCore {
  readonly id: string;
  readonly observationSpace = boxSpace(OBS_LOW, OBS_HIGH);
  readonly actionSpace;
  readonly stateSize = LANDER_STATE_SIZE;
  readonly hidden = [] as const;
  readonly slotSize = LANDER_STATE_SIZE;
  readonly continuous: boolean;
  /** Each copy's world, by its slot offset. */
  readonly #copies = new Map<number, Copy>();
  readonly #obs64 = new Float64Array(8);
  /** Where reset's no-op step puts the reward Gymnasium discards. */
  readonly #resetReward = new Float64Array(1);

  constructor(options: { continuous?: boolean } = {}) {
    this.continuous = options.continuous ?? false;
    this.id = this.continuous ? 'LunarLanderContinuous-v2' : 'LunarLander-v2';
    this.actionSpace = this.continuous ? boxSpace([-1, -1], [1, 1]) : discreteSpace(4);
  }

  reset(state: Float64Array, s: number, rng: Rng): void {
    const record: WorldRecord = { rng: rng.getState(), actions: [] };
    const height = Array.from({ length: CHUNKS + 1 }, () => rng.uniformRange(0, LANDER_H / 2));
    const mid = Math.floor(CHUNKS / 2);
    for (let k = mid - 2; k <= mid + 2; k++) height[k] = HELIPAD_Y;
    // Python's height[i - 1] at i = 0 is height[-1], the last of the CHUNKS + 1 heights
    for (let i = 0; i < CHUNKS; i++) state[s + i] = 0.33 * (height[(i - 1 + CHUNKS + 1) % (CHUNKS + 1)] + height[i] + height[i + 1]);
    const copy = buildWorld(state.subarray(s, s + CHUNKS), LANDER_W / 2, LANDER_H);
    copy.lander.applyForceToCenter({ x: rng.uniformRange(-INITIAL_RANDOM, INITIAL_RANDOM), y: rng.uniformRange(-INITIAL_RANDOM, INITIAL_RANDOM) }, true);
    this.#copies.set(s, copy);
    // Gymnasium's reset ends with step(noop): its observation is the first one; prev_shaping is set from it
    this.#advance(copy, state, s, this.continuous ? [0, 0] : [0], 0, this.#resetReward, 0, rng);
    copy.record = record;
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number, rng: Rng): number {
    const copy = this.#copy(state, s);
    if (copy.record) {
      copy.record.actions.push(actions[a]);
      if (this.continuous) copy.record.actions.push(actions[a + 1]);
    }
    const terminated = this.#advance(copy, state, s, actions, a, rewards, r, rng);
    this.observe(state, s, obs, o);
    return terminated;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    observation(state, s, obs, o);
  }

  /** The replay record of the copy at slot `s` (null where its world was rebuilt from a bare state). */
  exportWorld(state: Float64Array, s: number): WorldRecord | undefined {
    const copy = this.#copies.get(s);
    if (!copy || !copy.record || !sameState(copy.written, state, s)) return undefined;
    return { rng: copy.record.rng, actions: [...copy.record.actions] };
  }

  /**
   * Builds the world of a snapshot by replaying its episode from `snapshot.world` (exact: the replayed state and RNG
   * must equal the snapshot's, else this throws); without a record the world is rebuilt from the bare state on the
   * next step. The returned function installs it for slot `s`.
   */
  prepareWorld(snapshot: EnvSnapshot): (s: number) => void {
    const record = snapshot.world;
    if (record === undefined) return (s) => this.#copies.delete(s);
    const perStep = this.continuous ? 2 : 1;
    if (record.actions.length % perStep !== 0) throw new Error(`${this.id}: snapshot.world.actions must hold ${perStep} numbers per step`);
    const replayed = new Float64Array(LANDER_STATE_SIZE);
    const rng = new Rng(0);
    rng.setState(record.rng);
    const scratchObs = new Float32Array(8);
    const scratchReward = new Float64Array(1);
    const replay = new LunarLanderCore({ continuous: this.continuous });
    replay.reset(replayed, 0, rng);
    for (let t = 0; t < record.actions.length; t += perStep) replay.step(replayed, 0, record.actions, t, scratchObs, 0, scratchReward, 0, rng);
    const rngNow = rng.getState();
    if (!sameState(replayed, snapshot.state, 0) || rngNow.some((v, k) => v !== snapshot.rng[k])) {
      throw new Error(`${this.id}: snapshot.world does not replay to snapshot.state (the snapshot was altered or comes from another version)`);
    }
    const copy = replay.#copies.get(0)!;
    return (s) => this.#copies.set(s, copy);
  }

  /** The copy's world, rebuilt from the slot when the slot was set from outside (setState, a restore without record). */
  #copy(state: Float64Array, s: number): Copy {
    const copy = this.#copies.get(s);
    if (copy && sameState(copy.written, state, s)) return copy;
    const built = buildWorld(state.subarray(s, s + CHUNKS), state[s + S.lander], state[s + S.lander + 1]);
    readBody(state, s + S.lander, built.lander);
    readBody(state, s + S.leg0, built.legs[0]);
    readBody(state, s + S.leg1, built.legs[1]);
    built.contact[0] = state[s + S.contact0] !== 0;
    built.contact[1] = state[s + S.contact1] !== 0;
    built.gameOver = state[s + S.gameOver] !== 0;
    built.prevShaping = state[s + S.prevShaping];
    built.written.set(state.subarray(s, s + LANDER_STATE_SIZE));
    this.#copies.set(s, built);
    return built;
  }

  /** Gymnasium's step: engines, world step, shaping reward (to `rewards[r]`) and termination (1/0); writes the slot. */
  #advance(copy: Copy, state: Float64Array, s: number, actions: ArrayLike<number>, a: number, rewards: Float64Array, r: number, rng: Rng): number {
    const { lander } = copy;
    let mainOn: boolean;
    let sideOn: boolean;
    let mainThrottle = 0;
    let sideThrottle = 0;
    let direction = 0;
    if (this.continuous) {
      const a0 = Math.fround(Math.min(Math.max(actions[a], -1), 1));
      const a1 = Math.fround(Math.min(Math.max(actions[a + 1], -1), 1));
      mainOn = a0 > 0;
      sideOn = Math.abs(a1) > 0.5;
      if (mainOn) mainThrottle = Math.fround((Math.fround(Math.min(Math.max(a0, 0), 1)) + 1.0) * 0.5);
      if (sideOn) {
        direction = Math.sign(a1);
        sideThrottle = Math.min(Math.max(Math.abs(a1), 0.5), 1.0);
      }
    } else {
      const act = actions[a];
      mainOn = act === 2;
      sideOn = act === 1 || act === 3;
      if (mainOn) mainThrottle = 1.0;
      if (sideOn) {
        direction = act - 2;
        sideThrottle = 1.0;
      }
    }
    const angle = lander.getAngle();
    const tip0 = Math.sin(angle);
    const tip1 = Math.cos(angle);
    const side0 = -tip1;
    const side1 = tip0;
    const d0 = rng.uniformRange(-1.0, 1.0) / SCALE;
    const d1 = rng.uniformRange(-1.0, 1.0) / SCALE;
    if (mainOn) {
      const ox = tip0 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * d0) + side0 * d1;
      const oy = -tip1 * (MAIN_ENGINE_Y_LOCATION / SCALE + 2 * d0) - side1 * d1;
      const p = lander.getPosition();
      const at = { x: p.x + ox, y: p.y + oy };
      lander.applyLinearImpulse({ x: -ox * MAIN_ENGINE_POWER * mainThrottle, y: -oy * MAIN_ENGINE_POWER * mainThrottle }, at, true);
    }
    if (sideOn) {
      const ox = tip0 * d0 + side0 * (3 * d1 + (direction * SIDE_ENGINE_AWAY) / SCALE);
      const oy = -tip1 * d0 - side1 * (3 * d1 + (direction * SIDE_ENGINE_AWAY) / SCALE);
      const p = lander.getPosition();
      const at = { x: p.x + ox - (tip0 * 17) / SCALE, y: p.y + oy + (tip1 * SIDE_ENGINE_HEIGHT) / SCALE };
      lander.applyLinearImpulse({ x: -ox * SIDE_ENGINE_POWER * sideThrottle, y: -oy * SIDE_ENGINE_POWER * sideThrottle }, at, true);
    }
    copy.world.step(1.0 / FPS, 6 * 30, 2 * 30);

    writeBody(state, s + S.lander, lander);
    writeBody(state, s + S.leg0, copy.legs[0]);
    writeBody(state, s + S.leg1, copy.legs[1]);
    state[s + S.contact0] = copy.contact[0] ? 1 : 0;
    state[s + S.contact1] = copy.contact[1] ? 1 : 0;
    state[s + S.gameOver] = copy.gameOver ? 1 : 0;
    const o = this.#obs64;
    observation(state, s, o, 0);
    const shaping = -100 * Math.sqrt(o[0] * o[0] + o[1] * o[1]) - 100 * Math.sqrt(o[2] * o[2] + o[3] * o[3]) - 100 * Math.abs(o[4]) + 10 * o[6] + 10 * o[7];
    let reward = Number.isNaN(copy.prevShaping) ? 0 : shaping - copy.prevShaping;
    copy.prevShaping = shaping;
    state[s + S.prevShaping] = shaping;
    reward -= mainThrottle * 0.3;
    reward -= sideThrottle * 0.03;
    let terminated = 0;
    if (copy.gameOver || Math.abs(o[0]) >= 1.0) {
      terminated = 1;
      reward = -100;
    }
    if (!lander.isAwake()) {
      terminated = 1;
      reward = +100;
    }
    rewards[r] = reward;
    copy.written.set(state.subarray(s, s + LANDER_STATE_SIZE));
    return terminated;
  }
}

function sameState(written: Float64Array, state: ArrayLike<number>, s: number): boolean {
  for (let k = 0; k < LANDER_STATE_SIZE; k++) if (written[k] !== state[s + k]) return false;
  return true;
}

/** Gymnasium's `heuristic(env, s)`: the scripted lander its tests use (an action for the observation `s`). */
export function lunarLanderHeuristic(s: ArrayLike<number>, continuous: boolean): number | [number, number] {
  let angleTarg = s[0] * 0.5 + s[2] * 1.0;
  if (angleTarg > 0.4) angleTarg = 0.4;
  if (angleTarg < -0.4) angleTarg = -0.4;
  const hoverTarg = 0.55 * Math.abs(s[0]);
  let angleTodo = (angleTarg - s[4]) * 0.5 - s[5] * 1.0;
  let hoverTodo = (hoverTarg - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] || s[7]) {
    angleTodo = 0;
    hoverTodo = -s[3] * 0.5;
  }
  if (continuous) {
    const clip = (v: number): number => Math.min(Math.max(v, -1), 1);
    return [clip(hoverTodo * 20 - 1), clip(-angleTodo * 20)];
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2;
  if (angleTodo < -0.05) return 3;
  if (angleTodo > 0.05) return 1;
  return 0;
}
