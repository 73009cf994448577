/** Shapes shared by the replay renderers, the player and its components. */

/** What the store saves per evaluation episode; states[0] is the reset state, states[i + 1] follows actions[i]. */
export interface ReplayEpisode {
  envId: string;
  seed: number;
  /** Gymnasium `env.unwrapped.state` layout, one row per frame. */
  states: readonly (readonly number[])[];
  actions: readonly (number | readonly number[])[];
  rewards: readonly number[];
  return: number;
}

export type ReplayAction = number | readonly number[];

/**
 * The subset of CanvasRenderingContext2D the renderers use. Declared structurally so the renderers need
 * no DOM types (they run in Node tests against a recording fake); a real 2D context satisfies it.
 */
export interface Canvas2D {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  lineCap: string;
  lineJoin: string;
  save(): void;
  restore(): void;
  beginPath(): void;
  closePath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  arc(x: number, y: number, radius: number, startAngle: number, endAngle: number, counterclockwise?: boolean): void;
  fill(): void;
  stroke(): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  setLineDash(segments: number[]): void;
}

export interface DrawOptions {
  /** Canvas size in the units the context draws in (CSS pixels after a devicePixelRatio transform). */
  width: number;
  height: number;
  dark?: boolean;
  /** The action taken at this frame, drawn as a push arrow / torque arc where the env has one. */
  action?: ReplayAction | null;
}

export interface Point {
  x: number;
  y: number;
}
