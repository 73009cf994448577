/**
 * `npm run bench -- lm`: training tokens/s of the hand-written LM engine on the issue's `tiny` shape (batch 32,
 * context 64, one thread) against PyTorch 1.13 CPU eager's 11.1k tokens/s (the figure measured for issue 12 on this
 * machine class, not re-measured here), and sampling tokens/s with the KV cache for `tiny` and `small`, with memory.
 */
import { cpus, loadavg } from 'node:os';
import { lmConfig, paramCount, type LmSize } from '../../core/lm/config.js';
import { LmEngine } from '../../core/lm/engine.js';
import { sample } from '../../core/lm/generate.js';
import { LM_KERNEL, matmulNN } from '../../core/lm/matmul.js';
import { AdamW } from '../../core/lm/optim.js';
import { Rng } from '../../core/common/rng.js';
import { lmTfjs } from '../../core/lm/tfjs-model.js';
import { formatBackend } from '../../core/tensor/backend.js';

const PYTORCH_TOKENS_PER_S = 11_100;

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MB`;
}

function trainTokensPerS(size: LmSize, B: number, steps: number): { tps: number; loss: number } {
  const config = lmConfig(size);
  const engine = new LmEngine(config, 1);
  const opt = new AdamW(engine, { lr: 1e-3 });
  const T = config.ctx;
  const rng = new Rng(2);
  const batch = {
    tokens: new Int32Array(B * T).map(() => rng.integer(config.vocabSize)),
    targets: new Int32Array(B * T).map(() => rng.integer(config.vocabSize)),
    B,
    T,
  };
  let loss = 0;
  engine.zeroGrad();
  engine.forwardBackward(batch); // warm-up (allocation, JIT)
  opt.step(engine);
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    engine.zeroGrad();
    loss = engine.forwardBackward(batch);
    opt.step(engine);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tps: (steps * B * T) / seconds, loss };
}

/**
 * Forward + backward only (no optimiser), same shape and weights: the hand-written engine against its tfjs twin on
 * the backend this process selects (tfjs-node(-gpu) first when installed, else wasm).
 */
async function twinTokensPerS(size: LmSize, B: number, steps: number): Promise<{ engine: number; twin: number; backend: string; embedding: string }> {
  const config = lmConfig(size);
  const engine = new LmEngine(config, 1);
  const T = config.ctx;
  const rng = new Rng(2);
  const batch = {
    tokens: new Int32Array(B * T).map(() => rng.integer(config.vocabSize)),
    targets: new Int32Array(B * T).map(() => rng.integer(config.vocabSize)),
    B,
    T,
  };
  const { model, backend } = await lmTfjs(config, engine.params);
  try {
    const time = (step: () => void): number => {
      step(); // warm-up
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) step();
      return (steps * B * T) / ((performance.now() - t0) / 1000);
    };
    const engineTps = time(() => {
      engine.zeroGrad();
      engine.forwardBackward(batch);
    });
    const twinTps = time(() => void model.lossAndGrads(batch));
    return { engine: engineTps, twin: twinTps, backend: formatBackend(backend), embedding: model.embedding };
  } finally {
    model.dispose();
  }
}

/**
 * Matrix-product arithmetic of one training step per token (forward ×3 for forward + backward): per layer the four
 * linear layers (24·C² multiply-adds ×2 flops) and attention's two T×T products (computed in full, 4·T·C), plus
 * the tied output layer (2·V·C).
 */
function flopsPerToken(size: LmSize): number {
  const { nLayer: L, nEmbd: C, ctx: T, vocabSize: V } = lmConfig(size);
  return 3 * (L * (24 * C * C + 4 * T * C) + 2 * V * C);
}

/** GFLOP/s of the A·B kernel alone on tiny's widest product (2048 tokens × 128 → 512, the MLP's first layer). */
function kernelGflops(): number {
  const [m, n, p] = [2048, 512, 128];
  const rng = new Rng(4);
  const A = new Float32Array(m * p).map(() => rng.uniform());
  const B = new Float32Array(p * n).map(() => rng.uniform());
  const C = new Float32Array(m * n);
  matmulNN(A, B, C, m, n, p, false);
  const reps = 40;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) matmulNN(A, B, C, m, n, p, false);
  return (2 * m * n * p * reps) / ((performance.now() - t0) / 1e3) / 1e9;
}

function sampleTokensPerS(size: LmSize, prompts: number, maxNew: number): number {
  const config = lmConfig(size);
  const engine = new LmEngine(config, 3);
  const ps = Array.from({ length: prompts }, (_, i) => [i % config.vocabSize, (i * 7) % config.vocabSize]);
  sample(engine, ps.slice(0, 1), { maxNewTokens: 4, seed: 1 });
  const t0 = performance.now();
  const out = sample(engine, ps, { maxNewTokens: maxNew, seed: 1, temperature: 1 });
  const n = out.reduce((a, o) => a + o.length, 0);
  return n / ((performance.now() - t0) / 1000);
}

export async function bench(): Promise<void> {
  const quick = process.argv.includes('--quick');
  console.log(`kernel: ${LM_KERNEL}, one thread (Node ${process.version}), ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const tiny = trainTokensPerS('tiny', 32, quick ? 2 : 6);
  console.log(
    `train tiny (${paramCount(lmConfig('tiny'))} params, batch 32 × 64, AdamW): ${tiny.tps.toFixed(0)} tokens/s = ${(tiny.tps / PYTORCH_TOKENS_PER_S).toFixed(2)}× PyTorch 1.13 CPU eager's 11.1k (issue 12 figure, not re-measured)`,
  );
  const fpt = flopsPerToken('tiny');
  const peak = kernelGflops();
  console.log(
    `  arithmetic: ${(fpt / 1e6).toFixed(2)} MFLOP per token → ${((tiny.tps * fpt) / 1e9).toFixed(1)} GFLOP/s effective; the WASM SIMD kernel alone runs ${peak.toFixed(1)} GFLOP/s ` +
      `(128-bit lanes; V8 has no wider SIMD), so even with every other op free the engine would stop near ${((peak * 1e9) / fpt).toFixed(0)} tokens/s = ` +
      `${((peak * 1e9) / fpt / PYTORCH_TOKENS_PER_S).toFixed(2)}× PyTorch, whose ${((PYTORCH_TOKENS_PER_S * fpt) / 1e9).toFixed(0)} GFLOP/s come from AVX-512 FMA`,
  );
  const small = trainTokensPerS('small', 8, quick ? 1 : 3);
  console.log(`train small (${paramCount(lmConfig('small'))} params, batch 8 × 128): ${small.tps.toFixed(0)} tokens/s`);
  for (const size of ['tiny', 'small'] as const) {
    const tps = sampleTokensPerS(size, 16, quick ? 16 : 48);
    console.log(`sample ${size} (KV cache, 16 prompts batched, temperature 1): ${tps.toFixed(0)} tokens/s`);
  }
  const twin = await twinTokensPerS('tiny', 32, quick ? 1 : 3);
  console.log(
    `forward+backward tiny (batch 32 × 64, no optimiser; load ${loadavg()[0].toFixed(2)}): engine ${twin.engine.toFixed(0)} tokens/s, tfjs twin ${twin.twin.toFixed(0)} tokens/s (engine = ${(twin.engine / twin.twin).toFixed(1)}× the twin; embeddings by ${twin.embedding}) on ${twin.backend}`,
  );
  const mem = process.memoryUsage();
  console.log(`memory: rss ${mb(mem.rss)}, heap ${mb(mem.heapUsed)}, array buffers ${mb(mem.arrayBuffers)}; load after ${loadavg()[0].toFixed(2)}`);
}
