/**
 * Writes the shipped task files to resources/tasks/ (see core/tasks/generate.ts for what each holds).
 *   npx tsx scripts/gen-tasks.ts [--seed N] [--out DIR]
 * The committed files come from the default seed; test/unit/tasks/generate.test.ts checks they still match.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TASK_SEED, generateTaskFiles } from '../core/tasks/generate.js';

const args = process.argv.slice(2);
function flag(name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
const seedText = flag('--seed');
const seed = seedText === undefined ? DEFAULT_TASK_SEED : Number(seedText);
if (!Number.isInteger(seed) || seed < 0) {
  console.error(`--seed must be a non-negative integer, got ${JSON.stringify(seedText)}`);
  process.exit(2);
}
const out = resolve(flag('--out') ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'tasks'));
let total = 0;
for (const f of generateTaskFiles(seed)) {
  const path = join(out, f.path);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, f.text);
  total += Buffer.byteLength(f.text);
  console.log(`${f.path}  ${Buffer.byteLength(f.text)} bytes`);
}
console.log(`wrote ${total} bytes to ${out} (seed ${seed})`);
