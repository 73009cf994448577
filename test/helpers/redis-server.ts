/**
 * A private redis-server for one test file: Debian's `redis-server` on a free loopback port, no persistence
 * (`--save '' --appendonly no`), its working folder a temp dir; stop() kills it and removes the folder. restart()
 * kills it and starts a new one on the same port (an empty server: what a Redis restart without persistence is).
 *
 * startRedis() resolves to `{ skip: reason }` when the binary is missing or the server will not start, so a test
 * file can `describe.skipIf(...)` with the reason printed (the project's tests skip only for a visible reason).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: no goodbye to its clients) and starts an empty one on the same port. */
  restart(): Promise<void>;
  /** Kills the server without starting another. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** The redis-server binary: REDIS_SERVER, /usr/bin/redis-server, or one on PATH. */
export function findRedisServer(): string | null {
  const env = process.env.REDIS_SERVER;
  if (env) return existsSync(env) ? env : null;
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.connect(port, '127.0.0.1');
  });
}

async function launch(bin: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${output.trim().slice(-500)}`);
    if (await canConnect(port)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not accept connections on 127.0.0.1:${port} within 10 s: ${output.trim().slice(-500)}`);
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startRedis(): Promise<RedisServer | { skip: string }> {
  const bin = findRedisServer();
  if (!bin) return { skip: 'redis-server not found (Debian: apt-get install redis-server; or set REDIS_SERVER)' };
  const dir = mkdtempSync(join(tmpdir(), 'policylab-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = await launch(bin, port, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `redis-server could not be started: ${(e as Error).message}` };
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await killed(child);
      child = await launch(bin, port, dir);
    },
    async kill() {
      await killed(child);
    },
    async stop() {
      await killed(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For describe.skipIf: warns with the reason once, returns whether to skip. */
export function skipWithReason(r: RedisServer | { skip: string }, what: string): r is { skip: string } {
  if ('skip' in r) {
    console.warn(`[skipped] ${what}: ${r.skip}`);
    return true;
  }
  return false;
}
