/** GIF export: the bytes are a GIF89a whose header, frames and delays are read back here by hand. */
import { describe, expect, it } from 'vitest';
import { encodeGif, gifDelayMs } from '../../../renderer/src/replay/gif.js';

interface ParsedGif {
  signature: string;
  width: number;
  height: number;
  globalTable: boolean;
  loops: number | null;
  frames: { left: number; top: number; width: number; height: number; delayCs: number }[];
  trailer: boolean;
}

/** Walks the GIF block structure (GIF89a spec): header, logical screen, extensions, image descriptors, trailer. */
function parseGif(b: Uint8Array): ParsedGif {
  const u16 = (o: number) => b[o]! | (b[o + 1]! << 8);
  const signature = String.fromCharCode(...b.slice(0, 6));
  const width = u16(6);
  const height = u16(8);
  const packed = b[10]!;
  const globalTable = (packed & 0x80) !== 0;
  let p = 13 + (globalTable ? 3 * (1 << ((packed & 7) + 1)) : 0);
  const skipSubBlocks = () => {
    while (b[p] !== 0) {
      if (p >= b.length) throw new Error('sub-blocks run past the end');
      p += b[p]! + 1;
    }
    p += 1;
  };
  const frames: ParsedGif['frames'] = [];
  let loops: number | null = null;
  let delayCs = 0;
  let trailer = false;
  while (p < b.length) {
    const id = b[p]!;
    if (id === 0x3b) {
      trailer = true;
      p += 1;
      break;
    }
    if (id === 0x21) {
      const label = b[p + 1]!;
      p += 2;
      if (label === 0xf9) {
        // Graphic control: block size 4, packed, delay (u16), transparent index, terminator.
        delayCs = u16(p + 2);
        p += b[p]! + 1;
        skipSubBlocks();
      } else if (label === 0xff) {
        const app = String.fromCharCode(...b.slice(p + 1, p + 12));
        p += b[p]! + 1;
        if (app === 'NETSCAPE2.0') loops = u16(p + 2);
        skipSubBlocks();
      } else {
        skipSubBlocks();
      }
    } else if (id === 0x2c) {
      const frame = { left: u16(p + 1), top: u16(p + 3), width: u16(p + 5), height: u16(p + 7), delayCs };
      const fp = b[p + 9]!;
      p += 10;
      if (fp & 0x80) p += 3 * (1 << ((fp & 7) + 1));
      p += 1; // LZW minimum code size
      skipSubBlocks();
      frames.push(frame);
    } else {
      throw new Error(`unexpected block 0x${id.toString(16)} at byte ${p}`);
    }
  }
  return { signature, width, height, globalTable, loops, frames, trailer: trailer && p === b.length };
}

/** A frame with a moving red square on white: frame i puts the square at x = i. */
function squareFrame(w: number, h: number, i: number): Uint8Array {
  const px = new Uint8Array(w * h * 4).fill(255);
  for (let y = 2; y < 6; y++)
    for (let x = i; x < i + 4 && x < w; x++) {
      const o = (y * w + x) * 4;
      px[o + 1] = 0;
      px[o + 2] = 0;
    }
  return px;
}

const noYield = () => Promise.resolve();
/** A clock that never moves, so only the frame count decides when to yield. */
const still = () => 0;

describe('encodeGif', () => {
  it('writes a looping GIF89a with one image per frame at the given size and delay', async () => {
    const w = 37;
    const h = 23;
    const progress: number[] = [];
    const bytes = await encodeGif({ width: w, height: h, frameCount: 11, delayMs: 40, frame: (i) => squareFrame(w, h, i), chunk: 4, now: still, onProgress: (d) => progress.push(d), yieldFn: noYield });
    const gif = parseGif(bytes);
    expect(gif.signature).toBe('GIF89a');
    expect([gif.width, gif.height]).toEqual([w, h]);
    expect(gif.globalTable).toBe(true);
    expect(gif.loops).toBe(0);
    expect(gif.frames).toHaveLength(11);
    for (const f of gif.frames) expect(f).toEqual({ left: 0, top: 0, width: w, height: h, delayCs: 4 });
    expect(gif.trailer).toBe(true);
    expect(progress).toEqual([4, 8, 11]);
  });

  it('yields to the event loop between chunks', async () => {
    let yields = 0;
    await encodeGif({ width: 8, height: 8, frameCount: 10, delayMs: 20, frame: (i) => squareFrame(8, 8, i % 4), chunk: 3, now: still, yieldFn: async () => void yields++ });
    expect(yields).toBe(3); // after frames 3, 6, 9; none after the last
  });

  it('yields sooner when frames are slow: after the time budget, not only after a chunk', async () => {
    let t = 0;
    const at: number[] = [];
    await encodeGif({
      width: 8,
      height: 8,
      frameCount: 9,
      delayMs: 20,
      frame: (i) => ((t += 20), squareFrame(8, 8, i % 4)),
      chunk: 100,
      budgetMs: 50,
      now: () => t,
      onProgress: (d) => at.push(d),
      yieldFn: noYield,
    });
    // 20 ms per frame (the palette's three sample frames also cost 60 ms before the clock starts): 3 frames reach 60 >= 50.
    expect(at).toEqual([3, 6, 9]);
  });

  it('encodes a single frame', async () => {
    const gif = parseGif(await encodeGif({ width: 5, height: 4, frameCount: 1, delayMs: 100, frame: () => squareFrame(5, 4, 0), yieldFn: noYield }));
    expect(gif.frames).toHaveLength(1);
    expect(gif.frames[0]!.delayCs).toBe(10);
  });

  it('refuses bad sizes, counts and frames with errors naming them', async () => {
    const frame = () => squareFrame(4, 4, 0);
    await expect(encodeGif({ width: 0, height: 4, frameCount: 1, delayMs: 20, frame })).rejects.toThrow(/width/);
    await expect(encodeGif({ width: 4, height: 4, frameCount: 0, delayMs: 20, frame })).rejects.toThrow(/frame count/);
    await expect(encodeGif({ width: 4, height: 4, frameCount: 1, delayMs: Number.NaN, frame })).rejects.toThrow(/delay/);
    await expect(encodeGif({ width: 5, height: 4, frameCount: 2, delayMs: 20, frame })).rejects.toThrow(/frame 0 must be 5×4×4 = 80 RGBA bytes, got 64/);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const run = encodeGif({ width: 4, height: 4, frameCount: 6, delayMs: 20, frame: () => squareFrame(4, 4, 0), chunk: 2, signal: ac.signal, yieldFn: async () => ac.abort() });
    await expect(run).rejects.toThrow(/cancelled/);
  });
});

describe('gifDelayMs', () => {
  it('rounds 1000/fps to hundredths of a second, at least 20 ms', () => {
    expect(gifDelayMs(25)).toBe(40);
    expect(gifDelayMs(30)).toBe(30);
    expect(gifDelayMs(50)).toBe(20);
    expect(gifDelayMs(200)).toBe(20);
    expect(() => gifDelayMs(0)).toThrow(/fps/);
  });
});
