import { describe, expect, it } from 'vitest';
import { MIN_VOCAB, Tokenizer, trainBpe, trainChar } from '../../../core/lm/tokenizer.js';
import { Rng } from '../../../core/common/rng.js';

const corpus = 'the cat sat on the mat. the cat ate the rat. 17 + 25 = 42. café naïve — ünïcödé 🙂🙂';

function randomText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.uniform();
    if (r < 0.5) s += String.fromCharCode(32 + rng.integer(95));
    else if (r < 0.8) s += String.fromCodePoint(0xa0 + rng.integer(0xd7ff - 0xa0));
    else if (r < 0.9) s += String.fromCodePoint(0x10000 + rng.integer(0x10ffff - 0x10000));
    else s += ['\n', '\t', ' ', '\r\n', '\u0000'][rng.integer(5)];
  }
  return s;
}

describe('byte-level BPE', () => {
  it('learns the most frequent pair first on a fixed text, deterministically', () => {
    const tok = trainBpe('aaab aaab aaab', MIN_VOCAB + 2);
    // chunks: "aaab" ×1 and " aaab" ×2; pair counts: (a,a) 6, (a,b) 3, (space,a) 2 → first merge is "aa"
    const [first] = tok.toJSON().merges;
    expect(first).toEqual([97, 97]);
    expect(tok.vocabSize).toBe(MIN_VOCAB + 2);
    expect(trainBpe('aaab aaab aaab', MIN_VOCAB + 2).toJSON()).toEqual(tok.toJSON());
    expect(tok.encode('aaab').length).toBeLessThan(4);
  });

  it('round-trips any UTF-8 losslessly, including text unlike the corpus', () => {
    const tok = trainBpe(corpus.repeat(3), 320);
    const rng = new Rng(7);
    for (let i = 0; i < 50; i++) {
      const text = randomText(rng, 1 + rng.integer(80));
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    expect(tok.decode(tok.encode(corpus))).toBe(corpus);
    expect(tok.encode(corpus).length).toBeLessThan(new TextEncoder().encode(corpus).length / 1.5);
    expect(tok.encode('')).toEqual([]);
  });

  it('serialises and reloads to the same encoding; specials are separate and dropped by decode', () => {
    const tok = trainBpe(corpus, 300);
    const back = new Tokenizer(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.encode(corpus)).toEqual(tok.encode(corpus));
    expect(tok.encode(corpus)).not.toContain(tok.ids.eos);
    expect(tok.decode([tok.ids.bos, ...tok.encode('hi'), tok.ids.sep, tok.ids.eos])).toBe('hi');
  });

  it('rejects bad inputs with clear errors', () => {
    expect(() => trainBpe(corpus, 100)).toThrow(/vocabSize must be an integer in \[260/);
    expect(() => trainBpe(corpus, 300).encode('\ud800')).toThrow(/lone surrogate/);
    expect(() => trainBpe(corpus, 300).decode([1e6])).toThrow(/outside the vocabulary/);
    expect(() => new Tokenizer({ kind: 'bpe', merges: [[0, 999]], chars: [] })).toThrow(/merge 0/);
  });
});

describe('character-level tokenizer', () => {
  it('gives multi-byte characters one token and round-trips unseen text', () => {
    const tok = trainChar(corpus, 270);
    expect(tok.encode('é').length).toBe(1);
    expect(tok.encode('🙂').length).toBe(1);
    expect(tok.encode('ab').length).toBe(2);
    const rng = new Rng(3);
    for (let i = 0; i < 30; i++) {
      const text = randomText(rng, 40);
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
    expect(new Tokenizer(tok.toJSON()).encode(corpus)).toEqual(tok.encode(corpus));
  });
});
