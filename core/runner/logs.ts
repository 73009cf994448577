/**
 * Per-run log: runs/<id>/logs.jsonl, one `{time, stream, text}` per line, written only by the RunManager
 * (worker stdout/stderr, `log` events from training, and the manager's own lifecycle lines).
 * Appends are serialised per run; every line is also pushed to subscribers as a `run:log` event.
 */
import { appendFile, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine } from '../api/contract.js';

export const LOG_FILE = 'logs.jsonl';
const MAX_LINE = 4_000;
/** Most bytes read from the end of the file to answer a tail request. */
const TAIL_BYTES = 1 << 20;

export class RunLogs {
  readonly #chains = new Map<string, Promise<void>>();

  constructor(
    private readonly runDir: (id: string) => string,
    private readonly onLines: (id: string, lines: LogLine[]) => void,
  ) {}

  append(id: string, stream: LogLine['stream'], text: string): void {
    const line: LogLine = { time: new Date().toISOString(), stream, text: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text };
    this.onLines(id, [line]);
    const file = join(this.runDir(id), LOG_FILE);
    const prev = this.#chains.get(id) ?? Promise.resolve();
    const next = prev.then(() => appendFile(file, `${JSON.stringify(line)}\n`)).catch(() => {
      // The run folder is gone (deleted); the line was still delivered live.
    });
    this.#chains.set(id, next);
  }

  /** The last `limit` lines (from at most the last 1 MiB of the file). */
  async tail(id: string, limit: number): Promise<LogLine[]> {
    await this.#chains.get(id);
    const file = join(this.runDir(id), LOG_FILE);
    const size = await stat(file).then((s) => s.size, () => 0);
    if (size === 0) return [];
    const start = Math.max(0, size - TAIL_BYTES);
    const fh = await open(file, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = text.split('\n');
    if (start > 0) lines.shift(); // partial first line
    const out: LogLine[] = [];
    for (const l of lines) {
      if (!l) continue;
      try {
        out.push(JSON.parse(l) as LogLine);
      } catch {
        /* torn line */
      }
    }
    return out.slice(-limit);
  }

  async close(id: string): Promise<void> {
    await this.#chains.get(id);
    this.#chains.delete(id);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
    this.#chains.clear();
  }
}
