/**
 * Tokenizers for the language models: byte-level BPE (GPT-2's scheme, learned from a corpus) and a character-level
 * alternative. Both start from the 256 byte tokens (ids 0–255), so every UTF-8 string encodes losslessly, then the
 * four special tokens (BOS, EOS, PAD, SEP = prompt/response separator, ids 256–259), then what was learned: BPE
 * merges in the order learned, or whole multi-byte characters of the corpus. Specials never come out of `encode`;
 * they are added by callers (`ids.bos` …) and dropped by `decode`.
 */

export const SPECIALS = ['<bos>', '<eos>', '<pad>', '<sep>'] as const;
export const BYTE_TOKENS = 256;
/** The smallest vocabulary: the bytes plus the specials. */
export const MIN_VOCAB = BYTE_TOKENS + SPECIALS.length;

export interface SpecialIds {
  bos: number;
  eos: number;
  pad: number;
  sep: number;
}

export interface TokenizerJson {
  kind: 'bpe' | 'char';
  /** BPE: merges as [left, right] id pairs, the i-th producing id 260 + i. Char: unused (empty). */
  merges: [number, number][];
  /** Char: the learned characters, id 260 + i. BPE: unused (empty). */
  chars: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** GPT-2-like pre-split: a word with its leading space, a run of digits, punctuation, or whitespace. */
const CHUNK = /\s?[\p{L}\p{M}]+|\s?\p{N}+|\s?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+/gu;

function utf8(text: string): Uint8Array {
  if (typeof text !== 'string') throw new Error(`tokenizer input must be a string, got ${typeof text}`);
  if (/\p{Cs}/u.test(text)) throw new Error('tokenizer input has a lone surrogate (not encodable as UTF-8)');
  return encoder.encode(text);
}

export class Tokenizer {
  readonly kind: 'bpe' | 'char';
  readonly ids: SpecialIds = { bos: 256, eos: 257, pad: 258, sep: 259 };
  readonly vocabSize: number;
  readonly #merges: [number, number][];
  readonly #chars: string[];
  /** Token id → its bytes. */
  readonly #bytes: Uint8Array[] = [];
  readonly #rank = new Map<number, number>(); // (left * 2^20 + right) → merge index
  readonly #charId = new Map<string, number>();
  readonly #cache = new Map<string, number[]>();

