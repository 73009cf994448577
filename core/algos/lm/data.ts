/**
 * The text of a language-model run: where it comes from (a shipped task's file or the user's), how it is split into
 * training and held-out parts, and how batches are drawn from it.
 *   pretrain  documents (blank-line separated, else one per line) → [BOS] doc [EOS] concatenated into one token
 *             stream; a batch is B windows of T + 1 tokens at random offsets.
 *   SFT       examples {prompt, completion} → [BOS] prompt [SEP] completion [EOS]; the loss mask counts the
 *             completion's tokens and EOS only; a batch is B random examples right-padded with PAD to the longest.
 * Held-out batches are fixed (the same every evaluation).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Rng } from '../../common/rng.js';
import type { Batch } from '../../lm/engine.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { isTaskId, TASK_IDS } from '../../tasks/index.js';
import { readPromptSet, taskResourcesDir } from '../../tasks/resources.js';

/** Largest text file a run reads (the whole file is tokenised in memory). */
export const MAX_TEXT_BYTES = 256 * 2 ** 20;

/** The file behind a `corpus`/`data` field: a shipped task id or an absolute path. */
export function resolveTextSource(value: string, file: 'corpus.txt' | 'sft.jsonl', field: string): string {
  if (isTaskId(value)) return join(taskResourcesDir(), value, file);
  if (!isAbsolute(value)) throw new Error(`config.${field} must be a shipped task (${TASK_IDS.join(', ')}) or an absolute file path, got ${JSON.stringify(value)}`);
  if (!existsSync(value)) throw new Error(`config.${field}: no file at ${value}`);
  const st = statSync(value);
  if (!st.isFile()) throw new Error(`config.${field}: ${value} is not a file`);
  if (st.size > MAX_TEXT_BYTES) throw new Error(`config.${field}: ${value} has ${st.size} bytes; at most ${MAX_TEXT_BYTES} are read`);
  return value;
}

function readUtf8(path: string, field: string): string {
  const bytes = readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`config.${field}: ${path} is not valid UTF-8 text`);
  }
}

/** Documents of a plain-text corpus: separated by blank lines, or one per line when it has none. */
export function splitDocuments(text: string): string[] {
  const t = text.replace(/\r\n/g, '\n');
  const parts = /\n[ \t]*\n/.test(t) ? t.split(/\n[ \t]*\n/) : t.split('\n');
  return parts.map((d) => d.trim()).filter((d) => d.length > 0);
}

/** Train/held-out split by position: the last ⌈holdout·n⌉ items (at least 1, and at least 1 left to train on). */
export function splitHoldout<T>(items: readonly T[], holdout: number, what: string): { train: T[]; eval: T[] } {
  if (items.length < 2) throw new Error(`${what}: needs at least 2 items to hold one out for eval/loss, got ${items.length}`);
  const n = Math.min(items.length - 1, Math.max(1, Math.ceil(items.length * holdout)));
  return { train: items.slice(0, items.length - n), eval: items.slice(items.length - n) };
}

export interface SftExample {
  prompt: string;
  completion: string;
}

/**
 * SFT examples from JSONL: {prompt, completion} (standard) or {messages: [{role, content}…]} (TRL conversational:
 * the last message must be the assistant's and is the completion; the earlier ones form the prompt as
 * "role: content" lines ending in "assistant:"). Every line is checked; errors name the line.
 */
export function parseSftJsonl(text: string, where: string): SftExample[] {
  const out: SftExample[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const at = `${where}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${at}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at}: expected an object with prompt and completion, or messages`);
    const o = v as Record<string, unknown>;
    if ('messages' in o) {
      const m = o.messages;
      if (!Array.isArray(m) || m.length < 2) throw new Error(`${at}: messages must be a list of at least 2 {role, content}`);
      m.forEach((msg, j) => {
        const mm = msg as Record<string, unknown> | null;
        if (typeof mm !== 'object' || mm === null || typeof mm.role !== 'string' || typeof mm.content !== 'string') throw new Error(`${at}: messages[${j}] must be {role: string, content: string}`);
      });
      const msgs = m as { role: string; content: string }[];
      const last = msgs[msgs.length - 1]!;
      if (last.role !== 'assistant') throw new Error(`${at}: the last message must be the assistant's (the response), got role ${JSON.stringify(last.role)}`);
      if (last.content === '') throw new Error(`${at}: the assistant's response is empty`);
      const prompt = msgs.slice(0, -1).map((x) => `${x.role}: ${x.content}\n`).join('') + 'assistant:';
      out.push({ prompt, completion: ' ' + last.content });
      return;
    }
    if (typeof o.prompt !== 'string' || typeof o.completion !== 'string') throw new Error(`${at}: prompt and completion must both be strings`);
    if (o.completion === '') throw new Error(`${at}: completion is empty`);
    out.push({ prompt: o.prompt, completion: o.completion });
  });
  if (out.length === 0) throw new Error(`${where}: no examples`);
  return out;
}

