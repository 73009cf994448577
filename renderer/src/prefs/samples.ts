/**
 * The sample viewer's tables from a prefs:compare result: who is who (reference = SFT, then the policies), the
 * win-rate rows judged by the oracle with their 95% intervals, and the answers to each prompt side by side.
 * Pure, unit-tested in Node.
 */
import type { PrefsCompareResult, PrefsPolicyResult } from '../../../core/api/contract.js';

export interface Contender {
  /** −1 for the reference, else the index into result.policies. */
  index: number;
  label: string;
  result: PrefsPolicyResult;
}

export function contenderLabel(p: PrefsPolicyResult, reference: boolean): string {
  return `${reference ? 'SFT · ' : ''}${p.name} (${p.algo}, step ${p.step})`;
}

/** The reference first, then the policies in request order. */
export function contenders(result: PrefsCompareResult): Contender[] {
  return [
    { index: -1, label: contenderLabel(result.reference, true), result: result.reference },
    ...result.policies.map((p, i) => ({ index: i, label: contenderLabel(p, false), result: p })),
  ];
}

export interface WinRateRow {
  a: string;
  b: string;
  /** Against the reference (the SFT policy), or between two policies. */
  vsReference: boolean;
  rate: number;
  ci95: [number, number];
  wins: number;
  losses: number;
  ties: number;
  n: number;
  /** The interval lies wholly above / below 0.5. */
  verdict: 'better' | 'worse' | 'unclear';
}

export function winRateRows(result: PrefsCompareResult): WinRateRow[] {
  const name = (i: number): string => (i < 0 ? contenderLabel(result.reference, true) : contenderLabel(result.policies[i]!, false));
  return result.winRates.map((w) => ({
    a: name(w.a),
    b: name(w.b),
    vsReference: w.b < 0,
    rate: w.rate,
    ci95: w.ci95,
    wins: w.wins,
    losses: w.losses,
    ties: w.ties,
    n: w.n,
    verdict: w.ci95[0] > 0.5 ? 'better' : w.ci95[1] < 0.5 ? 'worse' : 'unclear',
  }));
}

export interface AnswerCell {
  text: string;
  oracle: number;
  reward: number | null;
  /** Highest oracle score among this prompt's answers (ties: all of them). */
  best: boolean;
}

export interface PromptRow {
  index: number;
  prompt: string;
  answers: AnswerCell[];
}

/** Prompts `from` … `from + count − 1`, each with every contender's answer (in contenders() order). */
export function promptRows(result: PrefsCompareResult, from: number, count: number): PromptRow[] {
  const all = contenders(result);
  const rows: PromptRow[] = [];
  for (let i = from; i < Math.min(result.prompts.length, from + count); i++) {
    const scores = all.map((c) => c.result.oracle[i]!);
    const top = Math.max(...scores);
    rows.push({
      index: i,
      prompt: result.prompts[i]!,
      answers: all.map((c, k) => ({ text: c.result.completions[i] ?? '', oracle: scores[k]!, reward: c.result.reward ? c.result.reward[i]! : null, best: scores[k] === top })),
    });
  }
  return rows;
}

export function percent(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}
