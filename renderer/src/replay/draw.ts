/**
 * Canvas renderers for recorded states: one per env, drawing what Gymnasium's `render()` draws, from the
 * state alone (no video); the MuJoCo tasks as a flat side view of their bodies. `drawState` dispatches on the env id.
 */
import type { Canvas2D, DrawOptions, Point, ReplayAction } from './types.js';
import {
  acrobotGeometry,
  cartPoleGeometry,
  mountainCarGeometry,
  mountainCarGoal,
  lunarLanderGeometry,
  pendulumGeometry,
  PENDULUM,
} from './geometry.js';
import { isReplayEnvId } from './envs.js';
import { mujocoGeometry, type GeomPart, type MujocoEnvId } from './mujoco-geometry.js';

export interface ReplayPalette {
  background: string;
  ink: string;
  muted: string;
  pole: string;
  axle: string;
  link: string;
  joint: string;
  wheel: string;
  flag: string;
  rod: string;
  action: string;
  /** LunarLander: the sky above the terrain (Gymnasium's black `sky_polys`), the ground and flag poles (white there). */
  sky: string;
  moon: string;
  hull: string;
  hullEdge: string;
  flame: string;
  /** MuJoCo: InvertedPendulum's rail and cart (its pole is `link`); the walkers' torso, head, thighs and shins/feet. */
  rail: string;
  cart: string;
  torso: string;
  head: string;
  limb: string;
  shin: string;
}

/** Gymnasium's colours, darkened where they would vanish on white, and a matching dark set. */
export const REPLAY_PALETTES: Record<'light' | 'dark', ReplayPalette> = {
  light: {
    background: '#ffffff',
    ink: '#1f2328',
    muted: '#8c959f',
    pole: '#ca9865',
    axle: '#8184cb',
    link: '#00a3a3',
    joint: '#a3a300',
    wheel: '#808080',
    flag: '#c9b400',
    rod: '#cc4d4d',
    action: '#2f7fdb',
    sky: '#000000',
    moon: '#ffffff',
    hull: '#8066e6',
    hullEdge: '#4d4d80',
    flame: '#ff6c6c',
    rail: '#4d4db3',
    cart: '#b3b300',
    torso: '#9c6b3c',
    head: '#5c3b1e',
    limb: '#cc9966',
    shin: '#e69999',
  },
  dark: {
    background: '#18181b',
    ink: '#e4e4e7',
    muted: '#71717a',
    pole: '#e0b07c',
    axle: '#a5a8f0',
    link: '#2fd0d0',
    joint: '#e0e050',
    wheel: '#a1a1aa',
    flag: '#e6d23c',
    rod: '#e06b6b',
    action: '#6aa8f0',
    sky: '#000000',
    moon: '#d4d4d8',
    hull: '#8066e6',
    hullEdge: '#4d4d80',
    flame: '#ff6c6c',
    rail: '#7b7be0',
    cart: '#c8c800',
    torso: '#b07a45',
    head: '#ecc894',
    limb: '#cc9966',
    shin: '#e69999',
  },
};

export function replayPalette(dark = false): ReplayPalette {
  return REPLAY_PALETTES[dark ? 'dark' : 'light'];
}

function polygon(ctx: Canvas2D, points: readonly Point[], fill: string): void {
  ctx.beginPath();
  ctx.moveTo(points[0].x, points[0].y);
  for (let i = 1; i < points.length; i++) ctx.lineTo(points[i].x, points[i].y);
  ctx.closePath();
  ctx.fillStyle = fill;
  ctx.fill();
}

function line(ctx: Canvas2D, a: Point, b: Point, colour: string, width: number): void {
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.lineTo(b.x, b.y);
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.stroke();
}

