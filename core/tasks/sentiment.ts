/**
 * Sentiment continuation (the DPO paper's IMDb task in miniature): short film reviews from a small grammar over the
 * lexicon in sentiment-lexicon.ts; prompts are review prefixes ending in "was"; the oracle is the AFINN-165 score
 * of the completion from the `sentiment` package (sum of word scores, with its negation handling).
 *
 * Grammar (each choice uniform unless noted; `polarity` picks a word list per slot, see slotPolarity):
 *   review    := [filler " "] opener " was " [adverb " "] adjective "." (" " sentence){1..3}
 *   sentence  := "The " noun " was " [adverb " "] adjective "."                              (weight 3)
 *              | "I " verb " the " noun "."                                                 (weight 2)
 *              | "The " noun " was " adjective " and the " noun " was " adjective "."      (weight 2)
 *              | filler                                                                     (weight 1)
 *   [x]       := x with probability 0.4
 * A review has a tone: positive, negative or mixed (1/3 each). Each sentiment slot of a positive review is positive
 * with probability 0.85 (negative otherwise), of a negative review negative with 0.85, of a mixed review 0.5.
 */
import { createRequire } from 'node:module';
import type { Rng } from '../common/rng.js';
import {
  ADVERBS,
  NEGATIVE_ADJECTIVES,
  NEGATIVE_VERBS,
  NEUTRAL_FILLERS,
  NOUNS,
  OPENERS,
  POSITIVE_ADJECTIVES,
  POSITIVE_VERBS,
} from './sentiment-lexicon.js';

interface SentimentAnalysis {
  score: number;
  comparative: number;
}
interface SentimentAnalyzer {
  analyze(text: string): SentimentAnalysis;
}

// `sentiment` is CommonJS without types; its one method used here is typed above.
let analyzer: SentimentAnalyzer | null = null;

/** The AFINN-165 score of `text` (the `sentiment` package's `score`: word scores summed, negations flipped). */
export function sentimentScore(text: string): number {
  if (typeof text !== 'string') throw new TypeError(`sentimentScore: text must be a string, got ${typeof text}`);
  if (!analyzer) {
    const Sentiment = createRequire(import.meta.url)('sentiment') as new () => SentimentAnalyzer;
    analyzer = new Sentiment();
  }
  return analyzer.analyze(text).score;
}

export type Tone = 'positive' | 'negative' | 'mixed';

export interface Review {
  tone: Tone;
  /** The prefix the policy continues (ends with "was"). */
  prompt: string;
  /** The rest of the review, starting with a space. */
  completion: string;
}

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.integer(list.length)] as T;
}

function slotPolarity(rng: Rng, tone: Tone): 'positive' | 'negative' {
  const pPositive = tone === 'positive' ? 0.85 : tone === 'negative' ? 0.15 : 0.5;
  return rng.uniform() < pPositive ? 'positive' : 'negative';
}

function adjective(rng: Rng, tone: Tone): string {
  return pick(rng, slotPolarity(rng, tone) === 'positive' ? POSITIVE_ADJECTIVES : NEGATIVE_ADJECTIVES);
}

function maybeAdverb(rng: Rng): string {
  return rng.uniform() < 0.4 ? `${pick(rng, ADVERBS)} ` : '';
}

function sentence(rng: Rng, tone: Tone): string {
  const r = rng.integer(8);
  if (r < 3) return `The ${pick(rng, NOUNS)} was ${maybeAdverb(rng)}${adjective(rng, tone)}.`;
  if (r < 5) {
    const verb = pick(rng, slotPolarity(rng, tone) === 'positive' ? POSITIVE_VERBS : NEGATIVE_VERBS);
    return `I ${verb} the ${pick(rng, NOUNS)}.`;
  }
  if (r < 7) return `The ${pick(rng, NOUNS)} was ${adjective(rng, tone)} and the ${pick(rng, NOUNS)} was ${adjective(rng, tone)}.`;
  return pick(rng, NEUTRAL_FILLERS);
}

/** One review drawn from the grammar. `tone` defaults to a uniform draw. */
export function generateReview(rng: Rng, tone?: Tone): Review {
  const t: Tone = tone ?? pick(rng, ['positive', 'negative', 'mixed'] as const);
  const filler = rng.uniform() < 0.4 ? `${pick(rng, NEUTRAL_FILLERS)} ` : '';
  const prompt = `${filler}${pick(rng, OPENERS)} was`;
  const parts = [` ${maybeAdverb(rng)}${adjective(rng, t)}.`];
  const extra = 1 + rng.integer(3);
  for (let i = 0; i < extra; i++) parts.push(` ${sentence(rng, t)}`);
  return { tone: t, prompt, completion: parts.join('') };
}
