/**
 * Browser mode keeps its port and token across restarts (issue 11): saved owner-only (0600) in the data folder,
 * reused by the next start, rotated by `newToken` or when the file is readable by others; a damaged file is moved
 * aside; a saved port another program holds gives way to a free one (an explicit port does not).
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiBackend } from '../../../core/api/contract.js';
import { startServer, type RunningServer } from '../../../core/host/server.js';
import { loadSession, SESSION_FILE } from '../../../core/host/session.js';

const homes: string[] = [];
const servers: RunningServer[] = [];
function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'policylab-session-'));
  homes.push(dir);
  return dir;
}
// The HTTP layer never calls the back end in these tests; a static folder that exists is enough.
const backend = {} as ApiBackend;
async function start(dir: string, extra: { port?: number; token?: string; newToken?: boolean } = {}): Promise<RunningServer> {
  const { newToken, ...rest } = extra;
  const s = await startServer({ backend, staticDir: dir, session: { home: dir, newToken }, ...rest });
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of homes.splice(0)) rmSync(d, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

describe('browser session', () => {
  it('is saved owner-only and reused: same port, same token after a restart', async () => {
    const dir = home();
    const first = await start(dir);
    const file = join(dir, SESSION_FILE);
    expect(first.sessionFile).toBe(file);
    if (posix) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, port: first.port, token: first.token });
    await first.close();
    const second = await start(dir);
    expect(second.port).toBe(first.port);
    expect(second.token).toBe(first.token);
    expect(second.url).toBe(first.url);
    expect(second.notes).toEqual([]);
    // The token is still enforced.
    expect((await fetch(`http://127.0.0.1:${second.port}/`)).status).toBe(401);
    // No temp files left beside it.
    expect(readdirSync(dir).filter((f) => f.includes(SESSION_FILE))).toEqual([SESSION_FILE]);
  });

  it('rotates the token on newToken, keeping the port', async () => {
    const dir = home();
    const first = await start(dir);
    await first.close();
    const second = await start(dir, { newToken: true });
    expect(second.port).toBe(first.port);
    expect(second.token).not.toBe(first.token);
    expect(second.notes.join('\n')).toMatch(/new access token/);
    expect(JSON.parse(readFileSync(join(dir, SESSION_FILE), 'utf8')).token).toBe(second.token);
  });

  it.skipIf(!posix)('treats a file readable by others as leaked: new token, file back to 0600', async () => {
    const dir = home();
    const first = await start(dir);
    await first.close();
    chmodSync(join(dir, SESSION_FILE), 0o644);
    const second = await start(dir);
    expect(second.token).not.toBe(first.token);
    expect(second.notes.join('\n')).toMatch(/readable by other users \(mode 644\).*rotated/);
    expect(statSync(join(dir, SESSION_FILE)).mode & 0o777).toBe(0o600);
  });

  it('moves a damaged file aside and starts a new session', async () => {
    const dir = home();
    writeFileSync(join(dir, SESSION_FILE), '{"version":1,"port":"eighty"}', { mode: 0o600 });
    const s = await start(dir);
    expect(s.notes.join('\n')).toMatch(/not a valid session \(port: .*\); moved it to .*damaged/);
    expect(readdirSync(dir).some((f) => f.startsWith(`${SESSION_FILE}.damaged-`))).toBe(true);
    expect((await loadSession(dir)).saved).toEqual({ version: 1, port: s.port, token: s.token });
  });

  it('gives a taken saved port way to a free one, but never an explicit one', async () => {
    const dir = home();
    const first = await start(dir);
    await first.close();
    const squatter = createServer();
    await new Promise<void>((ok) => squatter.listen(first.port, '127.0.0.1', ok));
    try {
      const second = await start(dir);
      expect(second.port).not.toBe(first.port);
      expect(second.token).toBe(first.token);
      expect(second.notes.join('\n')).toMatch(new RegExp(`port ${first.port} .* is in use`));
      await second.close();
      await expect(start(dir, { port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((ok) => squatter.close(() => ok()));
    }
  });

  it('refuses a bad explicit token before saving anything', async () => {
    const dir = home();
    await expect(start(dir, { token: 'short' })).rejects.toThrow(/token must be 16-128 characters/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
