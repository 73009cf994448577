import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import {
  arithmeticScore,
  BREVITY_CHARS,
  firstInteger,
  generateAnswer,
  generateProblem,
  parseProblem,
  problemPrompt,
  solve,
} from '../../../core/tasks/arithmetic.js';
import { getTask, TASK_IDS } from '../../../core/tasks/index.js';
import { generateReview, sentimentScore } from '../../../core/tasks/sentiment.js';
import * as lexicon from '../../../core/tasks/sentiment-lexicon.js';

const afinn = createRequire(import.meta.url)('sentiment/languages/en/labels.json') as Record<string, number>;

describe('sentiment lexicon against AFINN-165', () => {
  it('positive words score > 0, negative < 0, neutral words are absent', () => {
    for (const w of [...lexicon.POSITIVE_ADJECTIVES, ...lexicon.POSITIVE_VERBS]) expect(afinn[w], w).toBeGreaterThan(0);
    for (const w of [...lexicon.NEGATIVE_ADJECTIVES, ...lexicon.NEGATIVE_VERBS]) expect(afinn[w], w).toBeLessThan(0);
    const neutral = [...lexicon.ADVERBS, ...lexicon.NOUNS, ...lexicon.OPENERS, ...lexicon.NEUTRAL_FILLERS];
    for (const phrase of neutral) {
      for (const w of phrase.toLowerCase().match(/[a-z']+/g) ?? []) expect(afinn[w], `${w} (in "${phrase}")`).toBeUndefined();
    }
  });
});

describe('sentiment oracle', () => {
  it('is the package score: word scores summed, negation flipped', () => {
    expect(sentimentScore(' wonderful. The plot was awful.')).toBe(afinn.wonderful! + afinn.awful!);
    expect(sentimentScore('The film was good.')).toBe(3);
    expect(sentimentScore('The film was not good.')).toBe(-3);
    expect(sentimentScore('')).toBe(0);
    expect(getTask('sentiment').oracle('This movie was', ' superb.')).toBe(5);
  });

  it('prompts are neutral prefixes ending in "was", and tone moves the score', () => {
    const rng = new Rng(3);
    const mean = (tone: 'positive' | 'negative'): number => {
      let s = 0;
      for (let i = 0; i < 300; i++) {
        const r = generateReview(rng, tone);
        expect(r.prompt.endsWith(' was')).toBe(true);
        expect(sentimentScore(r.prompt)).toBe(0);
        expect(r.completion.startsWith(' ')).toBe(true);
        s += sentimentScore(r.completion);
      }
      return s / 300;
    };
    expect(mean('positive')).toBeGreaterThan(3);
    expect(mean('negative')).toBeLessThan(-3);
  });

  it('rejects a non-string', () => {
    expect(() => sentimentScore(5 as unknown as string)).toThrow(/must be a string/);
  });
});

describe('arithmetic oracle', () => {
  const prompt = 'Q: 17 + 25 = ?\nA:';

  it('parses prompts and solves them', () => {
    expect(parseProblem(prompt)).toEqual({ a: 17, op: '+', b: 25 });
    expect(solve(parseProblem('Q: 40 - 17 = ?\nA:'))).toBe(23);
    expect(() => parseProblem('Q: 1 * 2 = ?\nA:')).toThrow(/not an arithmetic prompt/);
    expect(firstInteger(' Sure, it is 42 (not 41).')).toBe(42);
    expect(firstInteger(' no idea')).toBeNull();
  });

  it('scores correctness first, then brevity', () => {
    expect(arithmeticScore(prompt, ' 42')).toBeCloseTo(1 + 1 / (1 + 2 / BREVITY_CHARS), 12);
    expect(arithmeticScore(prompt, ' 43')).toBeCloseTo(1 / (1 + 2 / BREVITY_CHARS), 12);
    const longCorrect = ' Happy to help! The result is 42. Let me know if you need anything else.';
    expect(arithmeticScore(prompt, longCorrect)).toBeGreaterThan(arithmeticScore(prompt, ' 41'));
    expect(arithmeticScore(prompt, ' 42')).toBeGreaterThan(arithmeticScore(prompt, ' The answer is 42.'));
    expect(arithmeticScore(prompt, ' I do not know')).toBeLessThan(1);
    expect(getTask('arithmetic').oracle(prompt, ' 42')).toBe(arithmeticScore(prompt, ' 42'));
  });

  it('generated answers are correct exactly when asked to be', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 500; i++) {
      const p = generateProblem(rng);
      expect(solve(p)).toBeGreaterThanOrEqual(0);
      const correct = i % 2 === 0;
      const answer = generateAnswer(rng, p, correct);
      expect(firstInteger(answer) === solve(p)).toBe(correct);
      expect(arithmeticScore(problemPrompt(p), answer) > 1).toBe(correct);
    }
  });

  it('knows its tasks', () => {
    expect(TASK_IDS).toEqual(['sentiment', 'arithmetic']);
    expect(() => getTask('chess')).toThrow(/unknown task "chess"; valid: sentiment, arithmetic/);
  });
});
