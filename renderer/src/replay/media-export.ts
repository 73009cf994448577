/**
 * Replay media in the page: frames drawn by the canvas renderer (drawState) on an off-screen canvas, encoded as a
 * GIF (gif.ts, in chunks) or recorded as WebM (MediaRecorder over canvas.captureStream), downloaded via a blob link.
 */
import { drawState } from './draw.js';
import { replayFps } from './envs.js';
import { encodeGif, gifDelayMs } from './gif.js';
import type { ReplayAction, ReplayEpisode } from './types.js';

export interface MediaOptions {
  width?: number;
  height?: number;
  dark?: boolean;
  /** Frames per second; the env's replay rate when left out. */
  fps?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Action drawn on frame f: the one that led to it (none on the reset frame), as the player shows it. */
function actionAt(episode: ReplayEpisode, f: number): ReplayAction | null {
  return f > 0 ? (episode.actions[f - 1] ?? null) : null;
}

function assertEpisode(episode: ReplayEpisode): void {
  if (!episode || !Array.isArray(episode.states) || episode.states.length === 0) throw new Error('the episode has no states to export');
}

function frameCanvas(width: number, height: number): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser gives no 2D canvas context');
  return { canvas, ctx };
}

function drawFrame(ctx: CanvasRenderingContext2D, episode: ReplayEpisode, f: number, width: number, height: number, dark: boolean): void {
  ctx.clearRect(0, 0, width, height);
  drawState(ctx, episode.envId, episode.states[f]!, { width, height, dark, action: actionAt(episode, f) });
}

/** The episode as an animated GIF, one frame per state. */
export async function episodeGif(episode: ReplayEpisode, opts: MediaOptions = {}): Promise<Blob> {
  assertEpisode(episode);
  const { width = 480, height = 320, dark = false, fps = replayFps(episode.envId), signal, onProgress } = opts;
  const { ctx } = frameCanvas(width, height);
  const bytes = await encodeGif({
    width,
    height,
    frameCount: episode.states.length,
    delayMs: gifDelayMs(fps),
    signal,
    onProgress,
    frame: (f) => {
      drawFrame(ctx, episode, f, width, height, dark);
      return ctx.getImageData(0, 0, width, height).data;
    },
  });
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/gif' });
}

const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

/** The WebM type this browser's MediaRecorder can write, or null (no MediaRecorder, captureStream or codec). */
export function webmMimeType(): string | null {
  if (typeof MediaRecorder === 'undefined' || typeof HTMLCanvasElement === 'undefined' || !('captureStream' in HTMLCanvasElement.prototype)) return null;
  return WEBM_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? null;
}

/** Records the episode as WebM in real time (its length in frames / fps seconds). */
export async function episodeWebm(episode: ReplayEpisode, opts: MediaOptions = {}): Promise<Blob> {
  assertEpisode(episode);
  const mimeType = webmMimeType();
  if (!mimeType) throw new Error('this browser cannot record WebM video (no MediaRecorder WebM codec); export a GIF instead');
  const { width = 480, height = 320, dark = false, fps = replayFps(episode.envId), signal, onProgress } = opts;
  const { canvas, ctx } = frameCanvas(width, height);
  drawFrame(ctx, episode, 0, width, height, dark);
  const stream = canvas.captureStream(fps);
  const recorder = new MediaRecorder(stream, { mimeType });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  const stopped = new Promise<void>((resolve, reject) => {
    recorder.onstop = () => resolve();
    recorder.onerror = (e) => reject(new Error(`WebM recording failed: ${(e as ErrorEvent).message ?? 'unknown error'}`));
  });
  const total = episode.states.length;
  recorder.start(250);
  try {
    const frameMs = 1000 / fps;
    const start = performance.now();
    for (let f = 0; f < total; f++) {
      if (signal?.aborted) throw new DOMException('WebM export was cancelled', 'AbortError');
      drawFrame(ctx, episode, f, width, height, dark);
      onProgress?.(f + 1, total);
      const wait = start + (f + 1) * frameMs - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  } finally {
    if (recorder.state !== 'inactive') recorder.stop();
    stream.getTracks().forEach((t) => t.stop());
  }
  await stopped;
  return new Blob(chunks, { type: mimeType.split(';')[0] });
}

export { mediaFileName } from './media-name.js';

