/**
 * Pure geometry of Gymnasium's classic-control and LunarLander renderings (classic_control/*.py, box2d/lunar_lander.py `render`),
 * computed in each env's virtual screen (y up, as pygame draws before its final flip) and mapped onto a
 * canvas of any size with a uniform scale, centred, y down.
 */
import type { Point } from './types.js';

export interface Viewport {
  /** Canvas units per virtual pixel. */
  scale: number;
  offsetX: number;
  offsetY: number;
  virtualWidth: number;
  virtualHeight: number;
}

/** Largest uniform scale that fits the virtual screen in the canvas, centred. */
export function fitViewport(width: number, height: number, virtualWidth: number, virtualHeight: number): Viewport {
  if (!(width > 0 && height > 0)) throw new Error(`canvas size must be positive, got ${width}×${height}`);
  const scale = Math.min(width / virtualWidth, height / virtualHeight);
  return {
    scale,
    offsetX: (width - virtualWidth * scale) / 2,
    offsetY: (height - virtualHeight * scale) / 2,
    virtualWidth,
    virtualHeight,
  };
}

/** Virtual (y up) → canvas (y down). */
export function toCanvas(vp: Viewport, x: number, y: number): Point {
  return { x: vp.offsetX + x * vp.scale, y: vp.offsetY + (vp.virtualHeight - y) * vp.scale };
}

/** Rotates (x, y) counter-clockwise by `angle` radians (pygame's Vector2.rotate_rad in y-up space). */
export function rotate(x: number, y: number, angle: number): [number, number] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [x * c - y * s, x * s + y * c];
}

function requireState(envId: string, state: readonly number[], size: number): void {
  if (state.length < size) throw new Error(`${envId} state must have ${size} numbers, got ${state.length}`);
}

// ---------------------------------------------------------------- CartPole
export const CARTPOLE = {
  screenWidth: 600,
  screenHeight: 400,
  xThreshold: 2.4,
  /** Half the pole's length (Gymnasium's `length`). */
  halfPoleLength: 0.5,
  poleWidth: 10,
  cartWidth: 50,
  cartHeight: 30,
  cartY: 100,
} as const;

export interface CartPoleGeometry {
  viewport: Viewport;
  /** Track line, full canvas width. */
  track: [Point, Point];
  cart: Point[];
  pole: Point[];
  axle: Point;
  axleRadius: number;
  poleTip: Point;
}

/** state = [x, x_dot, theta, theta_dot]; theta > 0 leans the pole right. */
export function cartPoleGeometry(state: readonly number[], width: number, height: number): CartPoleGeometry {
  requireState('CartPole-v1', state, 4);
  const C = CARTPOLE;
  const vp = fitViewport(width, height, C.screenWidth, C.screenHeight);
  const worldScale = C.screenWidth / (C.xThreshold * 2);
  const poleLength = worldScale * 2 * C.halfPoleLength;
  const cartX = state[0] * worldScale + C.screenWidth / 2;
  const axleY = C.cartY + C.cartHeight / 4;
  const [l, r, t, b] = [-C.cartWidth / 2, C.cartWidth / 2, C.cartHeight / 2, -C.cartHeight / 2];
  const cart = [[l, b], [l, t], [r, t], [r, b]].map(([x, y]) => toCanvas(vp, cartX + x, C.cartY + y));
  const [pl, pr, pt, pb] = [-C.poleWidth / 2, C.poleWidth / 2, poleLength - C.poleWidth / 2, -C.poleWidth / 2];
  const pole = [[pl, pb], [pl, pt], [pr, pt], [pr, pb]].map(([x, y]) => {
    const [rx, ry] = rotate(x, y, -state[2]);
    return toCanvas(vp, cartX + rx, axleY + ry);
  });
  const [tx, ty] = rotate(0, poleLength, -state[2]);
  return {
    viewport: vp,
    track: [
      { x: 0, y: toCanvas(vp, 0, C.cartY).y },
      { x: width, y: toCanvas(vp, 0, C.cartY).y },
    ],
    cart,
    pole,
    axle: toCanvas(vp, cartX, axleY),
    axleRadius: (C.poleWidth / 2) * vp.scale,
    poleTip: toCanvas(vp, cartX + tx, axleY + ty),
  };
}

// ---------------------------------------------------------------- Acrobot
export const ACROBOT = { screenDim: 500, linkLength1: 1, linkLength2: 1 } as const;

export interface AcrobotGeometry {
  viewport: Viewport;
  pivot: Point;
  elbow: Point;
  tip: Point;
  /** Link rectangles (pivot→elbow, elbow→tip). */
  links: [Point[], Point[]];
  jointRadius: number;
  /** Goal line: the tip must rise above one link length over the pivot. */
  target: [Point, Point];
}

