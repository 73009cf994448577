/**
 * Side views of Gymnasium 0.29.1's planar MuJoCo tasks (InvertedPendulum-v4, HalfCheetah-v4, Hopper-v4):
 * the bodies, joints and geoms of their model XMLs as x–z tables, planar forward kinematics from qpos, and
 * the canvas shapes a replay draws. The tables are copied from core/envs/mujoco/models.ts (the renderer may
 * not import core/envs); a unit test pins them against MuJoCo's own kinematics of those XMLs.
 *
 * Conventions: world x right, z up, seen from −y (Gymnasium's tracking cameras: xyaxes="1 0 0 0 0 1").
 * An `angle` is a rotation about +y, so a positive angle turns the +x axis towards −z (clockwise on screen).
 */
import type { Point } from './types.js';

export const MUJOCO_ENV_IDS = ['InvertedPendulum-v4', 'HalfCheetah-v4', 'Hopper-v4'] as const;
export type MujocoEnvId = (typeof MUJOCO_ENV_IDS)[number];

export function isMujocoEnvId(id: string): id is MujocoEnvId {
  return (MUJOCO_ENV_IDS as readonly string[]).includes(id);
}

/** A point or vector in the x–z plane. */
export interface Vec2 {
  x: number;
  z: number;
}

/** Which palette colour a geom takes (Gymnasium's rgba groups, with torso and head set apart). */
export type GeomPart = 'rail' | 'cart' | 'pole' | 'torso' | 'head' | 'limb' | 'shin';

export interface PlanarJoint {
  name: string;
  type: 'hinge' | 'slide';
  /** Anchor in the body frame (XML `pos`). */
  pos: Vec2;
  /** Hinge: +1 for axis "0 1 0", −1 for "0 −1 0". */
  sign: 1 | -1;
  /** Slide: unit axis in the body frame. */
  axis: Vec2;
  /** XML `ref`: qpos0 of this joint (hinge displacement is qpos − ref). */
  ref: number;
}

/** A capsule from `a` to `b` (body frame) of `radius`, as MuJoCo compiles `fromto` or `pos` + orientation + half-length. */
export interface PlanarCapsule {
  name: string;
  part: GeomPart;
  a: Vec2;
  b: Vec2;
  radius: number;
}

export interface PlanarBody {
  name: string;
  /** Index of the parent body (−1 for the world, body 0, as in MuJoCo's body order). */
  parent: number;
  pos: Vec2;
  joints: readonly PlanarJoint[];
  capsules: readonly PlanarCapsule[];
}

export interface PlanarModel {
  bodies: readonly PlanarBody[];
  /** Whether the world has Gymnasium's floor plane at z = 0 (InvertedPendulum's is commented out). */
  floor: boolean;
  nq: number;
}

const hinge = (name: string, sign: 1 | -1 = 1, pos: Vec2 = { x: 0, z: 0 }): PlanarJoint => ({
  name,
  type: 'hinge',
  pos,
  sign,
  axis: { x: 0, z: 0 },
  ref: 0,
});
const slide = (name: string, axis: Vec2, ref = 0): PlanarJoint => ({ name, type: 'slide', pos: { x: 0, z: 0 }, sign: 1, axis, ref });

/** `fromto="x0 0 z0 x1 0 z1"`. */
function fromto(name: string, part: GeomPart, radius: number, x0: number, z0: number, x1: number, z1: number): PlanarCapsule {
  return { name, part, a: { x: x0, z: z0 }, b: { x: x1, z: z1 }, radius };
}

/** `pos` + a turn of `angle` about +y + `size="radius halfLength"`: the capsule's axis is the geom's local z. */
function capsule(name: string, part: GeomPart, radius: number, halfLength: number, pos: Vec2, angle = 0): PlanarCapsule {
  const dx = halfLength * Math.sin(angle);
  const dz = halfLength * Math.cos(angle);
  return { name, part, a: { x: pos.x - dx, z: pos.z - dz }, b: { x: pos.x + dx, z: pos.z + dz }, radius };
}

/** The turn about y of a unit quaternion `w 0 y 0`. */
const quatAngle = (w: number, y: number): number => 2 * Math.atan2(y, w);

