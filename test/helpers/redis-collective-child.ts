/**
 * One rank of a RedisCollective as its own process (test/integration/ddppo/redis-collective.test.ts starts several,
 * standing in for machines). Argument: a JSON job. Rank 0 publishes the spec; the others fetch it. Each round
 * all-reduces this rank's vector for that round (a long one, then a short one: the lengths vary per operation as
 * gradients and statistics do), adds 1 to the counter and passes a barrier. Prints one JSON line: every reduced
 * vector (as numbers), every counterAdd result and the final counter. A failure prints `error: <message>` on
 * stderr and exits 1.
 */
import { RedisCollective } from '../../core/collective/redis.js';

interface Job {
  url: string;
  runKey: string;
  rank: number;
  worldSize: number;
  timeoutMs: number;
  rounds: number;
  length: number;
  /** Pause this long between rounds (gives a test time to restart Redis mid-run). */
  pauseMs?: number;
  /** Pause this long after joining, before the first round (a rank that dies after joining, in a test). */
  startDelayMs?: number;
}

/** The vector rank r contributes in round k (what the test recomputes): deterministic, not round numbers. */
export function contribution(rank: number, round: number, length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(1 + rank * 7.1 + round * 3.3 + i * 0.37) * (1 + rank));
}

async function main(job: Job): Promise<void> {
  const coll = await RedisCollective.connect({ url: job.url, runKey: job.runKey, rank: job.rank, worldSize: job.rank === 0 ? job.worldSize : undefined, timeoutMs: job.timeoutMs });
  try {
    if (job.rank === 0) await coll.publishSpec({ rounds: job.rounds, length: job.length });
    const spec = job.rank === 0 ? { rounds: job.rounds, length: job.length } : ((await coll.fetchSpec()) as { rounds: number; length: number });
    if (job.startDelayMs) await new Promise((r) => setTimeout(r, job.startDelayMs));
    const reduced: number[][] = [];
    const adds: number[] = [];
    for (let k = 0; k < spec.rounds; k++) {
      const x = contribution(coll.rank, k, spec.length);
      await coll.allReduceMean(x);
      reduced.push([...x]);
      const s = contribution(coll.rank, k + 1000, 3);
      await coll.allReduceMean(s);
      reduced.push([...s]);
      adds.push(await coll.counterAdd(1));
      await coll.barrier();
      if (job.pauseMs) await new Promise((r) => setTimeout(r, job.pauseMs));
    }
    await coll.barrier();
    const counter = await coll.counterGet();
    // Written before the process exits (stdout is a pipe: asynchronous).
    await new Promise<void>((r) => process.stdout.write(`${JSON.stringify({ rank: coll.rank, worldSize: coll.worldSize, reduced, adds, counter })}\n`, () => r()));
  } finally {
    await coll.close();
  }
}

if (process.argv[2]) {
  main(JSON.parse(process.argv[2]) as Job).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