/** state = [theta1, theta2, dtheta1, dtheta2]; theta1 = 0 hangs straight down, theta2 is relative to link 1. */
export function acrobotGeometry(state: readonly number[], width: number, height: number): AcrobotGeometry {
  requireState('Acrobot-v1', state, 4);
  const A = ACROBOT;
  const vp = fitViewport(width, height, A.screenDim, A.screenDim);
  const bound = A.linkLength1 + A.linkLength2 + 0.2;
  const s = A.screenDim / (bound * 2);
  const offset = A.screenDim / 2;
  const [t1, t2] = [state[0], state[1]];
  // Gymnasium computes p = (−L cos θ, L sin θ) and swaps the axes: screen (x, y) = (L sin θ, −L cos θ).
  const elbow = { x: A.linkLength1 * Math.sin(t1) * s, y: -A.linkLength1 * Math.cos(t1) * s };
  const tip = {
    x: elbow.x + A.linkLength2 * Math.sin(t1 + t2) * s,
    y: elbow.y - A.linkLength2 * Math.cos(t1 + t2) * s,
  };
  const link = (from: { x: number; y: number }, angle: number, length: number): Point[] =>
    [[0, -0.1 * s], [0, 0.1 * s], [length, 0.1 * s], [length, -0.1 * s]].map(([x, y]) => {
      const [rx, ry] = rotate(x, y, angle);
      return toCanvas(vp, offset + from.x + rx, offset + from.y + ry);
    });
  return {
    viewport: vp,
    pivot: toCanvas(vp, offset, offset),
    elbow: toCanvas(vp, offset + elbow.x, offset + elbow.y),
    tip: toCanvas(vp, offset + tip.x, offset + tip.y),
    links: [link({ x: 0, y: 0 }, t1 - Math.PI / 2, A.linkLength1 * s), link(elbow, t1 + t2 - Math.PI / 2, A.linkLength2 * s)],
    jointRadius: 0.1 * s * vp.scale,
    target: [toCanvas(vp, offset - 2.2 * s, offset + s), toCanvas(vp, offset + 2.2 * s, offset + s)],
  };
}

// ---------------------------------------------------------------- Mountain car
export const MOUNTAIN_CAR = {
  screenWidth: 600,
  screenHeight: 400,
  minPosition: -1.2,
  maxPosition: 0.6,
  carWidth: 40,
  carHeight: 20,
  clearance: 10,
  flagHeight: 50,
} as const;

/** Goal position: 0.5 for MountainCar-v0, 0.45 for MountainCarContinuous-v0. */
export function mountainCarGoal(envId: string): number {
  return envId === 'MountainCarContinuous-v0' ? 0.45 : 0.5;
}

/** The hill: y = 0.45 sin(3x) + 0.55. */
export function mountainHeight(position: number): number {
  return Math.sin(3 * position) * 0.45 + 0.55;
}

export interface MountainCarGeometry {
  viewport: Viewport;
  curve: Point[];
  car: Point[];
  wheels: [Point, Point];
  wheelRadius: number;
  flagPole: [Point, Point];
  flag: Point[];
  /** Car body angle in radians (Gymnasium tilts by cos(3x)), counter-clockwise in y-up space. */
  angle: number;
}

/** state = [position, velocity]. */
export function mountainCarGeometry(
  state: readonly number[],
  width: number,
  height: number,
  goalPosition = 0.5,
): MountainCarGeometry {
  requireState('MountainCar', state, 2);
  const M = MOUNTAIN_CAR;
  const vp = fitViewport(width, height, M.screenWidth, M.screenHeight);
  const s = M.screenWidth / (M.maxPosition - M.minPosition);
  const curve: Point[] = [];
  for (let i = 0; i < 100; i++) {
    const x = M.minPosition + ((M.maxPosition - M.minPosition) * i) / 99;
    curve.push(toCanvas(vp, (x - M.minPosition) * s, mountainHeight(x) * s));
  }
  const pos = state[0];
  const angle = Math.cos(3 * pos);
  const baseX = (pos - M.minPosition) * s;
  const baseY = M.clearance + mountainHeight(pos) * s;
  const place = (x: number, y: number): Point => {
    const [rx, ry] = rotate(x, y, angle);
    return toCanvas(vp, rx + baseX, ry + baseY);
  };
  const [l, r, t, b] = [-M.carWidth / 2, M.carWidth / 2, M.carHeight, 0];
  const flagX = (goalPosition - M.minPosition) * s;
  const flagY1 = mountainHeight(goalPosition) * s;
  const flagY2 = flagY1 + M.flagHeight;
  return {
    viewport: vp,
    curve,
    car: [place(l, b), place(l, t), place(r, t), place(r, b)],
    wheels: [place(M.carWidth / 4, 0), place(-M.carWidth / 4, 0)],
    wheelRadius: (M.carHeight / 2.5) * vp.scale,
    flagPole: [toCanvas(vp, flagX, flagY1), toCanvas(vp, flagX, flagY2)],
    flag: [toCanvas(vp, flagX, flagY2), toCanvas(vp, flagX, flagY2 - 10), toCanvas(vp, flagX + 25, flagY2 - 5)],
    angle,
  };
}