const body = (name: string, parent: number, x: number, z: number, joints: PlanarJoint[], capsules: PlanarCapsule[]): PlanarBody => ({
  name,
  parent,
  pos: { x, z },
  joints,
  capsules,
});

const X_AXIS: Vec2 = { x: 1, z: 0 };
const Z_AXIS: Vec2 = { x: 0, z: 1 };

/** inverted_pendulum.xml: no `<compiler angle>`, so degrees (only `range` uses them); `quat="0.707 0 0.707 0"` lays capsules along x. */
const INVERTED_PENDULUM: PlanarModel = {
  floor: false,
  nq: 2,
  bodies: [
    body('world', -1, 0, 0, [], [capsule('rail', 'rail', 0.02, 1, { x: 0, z: 0 }, quatAngle(0.707, 0.707))]),
    body('cart', 0, 0, 0, [slide('slider', X_AXIS)], [capsule('cart', 'cart', 0.1, 0.1, { x: 0, z: 0 }, quatAngle(0.707, 0.707))]),
    body('pole', 1, 0, 0, [hinge('hinge')], [fromto('cpole', 'pole', 0.049, 0, 0, 0.001, 0.6)]),
  ],
};

/** half_cheetah.xml: `angle="radian" coordinate="local"`; `axisangle="0 1 0 a"` turns by a radians about +y. */
const HALF_CHEETAH: PlanarModel = {
  floor: true,
  nq: 9,
  bodies: [
    body('world', -1, 0, 0, [], []),
    body(
      'torso',
      0,
      0,
      0.7,
      [slide('rootx', X_AXIS), slide('rootz', Z_AXIS), hinge('rooty')],
      [fromto('torso', 'torso', 0.046, -0.5, 0, 0.5, 0), capsule('head', 'head', 0.046, 0.15, { x: 0.6, z: 0.1 }, 0.87)],
    ),
    body('bthigh', 1, -0.5, 0, [hinge('bthigh')], [capsule('bthigh', 'limb', 0.046, 0.145, { x: 0.1, z: -0.13 }, -3.8)]),
    body('bshin', 2, 0.16, -0.25, [hinge('bshin')], [capsule('bshin', 'shin', 0.046, 0.15, { x: -0.14, z: -0.07 }, -2.03)]),
    body('bfoot', 3, -0.28, -0.14, [hinge('bfoot')], [capsule('bfoot', 'shin', 0.046, 0.094, { x: 0.03, z: -0.097 }, -0.27)]),
    body('fthigh', 1, 0.5, 0, [hinge('fthigh')], [capsule('fthigh', 'limb', 0.046, 0.133, { x: -0.07, z: -0.12 }, 0.52)]),
    body('fshin', 5, -0.14, -0.24, [hinge('fshin')], [capsule('fshin', 'shin', 0.046, 0.106, { x: 0.065, z: -0.09 }, -0.6)]),
    body('ffoot', 6, 0.13, -0.18, [hinge('ffoot')], [capsule('ffoot', 'shin', 0.046, 0.07, { x: 0.045, z: -0.07 }, -0.6)]),
  ],
};

/**
 * hopper.xml: `angle="degree"` (only `range` uses it); hinges turn about −y; capsules without `fromto` lie along
 * the body's z. The leg and foot hinges sit off their body origins (the knee and ankle), and rootz has
 * `ref="1.25"`, so qpos[1] is the torso's height itself.
 */
const HOPPER: PlanarModel = {
  floor: true,
  nq: 6,
  bodies: [
    body('world', -1, 0, 0, [], []),
    body(
      'torso',
      0,
      0,
      1.25,
      [slide('rootx', X_AXIS), slide('rootz', Z_AXIS, 1.25), hinge('rooty')],
      [capsule('torso_geom', 'torso', 0.05, 0.19999999999999996, { x: 0, z: 0 })],
    ),
    body('thigh', 1, 0, -0.19999999999999996, [hinge('thigh_joint', -1)], [
      capsule('thigh_geom', 'limb', 0.05, 0.22500000000000003, { x: 0, z: -0.22500000000000009 }),
    ]),
    body('leg', 2, 0, -0.70000000000000007, [hinge('leg_joint', -1, { x: 0, z: 0.25 })], [capsule('leg_geom', 'shin', 0.04, 0.25, { x: 0, z: 0 })]),
    body('foot', 3, 0.13, -0.35, [hinge('foot_joint', -1, { x: -0.13, z: 0.1 })], [
      capsule('foot_geom', 'shin', 0.06, 0.195, { x: -0.065, z: 0.1 }, quatAngle(0.70710678118654757, -0.70710678118654746)),
    ]),
  ],
};

