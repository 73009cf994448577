import { describe, expect, it } from 'vitest';
import { cohenKappa, type DatasetRowInfo } from '../../../core/api/datasets.js';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore } from '../../../core/store/datasets.js';
import { importRow, pendingPair, tempHome } from './fixtures.js';

const row = (i: number, labeller: string, label: DatasetRowInfo['label'], swap = false): DatasetRowInfo => {
  const [a, b] = swap ? [`y${i}`, `x${i}`] : [`x${i}`, `y${i}`];
  const chosen = label === 'a' ? a : label === 'b' ? b : null;
  const rejected = label === 'a' ? b : label === 'b' ? a : null;
  return { ...importRow(i), id: `${labeller}${i}`, prompt: `p${i}`, responseA: a, responseB: b, label, chosen, rejected, labeller, source: 'human' };
};

describe("Cohen's κ", () => {
  it('matches the hand computation, pairing rows across A/B order', () => {
    // Ann: x better on 0..5, y on 6..9. Bob sees 0..4 swapped (A/B order differs); he says x on 0..5 and 8, y on 6, 7, 9.
    const ann = Array.from({ length: 10 }, (_, i) => row(i, 'ann', i < 6 ? 'a' : 'b'));
    const bob = Array.from({ length: 10 }, (_, i) => {
      const xBetter = i < 8 ? i < 6 : i === 8;
      const swap = i < 5;
      return row(i, 'bob', xBetter !== swap ? 'a' : 'b', swap);
    });
    const k = cohenKappa([...ann, ...bob], 'ann', 'bob');
    // Agreement on 9 of 10; chance agreement from the marginals: ann x 6/10, bob x 7/10.
    const pe = 0.6 * 0.7 + 0.4 * 0.3;
    expect(k.overlap).toBe(10);
    expect(k.observed).toBeCloseTo(0.9, 12);
    expect(k.expected).toBeCloseTo(pe, 12);
    expect(k.kappa).toBeCloseTo((0.9 - pe) / (1 - pe), 12);
  });

  it('perfect agreement is 1, skips and unshared pairs are left out, no overlap is null', () => {
    const ann = [row(0, 'ann', 'a'), row(1, 'ann', 'b'), row(2, 'ann', 'tie'), row(3, 'ann', 'skip')];
    const bob = [row(0, 'bob', 'a'), row(1, 'bob', 'b'), row(2, 'bob', 'tie'), row(3, 'bob', 'a'), row(4, 'bob', 'a')];
    expect(cohenKappa([...ann, ...bob], 'ann', 'bob')).toMatchObject({ overlap: 3, observed: 1, kappa: 1 });
    expect(cohenKappa(ann, 'ann', 'bob')).toEqual({ overlap: 0, observed: 0, expected: 0, kappa: null });
  });
});

describe('requeue for a second labeller', () => {
  it("queues copies of one labeller's rows with ids .2 and the A/B order re-drawn, once", async () => {
    const runs = await RunStore.open(tempHome());
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'k' });
    await ds.addPending(id, Array.from({ length: 6 }, (_, i) => pendingPair(i)));
    for (let i = 0; i < 6; i++) await ds.label(id, { pairId: `p${i}`, label: 'a', labeller: 'ann', shownAt: null });
    expect(await ds.requeueForSecondLabeller(id, 'ann', 4)).toBe(4);
    const d = await ds.read(id);
    expect(d.pending.map((p) => p.id)).toEqual(['p0.2', 'p1.2', 'p2.2', 'p3.2']);
    const swapped = d.pending.map((p, i) => p.responseA !== d.rows[i]!.responseA);
    expect(swapped.some(Boolean) && !swapped.every(Boolean)).toBe(true);
    d.pending.forEach((p, i) => expect(p.samplingParams!.swapped).toBe(d.rows[i]!.samplingParams!.swapped !== swapped[i]));
    expect(await ds.requeueForSecondLabeller(id, 'ann', 10)).toBe(2);
    await runs.close();
  });
});
