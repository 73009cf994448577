/**
 * "Generate pairs from this policy" (iterated preference collection): the sample viewer and a run's Overview leave the
 * policy checkpoint here and go to the Datasets page; the next pair-generation form that opens (a dataset's Label
 * tab) starts with that run and step chosen, and takes it once.
 */
export interface GenerateIntent {
  runId: string;
  /** null: the run's latest checkpoint. */
  step: number | null;
}

let pending: GenerateIntent | null = null;

export function requestPairsFrom(intent: GenerateIntent): void {
  pending = { ...intent };
}

/** The policy to generate from, once (null when none was asked for). */
export function takeGenerateIntent(): GenerateIntent | null {
  const intent = pending;
  pending = null;
  return intent;
}

/** Whether a policy is waiting to be picked up (the Datasets page says so). */
export function peekGenerateIntent(): GenerateIntent | null {
  return pending;
}