export const MUJOCO_MODELS: Record<MujocoEnvId, PlanarModel> = {
  'InvertedPendulum-v4': INVERTED_PENDULUM,
  'HalfCheetah-v4': HALF_CHEETAH,
  'Hopper-v4': HOPPER,
};

/** Joint names in qpos order (depth-first body order, joints in document order), for labels. */
export function jointNames(model: PlanarModel): string[] {
  return model.bodies.flatMap((b) => b.joints.map((j) => j.name));
}

/** A body's frame in the world. */
export interface PlanarPose {
  x: number;
  z: number;
  angle: number;
}

export interface PlanarScene {
  /** World poses, one per body, body 0 the world (MuJoCo's `xpos` / `xquat` order). */
  bodies: PlanarPose[];
  /** Capsules with world endpoints. */
  capsules: (PlanarCapsule & { body: number })[];
  /** World anchors of the hinges between links (not the root's free hinge). */
  hinges: Vec2[];
}

function turn(v: Vec2, angle: number): Vec2 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return { x: v.x * c + v.z * s, z: -v.x * s + v.z * c };
}

function framePoint(pose: PlanarPose, v: Vec2): Vec2 {
  const r = turn(v, pose.angle);
  return { x: pose.x + r.x, z: pose.z + r.z };
}

/** MuJoCo's mj_kinematics restricted to the x–z plane: joints of a body applied in order, hinges about their anchors. */
export function planarKinematics(model: PlanarModel, qpos: readonly number[]): PlanarScene {
  if (qpos.length < model.nq) throw new Error(`planar kinematics needs ${model.nq} qpos values, got ${qpos.length}`);
  const bodies: PlanarPose[] = [];
  const capsules: PlanarScene['capsules'] = [];
  const hinges: Vec2[] = [];
  let q = 0;
  for (const [i, b] of model.bodies.entries()) {
    const parent = b.parent < 0 ? { x: 0, z: 0, angle: 0 } : bodies[b.parent];
    const origin = framePoint(parent, b.pos);
    const pose: PlanarPose = { x: origin.x, z: origin.z, angle: parent.angle };
    for (const j of b.joints) {
      const d = qpos[q++] - j.ref;
      if (j.type === 'slide') {
        const axis = turn(j.axis, pose.angle);
        pose.x += axis.x * d;
        pose.z += axis.z * d;
      } else {
        const anchor = framePoint(pose, j.pos);
        pose.angle += j.sign * d;
        const offset = turn(j.pos, pose.angle);
        pose.x = anchor.x - offset.x;
        pose.z = anchor.z - offset.z;
        if (b.parent > 0) hinges.push(anchor);
      }
    }
    bodies.push(pose);
    for (const c of b.capsules) capsules.push({ ...c, body: i, a: framePoint(pose, c.a), b: framePoint(pose, c.b) });
  }
  return { bodies, capsules, hinges };
}

// ---------------------------------------------------------------- camera and canvas shapes

/**
 * What each view shows: the world z range (bottom, top) and at least `minSpanX` metres across. HalfCheetah and
 * Hopper follow the torso's x, as their `track` cameras do; InvertedPendulum's view is fixed on the rail.
 */
export const MUJOCO_VIEWS: Record<MujocoEnvId, { zMin: number; zMax: number; minSpanX: number; track: boolean }> = {
  'InvertedPendulum-v4': { zMin: -0.4, zMax: 0.8, minSpanX: 3, track: false },
  'HalfCheetah-v4': { zMin: -0.3, zMax: 1.3, minSpanX: 2.6, track: true },
  'Hopper-v4': { zMin: -0.3, zMax: 1.9, minSpanX: 2.2, track: true },
};

/** Width of one floor block (the alternating strip under the floor line that shows forward motion), metres. */
export const FLOOR_BLOCK = 0.5;
/** Depth of the floor strip, metres. */
export const FLOOR_DEPTH = 0.06;

