/** Pair encoding in the SFT layout, the context budget, identical responses and the resume fingerprint. */
import { describe, expect, it } from 'vitest';
import { encodePairs, identicalResponses, pairsFingerprint } from '../../../core/algos/dpo/pairs.js';
import { trainChar } from '../../../core/lm/tokenizer.js';

const tok = trainChar('abcdefghijklmnopqrstuvwxyz .', 260);
const pair = (prompt: string, chosen: string, rejected: string, id = 'p') => ({ id, prompt, chosen, rejected, tie: false });

describe('encodePairs', () => {
  it('[BOS] prompt [SEP] | response [EOS], both responses after the same prompt', () => {
    const { pairs, truncated } = encodePairs(tok, [pair('ab', ' c', ' de')], 16);
    expect(truncated).toBe(0);
    expect(pairs[0].prompt).toEqual([tok.ids.bos, ...tok.encode('ab'), tok.ids.sep]);
    expect(pairs[0].chosen).toEqual([...tok.encode(' c'), tok.ids.eos]);
    expect(pairs[0].rejected).toEqual([...tok.encode(' de'), tok.ids.eos]);
  });

  it('cuts the prompt from the left for the longer response, then the responses, and counts it', () => {
    const { pairs, truncated } = encodePairs(tok, [pair('abcdefgh', ' xyz', ' q'), pair('abcdefgh', 'abcdefghijklmnop', 'a')], 10);
    // Pair 1: the longer response is 5 tokens (4 + EOS), so the prompt keeps its last 5 (ending in SEP) of the 10.
    expect(pairs[0].prompt.length + pairs[0].chosen.length).toBe(10);
    expect(pairs[0].prompt.at(-1)).toBe(tok.ids.sep);
    expect(pairs[0].chosen.at(-1)).toBe(tok.ids.eos);
    // Pair 2: the response alone fills the context: the prompt keeps one token, the response is cut (no EOS).
    expect(pairs[1].prompt).toEqual([tok.ids.sep]);
    expect(pairs[1].chosen.length).toBe(9);
    expect(pairs[1].chosen.at(-1)).not.toBe(tok.ids.eos);
    expect(truncated).toBe(1);
  });

  it('spots identical responses; the fingerprint changes with any token or id', () => {
    const { pairs } = encodePairs(tok, [pair('ab', ' same', ' same'), pair('ab', ' one', ' two', 'q')], 32);
    expect(pairs.map(identicalResponses)).toEqual([true, false]);
    const fp = pairsFingerprint(pairs);
    expect(pairsFingerprint(encodePairs(tok, [pair('ab', ' same', ' same'), pair('ab', ' one', ' two', 'q')], 32).pairs)).toBe(fp);
    expect(pairsFingerprint(encodePairs(tok, [pair('ab', ' same', ' same'), pair('ab', ' one', ' twp', 'q')], 32).pairs)).not.toBe(fp);
    expect(pairsFingerprint(encodePairs(tok, [pair('ab', ' same', ' same'), pair('ab', ' one', ' two', 'r')], 32).pairs)).not.toBe(fp);
    expect(pairsFingerprint([...pairs].reverse())).not.toBe(fp);
  });
});
