/**
 * Stable-Baselines3's `monitor.csv` (its Monitor wrapper): line 1 is `#` + a JSON header
 * (`{"t_start": <unix seconds>, "env_id": "<id>"}`), line 2 the CSV header with at least `r,l,t` (episode return,
 * episode length in steps, seconds since t_start), then one line per finished episode. Errors name the line (from 1).
 */
import { ImportError } from './errors.js';

export interface MonitorEpisode {
  /** Env steps when the episode ended: the running sum of the lengths (the Monitor wraps one env). */
  step: number;
  wallTime: number;
  return: number;
  length: number;
}

export interface MonitorFile {
  envId: string | null;
  tStart: number;
  episodes: MonitorEpisode[];
}

export function parseMonitorCsv(text: string, name: string): MonitorFile {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const first = lines[0] ?? '';
  if (!first.startsWith('#')) throw new ImportError(`${name}: line 1: expected "#" and a JSON header ({"t_start": …, "env_id": …}), got ${JSON.stringify(first.slice(0, 60))}`, name);
  let header: unknown;
  try {
    header = JSON.parse(first.slice(1));
  } catch (e) {
    throw new ImportError(`${name}: line 1: the header is not JSON (${e instanceof Error ? e.message : String(e)})`, name);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ImportError(`${name}: line 1: the header must be a JSON object`, name);
  const h = header as Record<string, unknown>;
  const tStart = h.t_start;
  if (typeof tStart !== 'number' || !Number.isFinite(tStart)) throw new ImportError(`${name}: line 1: t_start must be a number (unix seconds), got ${JSON.stringify(tStart)}`, name);
  const envId = typeof h.env_id === 'string' && h.env_id !== '' && h.env_id !== 'None' ? h.env_id : null;
  const columns = (lines[1] ?? '').split(',').map((c) => c.trim());
  const col = (c: string) => columns.indexOf(c);
  const [ir, il, it] = [col('r'), col('l'), col('t')];
  if (ir < 0 || il < 0 || it < 0) throw new ImportError(`${name}: line 2: expected a CSV header with columns r, l, t, got ${JSON.stringify(lines[1] ?? '')}`, name);
  const episodes: MonitorEpisode[] = [];
  let step = 0;
  for (let i = 2; i < lines.length; i++) {
    const lineNo = i + 1;
    const cells = lines[i]!.split(',');
    if (cells.length !== columns.length) throw new ImportError(`${name}: line ${lineNo}: ${cells.length} fields, the header has ${columns.length}`, name);
    const num = (j: number, what: string) => {
      const raw = cells[j]!.trim();
      const v = raw === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(v)) throw new ImportError(`${name}: line ${lineNo}: ${what} is not a finite number (${JSON.stringify(raw)})`, name);
      return v;
    };
    const r = num(ir, 'r (episode return)');
    const l = num(il, 'l (episode length)');
    const t = num(it, 't (seconds since t_start)');
    if (!Number.isInteger(l) || l < 1) throw new ImportError(`${name}: line ${lineNo}: l (episode length) must be a whole number ≥ 1, got ${l}`, name);
    step += l;
    episodes.push({ step, wallTime: tStart + t, return: r, length: l });
  }
  if (episodes.length === 0) throw new ImportError(`${name}: no episodes (only the header lines)`, name);
  return { envId, tStart, episodes };
}
