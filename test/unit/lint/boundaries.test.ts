/**
 * The layer boundaries of DESIGN.md are enforced by ESLint: core/ imports neither electron nor the DOM,
 * renderer/ imports no Node modules and nothing from core/ but core/api/. These tests prove the rules
 * fire on offending code (so the lint gate is not vacuous) and that the repository itself passes them.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layer boundaries', () => {
  it('core/ may not import electron', async () => {
    const msgs = await ruleIds("import { app } from 'electron';\nexport const x = app;\n", 'core/envs/bad.ts');
    expect(msgs.some((m) => m.startsWith('no-restricted-imports') && m.includes('core/ must not import electron'))).toBe(true);
  });

  it('core/ may not touch the DOM', async () => {
    const msgs = await ruleIds('export const el = document.body;\n', 'core/common/bad.ts');
    expect(msgs.some((m) => m.startsWith('no-restricted-globals'))).toBe(true);
  });

  it('renderer/ may not import Node modules', async () => {
    const msgs = await ruleIds("import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n", 'renderer/src/bad.ts');
    expect(msgs.some((m) => m.includes('renderer/ must not import Node modules'))).toBe(true);
    const fsMsgs = await ruleIds("import fs from 'fs';\nexport const r = fs;\n", 'renderer/src/bad.ts');
    expect(fsMsgs.some((m) => m.includes('renderer/ must not import Node modules'))).toBe(true);
  });

  it('renderer/ may import core/api but not the rest of core/', async () => {
    const bad = await ruleIds("import { makeEnv } from '../../core/envs/index.js';\nexport const m = makeEnv;\n", 'renderer/src/bad.ts');
    expect(bad.some((m) => m.includes('renderer/ may import only core/api/'))).toBe(true);
    const good = await ruleIds("import type { Channel } from '../../core/api/contract.js';\nexport type C = Channel;\n", 'renderer/src/good.ts');
    expect(good.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('the repository passes lint', async () => {
    const results = await eslint.lintFiles(['core', 'electron', 'renderer/src', 'test']);
    const errors = results.flatMap((r) =>
      r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`),
    );
    expect(errors).toEqual([]);
  }, 240_000);
});
