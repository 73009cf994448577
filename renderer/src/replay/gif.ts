/**
 * Animated GIF89a encoding of replay frames with gifenc. Pure (no DOM): frames come from a callback as RGBA bytes,
 * so Node tests encode synthetic frames and the page encodes frames the canvas renderer drew. Encoding yields to
 * the event loop every few frames, so a long episode does not freeze the UI.
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- gifenc ships no types, and Node tests (tsconfig.node.json) reach this file only through imports
/// <reference path="./gifenc.d.ts" />
import { applyPalette, GIFEncoder, quantize } from 'gifenc';

export interface GifOptions {
  width: number;
  height: number;
  frameCount: number;
  /** Milliseconds each frame shows (GIF keeps hundredths of a second, so it is rounded to 10 ms, at least 20 ms). */
  delayMs: number;
  /** RGBA bytes of frame i, width × height × 4 long. */
  frame: (i: number) => Uint8Array | Uint8ClampedArray;
  /** Most frames encoded between yields to the event loop. */
  chunk?: number;
  /** Yields sooner when this many milliseconds passed since the last yield (keeps the page responsive on slow machines). */
  budgetMs?: number;
  /** Clock for the budget; injected in tests, performance.now otherwise. */
  now?: () => number;
  onProgress?: (done: number, total: number) => void;
  /** Stops the encoding (throws an AbortError) when aborted. */
  signal?: AbortSignal;
  /** Injected in tests; a macrotask (setTimeout 0) otherwise. */
  yieldFn?: () => Promise<void>;
}

/** Most frames one GIF holds (an evaluation episode is at most a few thousand steps). */
export const MAX_GIF_FRAMES = 10_000;
/** Largest side in pixels. */
export const MAX_GIF_SIDE = 4096;

const defaultYield = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function assertInt(name: string, v: unknown, min: number, max: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`GIF ${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

/** GIF frame delays are hundredths of a second; browsers show delays under 2/100 s as 1/10 s, so 20 ms is the floor. */
export function gifDelayMs(fps: number): number {
  if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0) throw new RangeError(`GIF fps must be a positive number, got ${String(fps)}`);
  return Math.max(20, Math.round(1000 / fps / 10) * 10);
}

/**
 * Encodes the frames as a looping GIF89a. One global 256-colour palette is computed from the first, middle and
 * last frames (replays are flat vector drawings, so that covers their colours) and every frame is mapped onto it.
 */
export async function encodeGif(opts: GifOptions): Promise<Uint8Array> {
  const { width, height, frameCount, delayMs, frame, chunk = 8, budgetMs = 30, now = () => performance.now(), onProgress, signal, yieldFn = defaultYield } = opts;
  assertInt('width', width, 1, MAX_GIF_SIDE);
  assertInt('height', height, 1, MAX_GIF_SIDE);
  assertInt('frame count', frameCount, 1, MAX_GIF_FRAMES);
  assertInt('chunk', chunk, 1, MAX_GIF_FRAMES);
  if (typeof budgetMs !== 'number' || Number.isNaN(budgetMs) || budgetMs <= 0) throw new RangeError(`GIF time budget must be a number of milliseconds > 0, got ${String(budgetMs)}`);
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`GIF delay must be a number of milliseconds >= 0, got ${String(delayMs)}`);
  const size = width * height * 4;
  const read = (i: number) => {
    const rgba = frame(i);
    if (!rgba || rgba.length !== size) throw new RangeError(`GIF frame ${i} must be ${width}×${height}×4 = ${size} RGBA bytes, got ${rgba?.length ?? 'nothing'}`);
    return rgba;
  };
  const samples = [...new Set([0, Math.floor((frameCount - 1) / 2), frameCount - 1])].map(read);
  const joined = new Uint8Array(size * samples.length);
  samples.forEach((s, k) => joined.set(s, k * size));
  const palette = quantize(joined, 256);
  const gif = GIFEncoder();
  let sinceYield = 0;
  let lastYield = now();
  for (let i = 0; i < frameCount; i++) {
    if (signal?.aborted) throw new DOMException('GIF export was cancelled', 'AbortError');
    const index = applyPalette(read(i), palette);
    gif.writeFrame(index, width, height, i === 0 ? { palette, delay: delayMs, repeat: 0 } : { delay: delayMs });
    sinceYield++;
    const last = i === frameCount - 1;
    if (sinceYield >= chunk || now() - lastYield >= budgetMs || last) {
      onProgress?.(i + 1, frameCount);
      if (!last) {
        await yieldFn();
        sinceYield = 0;
        lastYield = now();
      }
    }
  }
  gif.finish();
  return gif.bytes();
}
