/**
 * Arithmetic answers: prompts "Q: 17 + 25 = ?\nA:" and answers that vary in correctness, politeness and length.
 * The oracle ranks correctness first, then brevity:
 *   score = correct + 1 / (1 + chars / BREVITY_CHARS)
 * where `correct` is 1 when the first integer in the completion equals the true result (0 otherwise, also when there
 * is no integer) and `chars` is the trimmed completion's length. So every correct answer (score in (1, 2]) beats every
 * wrong one (score in (0, 1]), and among equally correct answers the shorter wins.
 */
import type { Rng } from '../common/rng.js';

export const BREVITY_CHARS = 40;
export const ARITHMETIC_OPS = ['+', '-'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];

export interface Problem {
  a: number;
  b: number;
  op: ArithmeticOp;
}

/** Answer templates by politeness and length; `{n}` is the number given. None restates the operands. */
export const ANSWER_TEMPLATES = [
  { politeness: 'neutral', length: 'short', text: ' {n}' },
  { politeness: 'neutral', length: 'short', text: ' {n}.' },
  { politeness: 'neutral', length: 'medium', text: ' The answer is {n}.' },
  { politeness: 'polite', length: 'medium', text: ' Sure! It is {n}.' },
  { politeness: 'polite', length: 'long', text: ' Happy to help! The result is {n}. Let me know if you need anything else.' },
  { politeness: 'polite', length: 'long', text: ' Great question. After working it out carefully, I get {n}. I hope that helps!' },
  { politeness: 'rude', length: 'medium', text: ' Obviously {n}. Try harder.' },
  { politeness: 'rude', length: 'long', text: ' Ugh, fine: {n}. You could have done this one yourself, it is not hard.' },
] as const;

export function solve(p: Problem): number {
  return p.op === '+' ? p.a + p.b : p.a - p.b;
}

export function problemPrompt(p: Problem): string {
  return `Q: ${p.a} ${p.op} ${p.b} = ?\nA:`;
}

const PROMPT_RE = /^Q: (\d+) ([+-]) (\d+) = \?\nA:$/;

/** Parses a prompt made by problemPrompt; throws naming the prompt otherwise. */
export function parseProblem(prompt: string): Problem {
  const m = PROMPT_RE.exec(prompt);
  if (!m) throw new Error(`not an arithmetic prompt ("Q: <a> <+|-> <b> = ?\\nA:"): ${JSON.stringify(prompt)}`);
  return { a: Number(m[1]), op: m[2] as ArithmeticOp, b: Number(m[3]) };
}

/** The first integer in the text (with a leading minus sign), or null. */
export function firstInteger(text: string): number | null {
  const m = /-?\d+/.exec(text);
  return m ? Number(m[0]) : null;
}

/** The oracle's score of `completion` for the problem in `prompt` (see the module comment). */
export function arithmeticScore(prompt: string, completion: string): number {
  const answer = solve(parseProblem(prompt));
  const correct = firstInteger(completion) === answer ? 1 : 0;
  return correct + 1 / (1 + completion.trim().length / BREVITY_CHARS);
}

/** Operands in [0, 99]; subtraction keeps a ≥ b so results are never negative. */
export function generateProblem(rng: Rng): Problem {
  const op = ARITHMETIC_OPS[rng.integer(ARITHMETIC_OPS.length)] as ArithmeticOp;
  let a = rng.integer(100);
  let b = rng.integer(100);
  if (op === '-' && b > a) [a, b] = [b, a];
  return { a, b, op };
}

/** A wrong result near the true one (off by 1–10, either way, never negative). */
export function wrongAnswer(rng: Rng, p: Problem): number {
  const truth = solve(p);
  for (;;) {
    const off = (1 + rng.integer(10)) * (rng.uniform() < 0.5 ? -1 : 1);
    if (truth + off >= 0) return truth + off;
  }
}

/** An answer to `p`, correct or not, with a template drawn uniformly. */
export function generateAnswer(rng: Rng, p: Problem, correct: boolean): string {
  const n = correct ? solve(p) : wrongAnswer(rng, p);
  const t = ANSWER_TEMPLATES[rng.integer(ANSWER_TEMPLATES.length)]!;
  return t.text.replace('{n}', String(n));
}
