/** Download names of exported replay media (pure: no DOM, so Node's unit tests import it). */

/** `<run>-step<step>-seed<seed>.<ext>`, with characters file systems dislike replaced. */
export function mediaFileName(runId: string, step: number | null, seed: number, ext: 'gif' | 'webm'): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'run';
  return `${safe(runId)}${step === null ? '' : `-step${step}`}-seed${seed}.${ext}`;
}
