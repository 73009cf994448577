/**
 * The compare/replay additions to the contract: metrics:query step ranges, episodes:list/get, rollout:start/stop,
 * validated like every channel (strict objects, bounded numbers, named fields) — hostile payloads included.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_CHANNELS, INVOKE_CHANNELS, isEventChannel } from '../../../core/api/contract.js';
import { LIMITS } from '../../../core/api/schemas.js';
import { validateRequest } from '../../../core/api/validate.js';

function parsed(channel: string, payload: unknown): unknown {
  const r = validateRequest(channel, payload);
  if (!r.ok) throw new Error(`expected ${channel} to accept ${JSON.stringify(payload)}: ${r.error.message}`);
  return r.value.request;
}

function rejected(channel: string, payload: unknown) {
  const r = validateRequest(channel, payload);
  if (r.ok) throw new Error(`expected ${channel} to reject ${JSON.stringify(payload)}`);
  expect(r.error.code).toBe('invalid_request');
  return r.error;
}

describe('compare and replay channels', () => {
  it('are part of the contract, with their events', () => {
    for (const ch of ['episodes:list', 'episodes:get', 'rollout:start', 'rollout:stop']) expect(INVOKE_CHANNELS).toContain(ch);
    expect(EVENT_CHANNELS).toEqual(expect.arrayContaining(['rollout:frame', 'rollout:end']));
    expect(isEventChannel('rollout:frame')).toBe(true);
  });

  it('metrics:query takes an optional step range (fractional bucket positions allowed)', () => {
    expect(parsed('metrics:query', { id: 'r1', keys: ['a/b'], maxPoints: 640, from: 10.5, to: 2_000 })).toEqual({
      id: 'r1',
      keys: ['a/b'],
      maxPoints: 640,
      from: 10.5,
      to: 2_000,
    });
    expect(parsed('metrics:query', { id: 'r1', from: 5 })).toEqual({ id: 'r1', maxPoints: 1000, from: 5 });
    expect(parsed('metrics:query', { id: 'r1', keys: [] })).toEqual({ id: 'r1', keys: [], maxPoints: 1000 });
    expect(rejected('metrics:query', { id: 'r1', from: 9, to: 3 }).issues?.[0]).toEqual({ path: 'to', message: 'must be ≥ from' });
    expect(rejected('metrics:query', { id: 'r1', from: -1 }).issues?.[0]?.path).toBe('from');
    expect(rejected('metrics:query', { id: 'r1', to: '100' }).issues?.[0]?.path).toBe('to');
    expect(rejected('metrics:query', { id: 'r1', from: Infinity }).message).toMatch(/finite number/);
    expect(rejected('metrics:query', { id: 'r1', maxPoints: LIMITS.maxPoints + 1 }).issues?.[0]?.path).toBe('maxPoints');
  });

  it('episodes:list and episodes:get take a run id and an integer step', () => {
    expect(parsed('episodes:list', { id: 'r1' })).toEqual({ id: 'r1' });
    expect(parsed('episodes:get', { id: 'r1', step: 4096 })).toEqual({ id: 'r1', step: 4096 });
    expect(rejected('episodes:get', { id: 'r1' }).issues?.[0]?.path).toBe('step');
    expect(rejected('episodes:get', { id: 'r1', step: 1.5 }).issues?.[0]?.path).toBe('step');
    expect(rejected('episodes:get', { id: 'r1', step: -2 }).issues?.[0]?.path).toBe('step');
    expect(rejected('episodes:get', { id: '../../etc', step: 1 }).issues?.[0]?.path).toBe('id');
    expect(rejected('episodes:get', { id: 'r1', step: 1, path: '/tmp/x.json' }).message).toMatch(/path/);
    expect(rejected('episodes:list', { id: 'a'.repeat(LIMITS.idLength + 1) }).issues?.[0]?.path).toBe('id');
  });

  it('rollout:start fills defaults and bounds seed, steps and pace', () => {
    expect(parsed('rollout:start', { id: 'r1', checkpointStep: 2048, seed: 7 })).toEqual({
      id: 'r1',
      checkpointStep: 2048,
      seed: 7,
      deterministic: true,
      realtime: true,
    });
    const full = { id: 'r1', checkpointStep: 0, seed: 0, deterministic: false, maxSteps: 10, fps: 12.5, realtime: false };
    expect(parsed('rollout:start', full)).toEqual(full);
    const bad: [Record<string, unknown>, string][] = [
      [{ seed: -1 }, 'seed'],
      [{ seed: 2 ** 31 }, 'seed'],
      [{ seed: 1.5 }, 'seed'],
      [{ checkpointStep: -1 }, 'checkpointStep'],
      [{ checkpointStep: 'latest' }, 'checkpointStep'],
      [{ maxSteps: 0 }, 'maxSteps'],
      [{ maxSteps: LIMITS.maxRolloutSteps + 1 }, 'maxSteps'],
      [{ fps: 0 }, 'fps'],
      [{ fps: LIMITS.maxRolloutFps + 1 }, 'fps'],
      [{ deterministic: 'yes' }, 'deterministic'],
      [{ realtime: 1 }, 'realtime'],
    ];
    for (const [patch, path] of bad) {
      expect(rejected('rollout:start', { id: 'r1', checkpointStep: 1, seed: 1, ...patch }).issues?.[0]?.path).toBe(path);
    }
    expect(rejected('rollout:start', { id: 'r1', checkpointStep: 1, seed: 1, runDir: '/' }).message).toMatch(/runDir/);
    expect(rejected('rollout:start', { id: 'r1', checkpointStep: 1 }).issues?.[0]?.path).toBe('seed');
  });

  it('rollout:stop takes only a well-formed rollout id', () => {
    expect(parsed('rollout:stop', { rolloutId: 'ro-abc_1' })).toEqual({ rolloutId: 'ro-abc_1' });
    for (const rolloutId of ['', 'ro 1', 'ro/../x', 'x'.repeat(LIMITS.idLength + 1), 42, null]) {
      expect(rejected('rollout:stop', { rolloutId }).issues?.[0]?.path).toBe('rolloutId');
    }
    expect(rejected('rollout:stop', {}).issues?.[0]?.path).toBe('rolloutId');
    expect(rejected('rollout:stop', JSON.parse('{"rolloutId":"ro-1","__proto__":{"x":1}}')).message).toMatch(/__proto__/);
  });
});
