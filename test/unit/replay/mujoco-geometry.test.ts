/**
 * Pins the replay's planar MuJoCo tables and kinematics (renderer/src/replay/mujoco-geometry.ts) against MuJoCo
 * itself: the official WebAssembly build compiles Gymnasium's XMLs (core/envs/mujoco/models.ts) and runs
 * mj_kinematics on seeded random qpos; every body's xpos / xquat and every capsule's ends (geom_xpos ± half-length
 * along geom_xmat's z) must agree to 1e-9.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { HALF_CHEETAH_XML, HOPPER_XML, INVERTED_PENDULUM_XML } from '../../../core/envs/mujoco/models.js';
import {
  jointNames,
  MUJOCO_ENV_IDS,
  MUJOCO_MODELS,
  mujocoGeometry,
  planarKinematics,
  type MujocoEnvId,
} from '../../../renderer/src/replay/mujoco-geometry.js';
import { REPLAY_ENVS } from '../../../renderer/src/replay/envs.js';
import { RENDER_FPS } from '../../../core/runner/rollouts.js';

const XML: Record<MujocoEnvId, string> = {
  'InvertedPendulum-v4': INVERTED_PENDULUM_XML,
  'HalfCheetah-v4': HALF_CHEETAH_XML,
  'Hopper-v4': HOPPER_XML,
};
const TOL = 1e-9;

// The WASM module's typings are loose (`any` views); these are the parts the test reads.
interface MjModel {
  nq: number;
  nbody: number;
  ngeom: number;
  njnt: number;
  qpos0: Float64Array;
  geom_type: Int32Array;
  geom_size: Float64Array;
  geom_bodyid: Int32Array;
  delete(): void;
}
interface MjData {
  qpos: Float64Array;
  xpos: Float64Array;
  xquat: Float64Array;
  geom_xpos: Float64Array;
  geom_xmat: Float64Array;
  delete(): void;
}
interface Mujoco {
  MjModel: { from_xml_string(xml: string): MjModel };
  MjData: new (m: MjModel) => MjData;
  mj_kinematics(m: MjModel, d: MjData): void;
  mj_id2name(m: MjModel, type: number, id: number): string;
  mjtObj: { mjOBJ_BODY: { value: number } | number; mjOBJ_JOINT: { value: number } | number; mjOBJ_GEOM: { value: number } | number };
}
const objType = (t: { value: number } | number): number => (typeof t === 'number' ? t : t.value);
const GEOM_PLANE = 0;
const GEOM_CAPSULE = 3;

let mj: Mujoco;
beforeAll(async () => {
  const load = (await import('@mujoco/mujoco')).default as unknown as () => Promise<Mujoco>;
  mj = await load();
});

describe.each(MUJOCO_ENV_IDS)('%s planar kinematics', (envId) => {
  const planar = MUJOCO_MODELS[envId];
  let model: MjModel;
  let data: MjData;
  beforeAll(() => {
    model = mj.MjModel.from_xml_string(XML[envId]);
    data = new mj.MjData(model);
  });
  afterAll(() => {
    data?.delete();
    model?.delete();
  });

  it('has the XML’s bodies, joints and geoms, in MuJoCo’s order', () => {
    expect(planar.nq).toBe(model.nq);
    expect(planar.bodies.length).toBe(model.nbody);
    const names = (type: number, n: number) => Array.from({ length: n }, (_, i) => mj.mj_id2name(model, type, i));
    expect(planar.bodies.map((b) => b.name)).toEqual(names(objType(mj.mjtObj.mjOBJ_BODY), model.nbody));
    expect(jointNames(planar)).toEqual(names(objType(mj.mjtObj.mjOBJ_JOINT), model.njnt));
    expect(Array.from(model.qpos0)).toEqual(planar.bodies.flatMap((b) => b.joints.map((j) => j.ref)));
    // Geoms: every capsule is tabled (same body, radius, half-length); the only other geom is the floor plane.
    const geomNames = names(objType(mj.mjtObj.mjOBJ_GEOM), model.ngeom);
    const types = Array.from(model.geom_type);
    expect(types.filter((t) => t !== GEOM_CAPSULE && t !== GEOM_PLANE)).toEqual([]);
    expect(types.includes(GEOM_PLANE)).toBe(planar.floor);
    const capsules = planar.bodies.flatMap((b, body) => b.capsules.map((c) => ({ ...c, body })));
    const mjCapsules = geomNames.map((name, g) => ({ name, g })).filter(({ g }) => types[g] === GEOM_CAPSULE);
    expect(capsules.map((c) => c.name)).toEqual(mjCapsules.map((c) => c.name));
    for (const [i, { g }] of mjCapsules.entries()) {
      const c = capsules[i];
      expect(c.body, c.name).toBe(model.geom_bodyid[g]);
      expect(c.radius, c.name).toBe(model.geom_size[3 * g]);
      expect(Math.hypot(c.b.x - c.a.x, c.b.z - c.a.z) / 2, c.name).toBeCloseTo(model.geom_size[3 * g + 1], 12);
    }
  });

  it('matches mj_kinematics on random qpos (bodies, orientations, capsule ends)', () => {
    const gen = new Rng(1234 + envId.length);
    const random = (): number => gen.uniform();
    const types = Array.from(model.geom_type);
    for (let trial = 0; trial < 50; trial++) {
      // Joints well past their ranges (kinematics ignores limits), the root anywhere along the track.
      const q = Array.from(model.qpos0, (q0, i) => q0 + (random() - 0.5) * (i === 0 ? 40 : 2 * Math.PI));
      data.qpos.set(q);
      mj.mj_kinematics(model, data);
      const scene = planarKinematics(planar, q);
      // Views on the WASM heap: read them after the call.
      const { xpos, xquat, geom_xpos: gpos, geom_xmat: gmat } = data;
      for (const [b, pose] of scene.bodies.entries()) {
        expect(Math.abs(pose.x - xpos[3 * b]), `${envId} body ${b} x`).toBeLessThan(TOL);
        expect(Math.abs(xpos[3 * b + 1]), `${envId} body ${b} y`).toBeLessThan(TOL);
        expect(Math.abs(pose.z - xpos[3 * b + 2]), `${envId} body ${b} z`).toBeLessThan(TOL);
        // Planar: xquat = ±(cos(a/2), 0, sin(a/2), 0).
        const [w, qx, qy, qz] = xquat.slice(4 * b, 4 * b + 4);
        expect(Math.abs(qx) + Math.abs(qz), `${envId} body ${b} quat off-plane`).toBeLessThan(TOL);
        // q and −q are the same turn.
        const [c, s] = [Math.cos(pose.angle / 2), Math.sin(pose.angle / 2)];
        const err = Math.min(Math.abs(w - c) + Math.abs(qy - s), Math.abs(w + c) + Math.abs(qy + s));
        expect(err, `${envId} body ${b} quat (${w}, ${qy}) vs angle ${pose.angle}`).toBeLessThan(TOL);
      }
      let c = 0;
      for (let g = 0; g < model.ngeom; g++) {
        if (types[g] !== GEOM_CAPSULE) continue;
        const cap = scene.capsules[c++];
        const half = model.geom_size[3 * g + 1];
        // geom_xmat is row-major: the local z axis is its third column.
        const axis = [gmat[9 * g + 2], gmat[9 * g + 5], gmat[9 * g + 8]];
        const centre = [gpos[3 * g], gpos[3 * g + 1], gpos[3 * g + 2]];
        expect(Math.abs(axis[1]) + Math.abs(centre[1]), `${cap.name} off-plane`).toBeLessThan(TOL);
        // MuJoCo points a `fromto` geom's z from `to` back to `from`, so the ends are compared as a pair.
        const ends = [-1, 1].map((s) => ({ x: centre[0] + s * half * axis[0], z: centre[2] + s * half * axis[2] }));
        const gap = (p: { x: number; z: number }, q: { x: number; z: number }) => Math.abs(p.x - q.x) + Math.abs(p.z - q.z);
        const err = Math.min(gap(cap.a, ends[0]) + gap(cap.b, ends[1]), gap(cap.a, ends[1]) + gap(cap.b, ends[0]));
        expect(err, `${envId} ${cap.name} ends`).toBeLessThan(TOL);
      }
    }
  });

  it('labels the replay state with the joint names, qpos then qvel, and plays at the live rollouts’ pace', () => {
    expect(RENDER_FPS[envId]).toBe(REPLAY_ENVS[envId].fps);
    const names = jointNames(planar);
    expect(REPLAY_ENVS[envId].stateSize).toBe(2 * model.nq);
    expect(REPLAY_ENVS[envId].stateLabels).toEqual([...names, ...names.map((n) => `${n}.vel`)]);
  });
});

describe('mujoco rest poses', () => {
  const lowest = (envId: MujocoEnvId, state: number[]) =>
    Math.min(...planarKinematics(MUJOCO_MODELS[envId], state).capsules.filter((c) => c.part !== 'rail').map((c) => Math.min(c.a.z, c.b.z) - c.radius));

  it('stands the hopper’s foot and the cheetah’s feet just above the floor at qpos0', () => {
    expect(lowest('Hopper-v4', [0, 1.25, 0, 0, 0, 0])).toBeCloseTo(0.04, 9);
    const cheetah = lowest('HalfCheetah-v4', new Array(9).fill(0));
    expect(cheetah).toBeGreaterThan(0);
    expect(cheetah).toBeLessThan(0.1);
  });

  it('bends the hopper’s knee backwards for a negative leg_joint (axis −y)', () => {
    const knee = (leg: number) => planarKinematics(MUJOCO_MODELS['Hopper-v4'], [0, 1.25, 0, 0, leg, 0]).capsules.find((c) => c.name === 'leg_geom')!;
    // leg_joint's range is [−150°, 0]: bending folds the shin back (−x), the ankle end rising.
    const bent = knee(-0.5);
    expect(bent.a.x).toBeLessThan(-0.05);
    expect(bent.b.x).toBeCloseTo(0, 12);
    expect(bent.a.z).toBeGreaterThan(0.1);
  });
});

describe('mujocoGeometry', () => {
  it('follows the torso along x and keeps the floor still on screen only when the torso stands still', () => {
    for (const envId of ['HalfCheetah-v4', 'Hopper-v4'] as const) {
      const qpos0 = Array.from(MUJOCO_MODELS[envId].bodies.flatMap((b) => b.joints.map((j) => j.ref)));
      const at = (x: number) => {
        const s = [...qpos0, ...qpos0.map(() => 0)];
        s[0] = x;
        return mujocoGeometry(envId, s, 480, 320);
      };
      const home = at(0);
      const far = at(7.3);
      const torso = (g: typeof home) => g.capsules.find((c) => c.part === 'torso')!;
      expect(torso(far).a.x).toBeCloseTo(torso(home).a.x, 9);
      expect(torso(home).a.x + torso(home).b.x).toBeGreaterThan(0);
      expect((torso(home).a.x + torso(home).b.x) / 2).toBeLessThan(480);
      // The floor blocks slide the other way: 7.3 m = 14 blocks + 0.3 m.
      expect(far.floorBlocks.length).toBeGreaterThan(1);
      const firstEdge = (g: typeof home) => g.floorBlocks.map((b) => b[0].x).find((x) => x > 0)!;
      const shift = (((firstEdge(home) - firstEdge(far)) / home.camera.scale) % 1 + 1) % 1;
      expect(Math.min(Math.abs(shift - 0.3), Math.abs(shift - 0.8))).toBeLessThan(1e-9);
      expect(far.floor![0].y).toBe(home.floor![0].y);
    }
  });

  it('draws the pendulum on a fixed rail with no floor', () => {
    const g = mujocoGeometry('InvertedPendulum-v4', [0.5, 0.2, 0, 0], 480, 320);
    expect(g.floor).toBeNull();
    const rail = g.capsules.find((c) => c.part === 'rail')!;
    expect((rail.a.x + rail.b.x) / 2).toBeCloseTo(240, 9);
    // θ > 0 turns the pole about +y: its top leans towards +x (right on screen).
    const pole = g.capsules.find((c) => c.part === 'pole')!;
    expect(pole.b.x).toBeGreaterThan(pole.a.x);
    expect(pole.b.y).toBeLessThan(pole.a.y);
    expect(g.cart!.x).toBeCloseTo(240 + 0.5 * g.camera.scale, 9);
  });

  it('rejects a short state by name', () => {
    expect(() => mujocoGeometry('Hopper-v4', [0, 1.25], 100, 100)).toThrow('Hopper-v4 state must have 12 numbers, got 2');
  });
});