export interface MujocoCamera {
  /** Canvas units per metre. */
  scale: number;
  /** World x at the canvas centre. */
  centreX: number;
  /** World z at the canvas centre. */
  centreZ: number;
  width: number;
  height: number;
}

export function mujocoCamera(envId: MujocoEnvId, scene: PlanarScene, width: number, height: number): MujocoCamera {
  if (!(width > 0 && height > 0)) throw new Error(`canvas size must be positive, got ${width}×${height}`);
  const view = MUJOCO_VIEWS[envId];
  const scale = Math.min(height / (view.zMax - view.zMin), width / view.minSpanX);
  const centreX = view.track ? scene.bodies[1].x : 0;
  return { scale, centreX, centreZ: (view.zMin + view.zMax) / 2, width, height };
}

export function worldToCanvas(cam: MujocoCamera, v: Vec2): Point {
  return { x: cam.width / 2 + (v.x - cam.centreX) * cam.scale, y: cam.height / 2 - (v.z - cam.centreZ) * cam.scale };
}

export interface MujocoCanvasCapsule {
  name: string;
  part: GeomPart;
  a: Point;
  b: Point;
  /** Stroke width (the capsule's diameter) in canvas units. */
  width: number;
}

export interface MujocoGeometry {
  camera: MujocoCamera;
  scene: PlanarScene;
  /** Capsules in drawing order: the world's (rail) first, then the bodies in MuJoCo order. */
  capsules: MujocoCanvasCapsule[];
  hinges: Point[];
  hingeRadius: number;
  /** The floor line across the canvas, or null (InvertedPendulum). */
  floor: [Point, Point] | null;
  /** Every other floor block, as quads clipped to the canvas. */
  floorBlocks: Point[][];
  /** InvertedPendulum: the cart's centre, where the push arrow starts. */
  cart: Point | null;
}

const STATE_SIZE: Record<MujocoEnvId, number> = { 'InvertedPendulum-v4': 4, 'HalfCheetah-v4': 18, 'Hopper-v4': 12 };

/** state = Gymnasium's `state_vector()`: qpos then qvel. */
export function mujocoGeometry(envId: MujocoEnvId, state: readonly number[], width: number, height: number): MujocoGeometry {
  if (state.length < STATE_SIZE[envId]) throw new Error(`${envId} state must have ${STATE_SIZE[envId]} numbers, got ${state.length}`);
  const model = MUJOCO_MODELS[envId];
  const scene = planarKinematics(model, state.slice(0, model.nq));
  const cam = mujocoCamera(envId, scene, width, height);
  const capsules = scene.capsules.map((c) => ({
    name: c.name,
    part: c.part,
    a: worldToCanvas(cam, c.a),
    b: worldToCanvas(cam, c.b),
    width: 2 * c.radius * cam.scale,
  }));
  const minRadius = Math.min(...scene.capsules.map((c) => c.radius));
  const floorBlocks: Point[][] = [];
  let floor: [Point, Point] | null = null;
  if (model.floor) {
    const y0 = worldToCanvas(cam, { x: 0, z: 0 }).y;
    const y1 = worldToCanvas(cam, { x: 0, z: -FLOOR_DEPTH }).y;
    floor = [
      { x: 0, y: y0 },
      { x: width, y: y0 },
    ];
    const left = cam.centreX - width / 2 / cam.scale;
    const right = cam.centreX + width / 2 / cam.scale;
    for (let k = Math.floor(left / FLOOR_BLOCK); k * FLOOR_BLOCK < right; k++) {
      if (k % 2 !== 0) continue;
      const xa = Math.max(0, worldToCanvas(cam, { x: k * FLOOR_BLOCK, z: 0 }).x);
      const xb = Math.min(width, worldToCanvas(cam, { x: (k + 1) * FLOOR_BLOCK, z: 0 }).x);
      if (xb > xa) floorBlocks.push([{ x: xa, y: y0 }, { x: xb, y: y0 }, { x: xb, y: y1 }, { x: xa, y: y1 }]);
    }
  }
  return {
    camera: cam,
    scene,
    capsules,
    hinges: scene.hinges.map((h) => worldToCanvas(cam, h)),
    hingeRadius: 0.6 * minRadius * cam.scale,
    floor,
    floorBlocks,
    cart: envId === 'InvertedPendulum-v4' ? worldToCanvas(cam, scene.bodies[1]) : null,
  };
}
