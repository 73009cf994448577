/**
 * Browser mode's fairness under load: the server runs in its own process (`npm run serve`'s command); one client
 * floods it with ~10,000 requests/s while another sends one request every 50 ms. Printed: the second client's
 * latency p50/p99/max without and with the flood (target: the flood adds ≤ 100 ms), and the server's RSS growth
 * while a client that never reads its replies sends 6,000 requests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'bench-flood-token-0123456789';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function connect(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`, { origin: `http://127.0.0.1:${port}` });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

async function probeLatency(ws: WebSocket, ms: number): Promise<number[]> {
  const lat: number[] = [];
  const sent = new Map<number, number>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { type: string; id: number };
    const t = sent.get(m.id);
    if (m.type === 'result' && t !== undefined) lat.push(performance.now() - t);
  });
  const end = performance.now() + ms;
  for (let id = 1; performance.now() < end; id++) {
    sent.set(id, performance.now());
    ws.send(JSON.stringify({ id, channel: 'runs:list' }));
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  ws.removeAllListeners('message');
  return lat.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const line = (what: string, xs: number[]) =>
  `flood: ${what}: p50 ${q(xs, 0.5).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${(xs.at(-1) ?? NaN).toFixed(1)} ms (${xs.length} requests)`;

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-flood-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(process.execPath, [join(REPO, 'bin/policylab.mjs'), 'serve', '--port', String(port), '--token', TOKEN, '--home', home], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve) => server.stdout!.on('data', (d: Buffer) => /serving at/.test(d.toString()) && resolve()));
    const quiet = await probeLatency(await connect(port), 3000);
    console.log(line('second client alone', quiet));

    const flooder = await connect(port);
    let replies = 0;
    flooder.on('message', () => replies++);
    let sentFlood = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 10; i++) flooder.send(JSON.stringify({ id: ++sentFlood, channel: 'runs:list' }));
    }, 1);
    const t0 = performance.now();
    const loaded = await probeLatency(await connect(port), 5000);
    clearInterval(flood);
    const rate = sentFlood / ((performance.now() - t0) / 1000);
    console.log(line(`second client while another sends ${Math.round(rate).toLocaleString('en-US')} requests/s`, loaded));
    console.log(`flood: added p99 latency ${(q(loaded, 0.99) - q(quiet, 0.99)).toFixed(1)} ms (target ≤ 100 ms); the flooder got ${replies.toLocaleString('en-US')} replies`);
    flooder.terminate();

    const before = rssMb(server.pid!);
    const hog = await connect(port);
    hog.pause();
    let closed = '';
    hog.on('close', (code, reason) => (closed = ` (closed by the server: ${code} ${reason.toString()})`));
    for (let i = 0; i < 6000; i++) hog.send(JSON.stringify({ id: i, channel: 'runs:list' }));
    await new Promise((r) => setTimeout(r, 3000));
    console.log(`flood: server RSS ${before.toFixed(0)} → ${rssMb(server.pid!).toFixed(0)} MB while a non-reading client sent 6,000 requests to an empty data folder${closed}; the issue measured +190 MB per 6,000 requests before backpressure, on a folder with runs`);
    hog.terminate();
  } finally {
    server.kill('SIGINT');
    await new Promise((r) => server.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}
