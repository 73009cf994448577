/**
 * Schedules map training progress to a value (learning rate, clip range, entropy coefficient).
 * Progress is the fraction of the run done, in [0, 1]: 0 at the first update, 1 at the end.
 * CleanRL anneals PPO's learning rate as `frac = 1 − (update − 1) / numUpdates; lr = frac · lr0`;
 * `linear(lr0, 0)` at progress `(update − 1) / numUpdates` gives the same value.
 */
export type Schedule = (progress: number) => number;

export type ScheduleSpec =
  | { kind: 'constant'; value: number }
  | { kind: 'linear'; start: number; end: number };

function clampProgress(progress: number): number {
  if (Number.isNaN(progress)) throw new Error('schedule: progress is NaN');
  return progress < 0 ? 0 : progress > 1 ? 1 : progress;
}

/** The same value at every progress. */
export function constant(value: number): Schedule {
  if (!Number.isFinite(value)) throw new Error(`constant schedule: value must be finite, got ${value}`);
  return () => value;
}

/** Linear interpolation from `start` (progress 0) to `end` (progress 1); progress is clamped to [0, 1]. */
export function linear(start: number, end: number): Schedule {
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new Error(`linear schedule: start and end must be finite, got ${start} and ${end}`);
  }
  return (progress) => {
    const p = clampProgress(progress);
    return start + (end - start) * p;
  };
}

/** Builds a schedule from a JSON-serialisable spec (what configs store). */
export function makeSchedule(spec: ScheduleSpec): Schedule {
  switch (spec.kind) {
    case 'constant':
      return constant(spec.value);
    case 'linear':
      return linear(spec.start, spec.end);
    default:
      throw new Error(`unknown schedule kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * Progress of an update: `updateIndex` counts from 0, so the first update has progress 0 and the last
 * `(numUpdates − 1) / numUpdates` (never quite 1, as in CleanRL, so a linear-to-zero learning rate never hits 0).
 */
export function progressOf(updateIndex: number, numUpdates: number): number {
  if (!Number.isInteger(numUpdates) || numUpdates <= 0) throw new Error(`progressOf: numUpdates must be a positive integer, got ${numUpdates}`);
  return clampProgress(updateIndex / numUpdates);
}
