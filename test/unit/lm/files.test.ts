import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksummer } from '../../../core/store/checksum.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { loadLm, saveLm } from '../../../core/lm/files.js';
import { trainBpe } from '../../../core/lm/tokenizer.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('LM save/load', () => {
  it('round-trips weights, config and tokenizer in the tfjs layout, verifying checksums', async () => {
    const sum = await checksummer();
    const dir = mkdtempSync(join(tmpdir(), 'lm-files-'));
    dirs.push(dir);
    const tokenizer = trainBpe('hello world, hello there', 270);
    const engine = new LmEngine({ nLayer: 1, nEmbd: 8, nHead: 2, ctx: 8, vocabSize: 270, dropout: 0.1 }, 4);
    const checksums = await saveLm(dir, engine, tokenizer, sum, false);
    expect(Object.keys(checksums).sort()).toEqual(['model.json', 'weights.bin']);
    const back = await loadLm(dir, sum, checksums);
    expect(back.config).toEqual(engine.config);
    expect(Array.from(back.engine.params)).toEqual(Array.from(engine.params));
    expect(back.tokenizer.encode('hello there')).toEqual(tokenizer.encode('hello there'));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const bin = readFileSync(join(dir, 'weights.bin'));
    bin[10] ^= 0xff;
    writeFileSync(join(dir, 'weights.bin'), bin);
    await expect(loadLm(dir, sum, checksums)).rejects.toThrow();
  });
});