function disc(ctx: Canvas2D, c: Point, radius: number, fill: string): void {
  ctx.beginPath();
  ctx.arc(c.x, c.y, radius, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
}

/** Small filled arrow head at `to`, pointing along from→to. */
function arrowHead(ctx: Canvas2D, from: Point, to: Point, size: number, fill: string): void {
  const a = Math.atan2(to.y - from.y, to.x - from.x);
  polygon(
    ctx,
    [
      to,
      { x: to.x - size * Math.cos(a - 0.45), y: to.y - size * Math.sin(a - 0.45) },
      { x: to.x - size * Math.cos(a + 0.45), y: to.y - size * Math.sin(a + 0.45) },
    ],
    fill,
  );
}

function scalarAction(action: ReplayAction | null | undefined): number | null {
  if (action === null || action === undefined) return null;
  const v = typeof action === 'number' ? action : action[0];
  return Number.isFinite(v) ? v : null;
}

/** Horizontal push arrow beside `at`, direction sign(push), length ∝ |push| (capped at 1). */
function pushArrow(ctx: Canvas2D, at: Point, push: number, unit: number, colour: string): void {
  if (push === 0) return;
  const len = unit * Math.min(1, Math.abs(push));
  const dir = Math.sign(push);
  const from = { x: at.x + dir * unit * 0.6, y: at.y };
  const to = { x: from.x + dir * len, y: at.y };
  line(ctx, from, to, colour, Math.max(1.5, unit * 0.08));
  arrowHead(ctx, from, to, unit * 0.3, colour);
}

export function drawCartPole(ctx: Canvas2D, state: readonly number[], opts: DrawOptions, p: ReplayPalette): void {
  const g = cartPoleGeometry(state, opts.width, opts.height);
  const k = g.viewport.scale;
  line(ctx, g.track[0], g.track[1], p.ink, Math.max(1, k));
  polygon(ctx, g.cart, p.ink);
  polygon(ctx, g.pole, p.pole);
  disc(ctx, g.axle, g.axleRadius, p.axle);
  const a = scalarAction(opts.action);
  // Discrete action 0 pushes left, 1 pushes right.
  if (a !== null) pushArrow(ctx, { x: g.axle.x, y: g.cart[0].y + 12 * k }, a === 0 ? -1 : 1, 40 * k, p.action);
}

export function drawAcrobot(ctx: Canvas2D, state: readonly number[], opts: DrawOptions, p: ReplayPalette): void {
  const g = acrobotGeometry(state, opts.width, opts.height);
  line(ctx, g.target[0], g.target[1], p.ink, Math.max(1, g.viewport.scale));
  for (const [i, link] of g.links.entries()) {
    polygon(ctx, link, p.link);
    disc(ctx, i === 0 ? g.pivot : g.elbow, g.jointRadius, p.joint);
  }
}

export function drawMountainCar(
  ctx: Canvas2D,
  envId: string,
  state: readonly number[],
  opts: DrawOptions,
  p: ReplayPalette,
): void {
  const g = mountainCarGeometry(state, opts.width, opts.height, mountainCarGoal(envId));
  const k = g.viewport.scale;
  ctx.beginPath();
  ctx.moveTo(g.curve[0].x, g.curve[0].y);
  for (const pt of g.curve.slice(1)) ctx.lineTo(pt.x, pt.y);
  ctx.strokeStyle = p.ink;
  ctx.lineWidth = Math.max(1, 1.5 * k);
  ctx.stroke();
  polygon(ctx, g.car, p.ink);
  for (const w of g.wheels) disc(ctx, w, g.wheelRadius, p.wheel);
  line(ctx, g.flagPole[0], g.flagPole[1], p.ink, Math.max(1, k));
  polygon(ctx, g.flag, p.flag);
  const a = scalarAction(opts.action);
  if (a !== null) {
    // Discrete: 0 left, 1 none, 2 right. Continuous: the force in [−1, 1].
    const push = envId === 'MountainCarContinuous-v0' ? a : a - 1;
    const top = g.car.reduce((m, pt) => (pt.y < m.y ? pt : m));
    pushArrow(ctx, { x: (g.car[0].x + g.car[3].x) / 2, y: top.y - 14 * k }, push, 30 * k, p.action);
  }
}

export function drawPendulum(ctx: Canvas2D, state: readonly number[], opts: DrawOptions, p: ReplayPalette): void {
  const g = pendulumGeometry(state, opts.width, opts.height);
  const u = scalarAction(opts.action);
  if (u !== null && u !== 0) {
    // Torque arc: positive torque turns counter-clockwise (on screen: anticlockwise, y down).
    const sweep = (Math.min(1, Math.abs(u) / PENDULUM.maxTorque) * 4 * Math.PI) / 3;
    const start = -Math.PI / 2;
    const end = u > 0 ? start - sweep : start + sweep;
    ctx.beginPath();
    ctx.arc(g.pivot.x, g.pivot.y, g.torqueRadius, start, end, u > 0);
    ctx.strokeStyle = p.action;
    ctx.lineWidth = Math.max(1.5, g.rodWidth * 0.25);
    ctx.stroke();
    const endPt = { x: g.pivot.x + g.torqueRadius * Math.cos(end), y: g.pivot.y + g.torqueRadius * Math.sin(end) };
    const tangent = u > 0 ? end + Math.PI / 2 : end - Math.PI / 2;
    const before = { x: endPt.x + Math.cos(tangent), y: endPt.y + Math.sin(tangent) };
    arrowHead(ctx, before, endPt, g.rodWidth * 0.6, p.action);
  }
  polygon(ctx, g.rod, p.rod);
  disc(ctx, g.pivot, g.rodWidth / 2, p.rod);
  disc(ctx, g.tip, g.rodWidth / 2, p.rod);
  disc(ctx, g.pivot, g.pivotRadius, p.ink);
}

/** Gymnasium's LunarLander: black sky over the ground, flames (its particles) behind legs and hull, flags on top. */
export function drawLunarLander(ctx: Canvas2D, envId: string, state: readonly number[], opts: DrawOptions, p: ReplayPalette): void {
  const g = lunarLanderGeometry(state, opts.width, opts.height, opts.action ?? null, envId === 'LunarLanderContinuous-v2');
  const k = g.viewport.scale;
  polygon(ctx, g.screen, p.moon);
  polygon(ctx, g.sky, p.sky);
  for (const flame of g.flames) polygon(ctx, flame, p.flame);
  for (const outline of [...g.legs, g.hull]) {
    polygon(ctx, outline, p.hull);
    ctx.strokeStyle = p.hullEdge;
    ctx.lineWidth = Math.max(1, k);
    ctx.stroke();
  }
  for (const [i, pole] of g.flagPoles.entries()) {
    line(ctx, pole[0], pole[1], p.moon, Math.max(1, k));
    polygon(ctx, g.flags[i], p.flag);
  }
}

const GEOM_COLOUR: Record<GeomPart, keyof ReplayPalette> = {
  rail: 'rail',
  cart: 'cart',
  pole: 'link',
  torso: 'torso',
  head: 'head',
  limb: 'limb',
  shin: 'shin',
};

/** MuJoCo side view: the floor and its blocks, capsules as round-capped strokes (torso and head on top), hinge pins. */
export function drawMujoco(ctx: Canvas2D, envId: MujocoEnvId, state: readonly number[], opts: DrawOptions, p: ReplayPalette): void {
  const g = mujocoGeometry(envId, state, opts.width, opts.height);
  const k = g.camera.scale;
  for (const block of g.floorBlocks) polygon(ctx, block, p.muted);
  if (g.floor) line(ctx, g.floor[0], g.floor[1], p.ink, Math.max(2, 0.01 * k));
  ctx.lineCap = 'round';
  const onTop = (part: GeomPart) => part === 'torso' || part === 'head';
  for (const c of [...g.capsules.filter((c) => !onTop(c.part)), ...g.capsules.filter((c) => onTop(c.part))]) {
    line(ctx, c.a, c.b, p[GEOM_COLOUR[c.part]], Math.max(1, c.width));
  }
  ctx.lineCap = 'butt';
  for (const h of g.hinges) disc(ctx, h, Math.max(1, g.hingeRadius), p.ink);
  const a = scalarAction(opts.action);
  // InvertedPendulum: the slider force (ctrlrange ±3) as a push arrow under the cart.
  if (g.cart && a !== null) pushArrow(ctx, { x: g.cart.x, y: g.cart.y + 0.2 * k }, a / 3, 0.25 * k, p.action);
}

/** Clears the canvas and draws `state` of `envId`. Throws for an unknown env or a short state. */
export function drawState(ctx: Canvas2D, envId: string, state: readonly number[], opts: DrawOptions): void {
  if (!isReplayEnvId(envId)) throw new Error(`no replay renderer for env "${envId}"`);
  const p = replayPalette(opts.dark);
  ctx.save();
  ctx.setLineDash([]);
  ctx.lineCap = 'butt';
  ctx.lineJoin = 'round';
  ctx.fillStyle = p.background;
  ctx.fillRect(0, 0, opts.width, opts.height);
  switch (envId) {
    case 'CartPole-v1':
      drawCartPole(ctx, state, opts, p);
      break;
    case 'Acrobot-v1':
      drawAcrobot(ctx, state, opts, p);
      break;
    case 'MountainCar-v0':
    case 'MountainCarContinuous-v0':
      drawMountainCar(ctx, envId, state, opts, p);
      break;
    case 'Pendulum-v1':
      drawPendulum(ctx, state, opts, p);
      break;
    case 'LunarLander-v2':
    case 'LunarLanderContinuous-v2':
      drawLunarLander(ctx, envId, state, opts, p);
      break;
    case 'InvertedPendulum-v4':
    case 'HalfCheetah-v4':
    case 'Hopper-v4':
      drawMujoco(ctx, envId, state, opts, p);
      break;
  }
  ctx.restore();
}
