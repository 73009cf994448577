/**
 * `npm test`: every suite CI runs, in one vitest invocation (unit, integration, e2e),
 * after making sure what the e2e suite needs is present. Ends with one line
 * `N passed, N failed, N skipped` summing all suites (CI reads it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium } from './helpers/chromium.js';

function ensureChromium(): void {
  if (findChromium()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (process.env.POLICYLAB_NO_APT !== '1' && isRoot && hasApt) {
    console.log('[test] Chromium not found: installing Debian\'s chromium (apt-get install -y chromium)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (r.status === 0 && findChromium()) return;
  }
  console.error(
    '[test] The end-to-end suite needs Chromium and none was found.\n' +
      '       Install it (Debian/Ubuntu: `sudo apt-get install -y chromium`) or set CHROMIUM_PATH=/path/to/chromium, then run `npm test` again.',
  );
  console.log('0 passed, 1 failed');
  process.exit(1);
}

ensureChromium();

const outDir = mkdtempSync(join(tmpdir(), 'policylab-test-'));
const report = join(outDir, 'report.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { status: string; assertionResults: unknown[] }[];
  };
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  skipped = json.numPendingTests + json.numTodoTests;
  // A test file that failed to load has no assertions but must count as a failure.
  failed += json.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
} else {
  failed = 1;
}
rmSync(outDir, { recursive: true, force: true });
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || run.status !== 0 ? 1 : 0);
