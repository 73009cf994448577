/** The fair scheduler's turns: round-robin between tenants, a budget per turn, yielding to the event loop between turns. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, FairScheduler, resolveLimits, type Tenant } from '../../../core/host/fair-scheduler.js';

/** A tenant with `n` queued requests named `<name>1…`, each started into `log` (no concurrency cap). */
function tenant(name: string, n: number, log: string[]): Tenant & { left: number } {
  let started = 0;
  return {
    get left() {
      return n - started;
    },
    startNext() {
      if (started >= n) return false;
      log.push(`${name}${++started}`);
      return true;
    },
  };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('FairScheduler', () => {
  it('starts nothing synchronously: a wake asks for a turn after the event loop has polled', async () => {
    const log: string[] = [];
    const s = new FairScheduler(10);
    s.add(tenant('a', 3, log));
    s.wake();
    s.wake();
    expect(log).toEqual([]);
    await nextTurn();
    expect(log).toEqual(['a1', 'a2', 'a3']);
    expect(s.turns).toBe(1); // two wakes before the turn made one turn
  });

  it('alternates between tenants, one request each per pass, whatever their backlogs', async () => {
    const log: string[] = [];
    const s = new FairScheduler(7);
    s.add(tenant('f', 1000, log));
    s.add(tenant('s', 3, log));
    s.add(tenant('t', 1, log));
    s.wake();
    await nextTurn();
    expect(log).toEqual(['f1', 's1', 't1', 'f2', 's2', 'f3', 's3']);
  });

  it('spends at most its budget per turn and continues in the next turn where it stopped', async () => {
    const log: string[] = [];
    const s = new FairScheduler(3);
    const a = tenant('a', 4, log);
    s.add(a);
    s.add(tenant('b', 4, log));
    s.wake();
    await nextTurn();
    expect(log).toEqual(['a1', 'b1', 'a2']);
    // A tenant that arrives between turns gets its turn at once in the next one, not after the others' backlogs.
    s.add(tenant('c', 1, log));
    await nextTurn();
    expect(log.slice(3)).toEqual(['b2', 'c1', 'a3']);
    await nextTurn();
    expect(log.slice(6)).toEqual(['b3', 'a4', 'b4']);
    await nextTurn();
    expect(log).toHaveLength(9);
    expect(a.left).toBe(0);
  });

  it('forgets a removed tenant and keeps the rotation of the others', async () => {
    const log: string[] = [];
    const s = new FairScheduler(4);
    const a = tenant('a', 10, log);
    const b = tenant('b', 10, log);
    s.add(a);
    s.add(b);
    s.add(tenant('c', 10, log));
    s.wake();
    await nextTurn();
    expect(log).toEqual(['a1', 'b1', 'c1', 'a2']);
    s.remove(b);
    s.remove(b);
    s.wake();
    await nextTurn();
    expect(log.slice(4)).toEqual(['c2', 'a3', 'c3', 'a4']);
  });
});

describe('resolveLimits', () => {
  it('fills the defaults and refuses unknown or non-positive limits, naming them', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxInFlight: 2 })).toEqual({ ...DEFAULT_LIMITS, maxInFlight: 2 });
    expect(() => resolveLimits({ maxUnsentBytes: 1.5 })).toThrow('limits.maxUnsentBytes must be a positive integer, got 1.5');
    expect(() => resolveLimits({ bogus: 1 } as never)).toThrow(/limits\.bogus is not a server limit/);
  });
});