export function readCorpus(value: string): { path: string; docs: string[] } {
  const path = resolveTextSource(value, 'corpus.txt', 'corpus');
  const docs = splitDocuments(readUtf8(path, 'corpus'));
  if (docs.length === 0) throw new Error(`config.corpus: ${path} holds no text`);
  return { path, docs };
}

export function readSft(value: string): { path: string; examples: SftExample[] } {
  const path = resolveTextSource(value, 'sft.jsonl', 'data');
  return { path, examples: parseSftJsonl(readUtf8(path, 'data'), path) };
}

/** Prompts the run samples from: a shipped task's prompt set, else the first words of held-out documents / prompts. */
export function samplePrompts(value: string, kind: 'pretrain' | 'sft', heldOut: readonly string[], n: number): string[] {
  if (isTaskId(value)) return readPromptSet(value).slice(0, n).map((p) => p.prompt);
  if (kind === 'sft') return heldOut.slice(0, n);
  return heldOut.slice(0, n).map((d) => d.split(/\s+/).slice(0, 4).join(' '));
}

/** One token stream of [BOS] doc [EOS] … */
export function tokenStream(tok: Tokenizer, docs: readonly string[]): Int32Array {
  const ids: number[] = [];
  for (const d of docs) {
    ids.push(tok.ids.bos);
    for (const t of tok.encode(d)) ids.push(t);
    ids.push(tok.ids.eos);
  }
  return Int32Array.from(ids);
}

/** B windows of T + 1 tokens at random offsets of the stream (T is min(ctx, stream length − 1)). */
export function streamBatch(stream: Int32Array, B: number, ctx: number, rng: Rng): Batch {
  const T = Math.min(ctx, stream.length - 1);
  if (T < 1) throw new Error(`the training text has ${stream.length} token(s); at least 2 are needed`);
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const o = rng.integer(stream.length - T);
    tokens.set(stream.subarray(o, o + T), b * T);
    targets.set(stream.subarray(o + 1, o + T + 1), b * T);
  }
  return { tokens, targets, B, T };
}

/** Fixed held-out batches: evenly spaced windows over the held-out stream. */
export function streamEvalBatches(stream: Int32Array, B: number, ctx: number, batches: number): Batch[] {
  const T = Math.min(ctx, stream.length - 1);
  if (T < 1) throw new Error(`the held-out text has ${stream.length} token(s); at least 2 are needed`);
  const windows = B * batches;
  const span = stream.length - T;
  const out: Batch[] = [];
  for (let k = 0; k < batches; k++) {
    const tokens = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const o = Math.floor(((k * B + b) * span) / windows);
      tokens.set(stream.subarray(o, o + T), b * T);
      targets.set(stream.subarray(o + 1, o + T + 1), b * T);
    }
    out.push({ tokens, targets, B, T });
  }
  return out;
}

/** An SFT example as tokens: [BOS] prompt [SEP] completion [EOS] cut to ctx + 1, and where the response starts. */
export interface SftSeq {
  ids: Int32Array;
  /** Index of the first response token in ids (the one after SEP). */
  responseStart: number;
}

/** Encodes examples; those whose prompt leaves no room for a response token in the context are dropped (counted). */
export function encodeSft(tok: Tokenizer, examples: readonly SftExample[], ctx: number): { seqs: SftSeq[]; dropped: number } {
  const seqs: SftSeq[] = [];
  let dropped = 0;
  for (const e of examples) {
    const ids = [tok.ids.bos, ...tok.encode(e.prompt), tok.ids.sep];
    const responseStart = ids.length;
    if (responseStart > ctx) {
      dropped++;
      continue;
    }
    ids.push(...tok.encode(e.completion), tok.ids.eos);
    seqs.push({ ids: Int32Array.from(ids.slice(0, ctx + 1)), responseStart });
  }
  return { seqs, dropped };
}

/** A padded batch of SFT sequences; mask = 1 where the target is a response token (or EOS). */
export function sftBatch(seqs: readonly SftSeq[], pad: number): Batch {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.ids.length - 1));
  const tokens = new Int32Array(B * T).fill(pad);
  const targets = new Int32Array(B * T).fill(pad);
  const mask = new Float32Array(B * T);
  seqs.forEach((s, b) => {
    const n = s.ids.length - 1;
    tokens.set(s.ids.subarray(0, n), b * T);
    targets.set(s.ids.subarray(1, n + 1), b * T);
    // Position t predicts ids[t + 1]: a response token when t + 1 ≥ responseStart.
    for (let t = s.responseStart - 1; t < n; t++) mask[b * T + t] = 1;
  });
  return { tokens, targets, mask, B, T };
}

export function randomSftBatch(seqs: readonly SftSeq[], B: number, pad: number, rng: Rng): Batch {
  const pick: SftSeq[] = [];
  for (let b = 0; b < B; b++) pick.push(seqs[rng.integer(seqs.length)]!);
  return sftBatch(pick, pad);
}

export function sftEvalBatches(seqs: readonly SftSeq[], B: number, pad: number, batches: number): Batch[] {
  const out: Batch[] = [];
  for (let k = 0; k < batches && k * B < seqs.length; k++) out.push(sftBatch(seqs.slice(k * B, (k + 1) * B), pad));
  return out;
}
