/**
 * The run page's filmstrip of recorded evaluation episodes: which steps get a thumbnail, which frame stands for an
 * episode, and the hand-over of a clicked step to the Replay tab (which selects that episode when it opens).
 */

/** Most thumbnails the strip shows; a longer run shows this many, evenly spaced, always with its first and last. */
export const MAX_FILMSTRIP = 48;

/** `max` entries of `steps` (sorted ascending), evenly spaced, first and last kept; all of them when they fit. */
export function pickFilmstripSteps(steps: readonly number[], max = MAX_FILMSTRIP): number[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`filmstrip size must be an integer >= 1, got ${String(max)}`);
  if (steps.length <= max) return [...steps];
  if (max === 1) return [steps[steps.length - 1]!];
  const picked = new Set<number>();
  for (let k = 0; k < max; k++) picked.add(Math.round((k * (steps.length - 1)) / (max - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => steps[i]!);
}

/** The frame a thumbnail shows: the middle state of the episode (the reset state says little about a policy). */
export function representativeFrame(stateCount: number): number {
  if (!Number.isInteger(stateCount) || stateCount < 1) throw new RangeError(`an episode needs at least one state, got ${String(stateCount)}`);
  return Math.floor((stateCount - 1) / 2);
}

let pending: { runId: string; step: number } | null = null;

/** Asks the Replay tab of `runId`, when it next lists its episodes, to select the one recorded at `step`. */
export function requestReplay(runId: string, step: number): void {
  pending = { runId, step };
}

/** The step asked for on `runId` (once: it is cleared), or null. */
export function takeReplayRequest(runId: string): number | null {
  if (!pending || pending.runId !== runId) return null;
  const { step } = pending;
  pending = null;
  return step;
}
