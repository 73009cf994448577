/** Shapes of the decoder-only transformer, the named sizes, and the parameter layout (one flat Float32Array). */

export interface LmConfig {
  /** Transformer blocks. */
  nLayer: number;
  /** Residual width (embedding size); a multiple of nHead. */
  nEmbd: number;
  /** Attention heads per block. */
  nHead: number;
  /** Context length: the most tokens one sequence holds. */
  ctx: number;
  /** Vocabulary size (the tokenizer's). */
  vocabSize: number;
  /** Dropout probability on the embeddings and on each residual branch's output (training only). */
  dropout: number;
}

export const LM_SIZES = {
  /** The benchmark shape: 4 layers, width 128, 4 heads, context 64, vocabulary 256 (0.83M parameters). */
  tiny: { nLayer: 4, nEmbd: 128, nHead: 4, ctx: 64, vocabSize: 256, dropout: 0 },
  /** 6 layers, width 256, 8 heads, context 128, vocabulary 512 (4.9M parameters). */
  small: { nLayer: 6, nEmbd: 256, nHead: 8, ctx: 128, vocabSize: 512, dropout: 0.1 },
} as const satisfies Record<string, LmConfig>;
export type LmSize = keyof typeof LM_SIZES;

/** A named size with overrides (e.g. the tokenizer's vocabSize), validated. */
export function lmConfig(size: LmSize, overrides: Partial<LmConfig> = {}): LmConfig {
  if (!(size in LM_SIZES)) throw new Error(`unknown LM size '${String(size)}' (valid: ${Object.keys(LM_SIZES).join(', ')})`);
  return validateConfig({ ...LM_SIZES[size], ...overrides });
}

export function validateConfig(c: LmConfig): LmConfig {
  const int = (name: keyof LmConfig, lo: number, hi: number): void => {
    const v = c[name];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`lm config.${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  };
  int('nLayer', 1, 96);
  int('nEmbd', 1, 8192);
  int('nHead', 1, 256);
  int('ctx', 1, 8192);
  int('vocabSize', 2, 1_000_000);
  if (c.nEmbd % c.nHead !== 0) throw new Error(`lm config.nEmbd (${c.nEmbd}) must be a multiple of nHead (${c.nHead})`);
  if (!(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1)) throw new Error(`lm config.dropout must be in [0, 1), got ${String(c.dropout)}`);
  return { nLayer: c.nLayer, nEmbd: c.nEmbd, nHead: c.nHead, ctx: c.ctx, vocabSize: c.vocabSize, dropout: c.dropout };
}

export interface LayerOffsets {
  ln1w: number; ln1b: number; qkvw: number; qkvb: number; projw: number; projb: number; // prettier-ignore
  ln2w: number; ln2b: number; fcw: number; fcb: number; fcprojw: number; fcprojb: number; // prettier-ignore
}
export interface ParamLayout {
  wte: number;
  wpe: number;
  layers: LayerOffsets[];
  lnfw: number;
  lnfb: number;
  total: number;
  /** [name, offset, shape] of every tensor, in order (the checkpoint's weight names). */
  tensors: [string, number, number[]][];
}

/** Offsets of every tensor in the flat parameter vector; matrices are [out, in] (C = X·Wᵀ). */
export function paramLayout(c: LmConfig): ParamLayout {
  const C = c.nEmbd;
  let at = 0;
  const tensors: [string, number, number[]][] = [];
  const take = (name: string, shape: number[]): number => {
    const o = at;
    tensors.push([name, o, shape]);
    at += shape.reduce((a, b) => a * b, 1);
    return o;
  };
  const wte = take('wte', [c.vocabSize, C]);
  const wpe = take('wpe', [c.ctx, C]);
  const layers: LayerOffsets[] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const p = `h${l}.`;
    layers.push({
      ln1w: take(p + 'ln1.w', [C]), ln1b: take(p + 'ln1.b', [C]), // prettier-ignore
      qkvw: take(p + 'attn.qkv.w', [3 * C, C]), qkvb: take(p + 'attn.qkv.b', [3 * C]), // prettier-ignore
      projw: take(p + 'attn.proj.w', [C, C]), projb: take(p + 'attn.proj.b', [C]), // prettier-ignore
      ln2w: take(p + 'ln2.w', [C]), ln2b: take(p + 'ln2.b', [C]), // prettier-ignore
      fcw: take(p + 'mlp.fc.w', [4 * C, C]), fcb: take(p + 'mlp.fc.b', [4 * C]), // prettier-ignore
      fcprojw: take(p + 'mlp.proj.w', [C, 4 * C]), fcprojb: take(p + 'mlp.proj.b', [C]), // prettier-ignore
    });
  }
  const lnfw = take('lnf.w', [C]);
  const lnfb = take('lnf.b', [C]);
  return { wte, wpe, layers, lnfw, lnfb, total: at, tensors };
}

/** Number of parameters (embeddings tied: the output projection is wte). */
export function paramCount(c: LmConfig): number {
  const C = c.nEmbd;
  return c.vocabSize * C + c.ctx * C + c.nLayer * (12 * C * C + 13 * C) + 2 * C;
}