// ---------------------------------------------------------------- Pendulum
export const PENDULUM = { screenDim: 500, maxTorque: 2 } as const;

export interface PendulumGeometry {
  viewport: Viewport;
  pivot: Point;
  tip: Point;
  rod: Point[];
  rodWidth: number;
  pivotRadius: number;
  /** Radius of the torque arc drawn around the pivot. */
  torqueRadius: number;
}

/** state = [theta, theta_dot]; theta = 0 points straight up, positive theta turns counter-clockwise. */
export function pendulumGeometry(state: readonly number[], width: number, height: number): PendulumGeometry {
  requireState('Pendulum-v1', state, 2);
  const P = PENDULUM;
  const vp = fitViewport(width, height, P.screenDim, P.screenDim);
  const s = P.screenDim / (2.2 * 2);
  const offset = P.screenDim / 2;
  const rodLength = s;
  const rodWidth = 0.2 * s;
  const angle = state[0] + Math.PI / 2;
  const rod = [[0, -rodWidth / 2], [0, rodWidth / 2], [rodLength, rodWidth / 2], [rodLength, -rodWidth / 2]].map(
    ([x, y]) => {
      const [rx, ry] = rotate(x, y, angle);
      return toCanvas(vp, offset + rx, offset + ry);
    },
  );
  const [tx, ty] = rotate(rodLength, 0, angle);
  return {
    viewport: vp,
    pivot: toCanvas(vp, offset, offset),
    tip: toCanvas(vp, offset + tx, offset + ty),
    rod,
    rodWidth: rodWidth * vp.scale,
    pivotRadius: 0.05 * s * vp.scale,
    torqueRadius: 0.45 * s * vp.scale,
  };
}

// ---------------------------------------------------------------- Lunar lander
/**
 * Gymnasium 0.29.1 `box2d/lunar_lander.py`'s screen and bodies, copied from core/envs/box2d/lunar-lander.ts (whose
 * module pulls in planck, too big for the renderer bundle); test/unit/replay/lunar-constants.test.ts pins them to it.
 */
export const LUNAR_LANDER = {
  screenWidth: 600,
  screenHeight: 400,
  /** Screen pixels per world unit. */
  scale: 30,
  chunks: 11,
  /** World width and height (the screen in world units). */
  worldWidth: 20,
  worldHeight: 40 / 3,
  helipadX1: 8,
  helipadX2: 12,
  helipadY: 10 / 3,
  /** Hull polygon, world units, relative to the body centre (LANDER_POLY / SCALE). */
  outline: [[-14, 17], [-17, 0], [-17, -10], [17, -10], [17, 0], [14, 17]].map(([x, y]) => [x / 30, y / 30] as const),
  /** Leg box half-sizes, world units (LEG_W / SCALE, LEG_H / SCALE). */
  legHalf: [2 / 30, 8 / 30] as const,
  /** Side engine nozzle: SIDE_ENGINE_AWAY, SIDE_ENGINE_HEIGHT and Gymnasium's 17 (see lunarLanderGeometry), pixels. */
  sideEngineAway: 12,
  sideEngineHeight: 14,
  sideEngineTip: 17,
  /** Offsets into the 33-number state (core's `S`). */
  at: { lander: 11, leg0: 17, leg1: 23 },
  stateSize: 33,
  flagHeight: 50,
} as const;

/** Which engines an action fires, with Gymnasium's throttles: main 0.5–1 (0 = off); side direction −1 / +1 (0 = off). */
export interface LanderEngines {
  main: number;
  side: number;
  sideThrottle: number;
}

/** Gymnasium's step: discrete 1 / 3 fire a side engine (direction action − 2), 2 the main engine; continuous [main, lateral]. */
export function lunarLanderEngines(continuous: boolean, action: number | readonly number[] | null | undefined): LanderEngines {
  const off = { main: 0, side: 0, sideThrottle: 0 };
  if (action === null || action === undefined) return off;
  if (!continuous) {
    const a = typeof action === 'number' ? action : action[0];
    return { main: a === 2 ? 1 : 0, side: a === 1 || a === 3 ? a - 2 : 0, sideThrottle: a === 1 || a === 3 ? 1 : 0 };
  }
  if (typeof action === 'number' || action.length < 2 || !action.every(Number.isFinite)) return off;
  const clip = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const [m, l] = [clip(action[0], -1, 1), clip(action[1], -1, 1)];
  const sideOn = Math.abs(l) > 0.5;
  return { main: m > 0 ? (m + 1) / 2 : 0, side: sideOn ? Math.sign(l) : 0, sideThrottle: sideOn ? clip(Math.abs(l), 0.5, 1) : 0 };
}

