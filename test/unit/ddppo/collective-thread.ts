/** Test fixture thread: all-reduces a rank-specific vector over the local collective and posts what it got. */
import { parentPort, workerData } from 'node:worker_threads';
import { LocalCollective } from '../../../core/collective/local.js';

const { shared, rank, worldSize, vector, rounds } = workerData as { shared: SharedArrayBuffer; rank: number; worldSize: number; vector: number[]; rounds: number };
const coll = new LocalCollective(shared, rank, worldSize);
const out: number[][] = [];
for (let r = 0; r < rounds; r++) {
  const x = Float32Array.from(vector, (v) => v * (r + 1));
  await coll.allReduceMean(x);
  out.push([...x]);
  await coll.counterAdd(1);
  await coll.barrier();
}
parentPort!.postMessage({ out, counter: await coll.counterGet() });