  constructor(json: TokenizerJson) {
    if (json.kind !== 'bpe' && json.kind !== 'char') throw new Error(`tokenizer kind must be 'bpe' or 'char', got ${String(json.kind)}`);
    if (!Array.isArray(json.merges) || !Array.isArray(json.chars)) throw new Error('tokenizer json needs merges and chars arrays');
    this.kind = json.kind;
    this.#merges = json.merges.map(([a, b]) => [a, b]);
    this.#chars = [...json.chars];
    for (let b = 0; b < BYTE_TOKENS; b++) this.#bytes.push(Uint8Array.of(b));
    for (let s = 0; s < SPECIALS.length; s++) this.#bytes.push(new Uint8Array(0));
    this.#merges.forEach(([a, b], i) => {
      const id = MIN_VOCAB + i;
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= id || b >= id || (a >= BYTE_TOKENS && a < MIN_VOCAB) || (b >= BYTE_TOKENS && b < MIN_VOCAB)) {
        throw new Error(`tokenizer merge ${i} = [${a}, ${b}] refers to an id that is not a byte or an earlier merge`);
      }
      const joined = new Uint8Array(this.#bytes[a].length + this.#bytes[b].length);
      joined.set(this.#bytes[a]);
      joined.set(this.#bytes[b], this.#bytes[a].length);
      this.#bytes.push(joined);
      this.#rank.set(a * 1048576 + b, i);
    });
    this.#chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1 || this.#charId.has(c)) throw new Error(`tokenizer char ${i} must be one distinct character, got ${JSON.stringify(c)}`);
      this.#bytes.push(utf8(c));
      this.#charId.set(c, MIN_VOCAB + i);
    });
    this.vocabSize = this.#bytes.length;
  }

  /** Token ids of `text` (no specials). */
  encode(text: string): number[] {
    utf8(text);
    const out: number[] = [];
    if (this.kind === 'char') {
      for (const c of text) {
        const id = this.#charId.get(c);
        if (id !== undefined) out.push(id);
        else for (const b of encoder.encode(c)) out.push(b);
      }
      return out;
    }
    for (const chunk of text.match(CHUNK) ?? []) {
      let ids = this.#cache.get(chunk);
      if (!ids) {
        ids = this.#bpe(Array.from(encoder.encode(chunk)));
        if (this.#cache.size < 100_000) this.#cache.set(chunk, ids);
      }
      for (const id of ids) out.push(id);
    }
    return out;
  }

  /** Applies the merges to one chunk's bytes, lowest rank first (as they were learned). */
  #bpe(ids: number[]): number[] {
    while (ids.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) {
        const r = this.#rank.get(ids[i] * 1048576 + ids[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = this.#merges[bestRank];
      const merged: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          merged.push(MIN_VOCAB + bestRank);
          i++;
        } else merged.push(ids[i]);
      }
      ids = merged;
    }
    return ids;
  }

  /** The text of `ids`; special tokens are dropped. Throws on an id outside the vocabulary or bytes that are not UTF-8. */
  decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new Error(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      parts.push(this.#bytes[id]);
      n += this.#bytes[id].length;
    }
    const all = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return decoder.decode(all);
  }

  /** Like decode, but never throws on partial UTF-8 (replacement characters instead): for streaming samples. */
  decodeLossy(ids: readonly number[]): string {
    const bytes = ids.filter((id) => Number.isInteger(id) && id >= 0 && id < this.vocabSize).flatMap((id) => Array.from(this.#bytes[id]));
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  toJSON(): TokenizerJson {
    return { kind: this.kind, merges: this.#merges.map(([a, b]) => [a, b]), chars: [...this.#chars] };
  }
}

function checkVocab(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB || vocabSize > 1_000_000) {
    throw new Error(`vocabSize must be an integer in [${MIN_VOCAB}, 1000000] (256 bytes + 4 specials + learned), got ${vocabSize}`);
  }
}

/**
 * Learns byte-level BPE from `corpus`: repeatedly merges the most frequent adjacent pair inside pre-split chunks
 * (ties broken by the smaller pair ids, so the result is deterministic) until `vocabSize` or no pair occurs twice.
 */
export function trainBpe(corpus: string, vocabSize: number): Tokenizer {
  checkVocab(vocabSize);
  utf8(corpus);
  const counts = new Map<string, number>();
  for (const chunk of corpus.match(CHUNK) ?? []) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  const words: { ids: number[]; count: number }[] = [...counts].map(([w, count]) => ({ ids: Array.from(encoder.encode(w)), count }));
  const merges: [number, number][] = [];
  while (MIN_VOCAB + merges.length < vocabSize) {
    const pairs = new Map<number, number>();
    for (const { ids, count } of words) for (let i = 0; i + 1 < ids.length; i++) pairs.set(ids[i] * 1048576 + ids[i + 1], (pairs.get(ids[i] * 1048576 + ids[i + 1]) ?? 0) + count);
    let best = -1;
    let bestCount = 1;
    for (const [key, c] of pairs) if (c > bestCount || (c === bestCount && best >= 0 && key < best)) [best, bestCount] = [key, c];
    if (best < 0) break;
    const a = Math.floor(best / 1048576);
    const b = best % 1048576;
    const id = MIN_VOCAB + merges.length;
    merges.push([a, b]);
    for (const w of words) {
      const next: number[] = [];
      for (let i = 0; i < w.ids.length; i++) {
        if (i + 1 < w.ids.length && w.ids[i] === a && w.ids[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.ids[i]);
      }
      w.ids = next;
    }
  }
  return new Tokenizer({ kind: 'bpe', merges, chars: [] });
}

/** A character-level tokenizer: the bytes (ASCII is one byte) plus the corpus's most frequent multi-byte characters. */
export function trainChar(corpus: string, vocabSize: number): Tokenizer {
  checkVocab(vocabSize);
  utf8(corpus);
  const counts = new Map<string, number>();
  for (const c of corpus) if (c.codePointAt(0)! >= 128) counts.set(c, (counts.get(c) ?? 0) + 1);
  const chars = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, vocabSize - MIN_VOCAB).map(([c]) => c);
  return new Tokenizer({ kind: 'char', merges: [], chars });
}