export interface LunarLanderGeometry {
  viewport: Viewport;
  /** The virtual screen (the moon's ground colour, under the sky). */
  screen: Point[];
  /** Sky above the terrain line (Gymnasium's `sky_polys`, merged): terrain left to right, then the top corners. */
  sky: Point[];
  hull: Point[];
  legs: [Point[], Point[]];
  flagPoles: [Point, Point][];
  flags: Point[][];
  /** Flame triangles of the engines that fire (main under the hull, side at the nozzle), empty when none does. */
  flames: Point[][];
}

/**
 * state = 11 terrain heights, then x, y, angle, vx, vy, ω of the lander and of each leg (world units), contacts,
 * game-over, prevShaping. `continuous` selects how `action` reads (LunarLanderContinuous-v2: [main, lateral]).
 */
export function lunarLanderGeometry(
  state: readonly number[],
  width: number,
  height: number,
  action: number | readonly number[] | null = null,
  continuous = false,
): LunarLanderGeometry {
  const L = LUNAR_LANDER;
  requireState(continuous ? 'LunarLanderContinuous-v2' : 'LunarLander-v2', state, L.stateSize);
  const vp = fitViewport(width, height, L.screenWidth, L.screenHeight);
  const px = (x: number, y: number): Point => toCanvas(vp, x * L.scale, y * L.scale);
  /** A body-frame point (world units) of the body whose x, y, angle start at `at`. */
  const body = (at: number) => (x: number, y: number): Point => {
    const [rx, ry] = rotate(x, y, state[at + 2]);
    return px(state[at] + rx, state[at + 1] + ry);
  };
  const terrain = Array.from({ length: L.chunks }, (_, i) => px((L.worldWidth / (L.chunks - 1)) * i, state[i]));
  const hullAt = body(L.at.lander);
  const [hw, hh] = L.legHalf;
  const leg = (at: number) => [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(([x, y]) => body(at)(x, y));
  const flagY1 = L.helipadY * L.scale;
  const flagY2 = flagY1 + L.flagHeight;
  const flagPoles: [Point, Point][] = [];
  const flags: Point[][] = [];
  for (const x of [L.helipadX1 * L.scale, L.helipadX2 * L.scale]) {
    flagPoles.push([toCanvas(vp, x, flagY1), toCanvas(vp, x, flagY2)]);
    flags.push([toCanvas(vp, x, flagY2), toCanvas(vp, x, flagY2 - 10), toCanvas(vp, x + 25, flagY2 - 5)]);
  }
  const engines = lunarLanderEngines(continuous, action);
  const flames: Point[][] = [];
  const k = 1 / L.scale;
  if (engines.main > 0) {
    // Particles leave 4 px under the centre, straight down the hull's axis; the flame starts at the hull's bottom.
    const len = 24 * engines.main * k;
    flames.push([hullAt(-6 * k, -10 * k), hullAt(6 * k, -10 * k), hullAt(0, -10 * k - len)]);
  }
  if (engines.side !== 0) {
    // Gymnasium's impulse point: ±SIDE_ENGINE_AWAY along the hull, SIDE_ENGINE_HEIGHT up, but the x part uses 17
    // instead of 14 (its own comment calls this out), so the nozzle shifts with the angle. Particles fly outwards.
    const [x, y, angle] = [state[L.at.lander], state[L.at.lander + 1], state[L.at.lander + 2]];
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const d = engines.side;
    const nx = x - d * L.sideEngineAway * k * c - L.sideEngineTip * k * s;
    const ny = y - d * L.sideEngineAway * k * s + L.sideEngineHeight * k * c;
    const [ux, uy] = [-d * c, -d * s];
    const len = 24 * engines.sideThrottle * k;
    const half = 4 * k;
    flames.push([px(nx - uy * half, ny + ux * half), px(nx + uy * half, ny - ux * half), px(nx + ux * len, ny + uy * len)]);
  }
  return {
    viewport: vp,
    screen: [toCanvas(vp, 0, 0), toCanvas(vp, L.screenWidth, 0), toCanvas(vp, L.screenWidth, L.screenHeight), toCanvas(vp, 0, L.screenHeight)],
    sky: [...terrain, toCanvas(vp, L.screenWidth, L.screenHeight), toCanvas(vp, 0, L.screenHeight)],
    hull: L.outline.map(([x, y]) => hullAt(x, y)),
    legs: [leg(L.at.leg0), leg(L.at.leg1)],
    flagPoles,
    flags,
    flames,
  };
}
