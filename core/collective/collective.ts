/**
 * The collective DD-PPO's workers share (Wijmans et al., 2020; habitat-lab's `torch.distributed` use reduced to
 * what the algorithm needs): a rank and a world size, one shared integer counter (habitat-lab's `num_done`),
 * an all-reduce that averages a Float32Array over every rank, and a barrier.
 *
 * Every rank computes the mean by summing the ranks' vectors in rank order, in float32, then dividing by the world
 * size: each rank gets the same bits, so replicas that apply the same update stay bit-identical.
 */
export interface Collective {
  readonly rank: number;
  readonly worldSize: number;
  /** Adds `delta` to the shared counter; returns the value after the add. */
  counterAdd(delta: number): Promise<number>;
  counterGet(): Promise<number>;
  counterSet(value: number): Promise<void>;
  /**
   * The latest counter value this rank knows, without I/O (the collector's per-step preemption test is synchronous).
   * Local: the shared memory itself. Redis: a background watcher's last read, never older than this rank's own last
   * counterAdd / counterGet / counterSet. May lag the true value (a preemption a little late), never run ahead of it.
   */
  counterPeek(): number;
  /** Replaces `x` (same length on every rank) with the element-wise mean over all ranks. */
  allReduceMean(x: Float32Array): Promise<void>;
  barrier(): Promise<void>;
}

/** The mean over ranks in rank order (the one summation order every transport uses). */
export function meanInRankOrder(vectors: readonly Float32Array[], out: Float32Array): void {
  const n = out.length;
  for (const v of vectors) if (v.length !== n) throw new Error(`allReduceMean: vectors of length ${v.length} and ${n}`);
  const acc = new Float32Array(n);
  for (const v of vectors) for (let i = 0; i < n; i++) acc[i] += v[i];
  const w = vectors.length;
  for (let i = 0; i < n; i++) out[i] = acc[i] / w;
}
