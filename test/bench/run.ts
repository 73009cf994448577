/**
 * `npm run bench`: every benchmark, one after another, printed as numbers and ratios to their targets.
 * Benchmarks are never tests: nothing here fails CI. `npm run bench -- envs store` runs a subset.
 * Each area lives in test/bench/<area>.ts and exports `bench()`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const AREAS = ['envs', 'common', 'store', 'folder', 'flood', 'cli', 'algos', 'apg', 'ddppo', 'ddppo-redis', 'app', 'compare', 'runs-table', 'lm', 'stats', 'datasets', 'gsde', 'lunar', 'mujoco', 'presets', 'rlhf', 'dpo', 'prefs', 'reward-model'] as const;
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((a) => !(AREAS as readonly string[]).includes(a));
if (unknown.length > 0) {
  console.error(`Unknown benchmark area(s): ${unknown.join(', ')}. Valid: ${AREAS.join(', ')}`);
  process.exit(2);
}

for (const area of AREAS) {
  if (wanted.length > 0 && !wanted.includes(area)) continue;
  const file = join(here, `${area}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n=== bench: ${area} ===`);
  const started = performance.now();
  const mod = (await import(pathToFileURL(file).href)) as { bench: () => Promise<void> };
  await mod.bench();
  console.log(`(${area}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
