/** The fair scheduler: round-robin between connections, input paused on a full queue, output caps. */
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { FairScheduler, HARD_REPLY_BYTES, MAX_PENDING, PER_CONNECTION, SOFT_REPLY_BYTES } from '../../../core/host/fair-scheduler.js';

function fakeWs() {
  const ws = {
    bufferedAmount: 0,
    pausedCalls: 0,
    resumedCalls: 0,
    closed: null as null | { code: number; reason: string },
    pause() {
      this.pausedCalls++;
    },
    resume() {
      this.resumedCalls++;
    },
    close(code: number, reason: string) {
      this.closed = { code, reason };
    },
    terminate() {},
  };
  return ws as typeof ws & WebSocket;
}

/** A job that records when it starts and finishes when the test says so. */
function controlled(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { job: () => (log.push(name), done), finish };
}

describe('FairScheduler', () => {
  it('serves a second connection right after the flooder\'s running requests, not after its backlog', async () => {
    const s = new FairScheduler();
    const flood = fakeWs();
    const other = fakeWs();
    s.add(flood);
    s.add(other);
    const started: string[] = [];
    const floodJobs = Array.from({ length: 50 }, (_, i) => controlled(started, `f${i}`));
    for (const j of floodJobs) s.enqueue(flood, j.job);
    expect(started).toEqual(['f0', 'f1', 'f2', 'f3'].slice(0, PER_CONNECTION));
    const mine = controlled(started, 'other');
    s.enqueue(other, mine.job);
    expect(started.at(-1)).toBe('other'); // started at once: the flooder's queue does not stand in front of it
    // Finishing flood jobs lets more flood jobs start, alternating fairly with any other connection's work.
    floodJobs[0]!.finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(started.filter((n) => n.startsWith('f'))).toHaveLength(PER_CONNECTION + 1);
  });

  it('pauses a connection whose queue is full and resumes it when drained to half', async () => {
    const s = new FairScheduler();
    const ws = fakeWs();
    s.add(ws);
    const jobs = Array.from({ length: MAX_PENDING + PER_CONNECTION }, () => controlled([], 'j'));
    for (const j of jobs) s.enqueue(ws, j.job);
    expect(ws.pausedCalls).toBe(1);
    expect(s.stats()[0]).toMatchObject({ pending: MAX_PENDING, inFlight: PER_CONNECTION, paused: true });
    for (const j of jobs) {
      j.finish();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(ws.resumedCalls).toBe(1);
    expect(s.stats()[0]).toMatchObject({ pending: 0, inFlight: 0, paused: false });
  });

  it('holds back a connection that does not read its replies, and closes it past the hard cap with the reason', () => {
    const s = new FairScheduler();
    const ws = fakeWs();
    s.add(ws);
    ws.bufferedAmount = SOFT_REPLY_BYTES + 1;
    s.checkOutput(ws);
    expect(ws.pausedCalls).toBe(1);
    const started: string[] = [];
    s.enqueue(ws, controlled(started, 'held').job);
    expect(started).toEqual([]); // not started while its replies pile up
    ws.bufferedAmount = HARD_REPLY_BYTES + 1;
    s.checkOutput(ws);
    expect(ws.closed).toEqual({ code: 1008, reason: expect.stringMatching(/MB of replies unread: the client is not reading/) });
    expect(s.stats()).toEqual([]);
  });
});
