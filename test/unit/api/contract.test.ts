import { describe, expect, it } from 'vitest';
import { ApiFailure, INVOKE_CHANNELS, type Handlers } from '../../../core/api/contract.js';
import { checkStructure, dispatch, validateRequest } from '../../../core/api/validate.js';
import { LIMITS, requestSchemas } from '../../../core/api/schemas.js';

function rejects(channel: unknown, payload: unknown) {
  const r = validateRequest(channel, payload);
  expect(r.ok).toBe(false);
  if (r.ok) throw new Error('unreachable');
  return r.error;
}

const start = { algo: 'ppo', env: 'CartPole-v1', seeds: [1] };

describe('contract channels', () => {
  it('has a request schema for exactly the contract channels', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...INVOKE_CHANNELS].sort());
  });

  it('accepts well-formed requests and fills defaults', () => {
    const r = validateRequest('runs:start', start);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.request).toEqual({ ...start, config: {} });
    const q = validateRequest('metrics:query', { id: 'abc-1' });
    expect(q.ok && q.value.request).toEqual({ id: 'abc-1', maxPoints: 1000 });
    expect(validateRequest('runs:list', undefined).ok).toBe(true);
    expect(validateRequest('system:info', {}).ok).toBe(true);
    expect(validateRequest('system:info', { waitForScan: true }).ok).toBe(true);
    expect(validateRequest('system:info', { waitForScan: 'yes' }).ok).toBe(false);
    expect(validateRequest('system:info', { wait: true }).ok).toBe(false);
  });

  it('rejects unknown channels, including prototype names', () => {
    for (const ch of ['runs:explode', '__proto__', 'constructor', 'toString', '', 42, null, { channel: 'runs:list' }]) {
      const e = rejects(ch, {});
      expect(e.code).toBe('unknown_channel');
      expect(e.message).toMatch(/^unknown channel/);
    }
  });
});

describe('hostile payloads', () => {
  it('rejects wrong types with the field named', () => {
    const e = rejects('runs:get', { id: 42 });
    expect(e.code).toBe('invalid_request');
    expect(e.issues?.[0]?.path).toBe('id');
    expect(e.message).toMatch(/^runs:get: id /);
    expect(rejects('runs:start', { ...start, seeds: ['1'] }).issues?.[0]?.path).toBe('seeds[0]');
    expect(rejects('runs:start', { ...start, seeds: [] }).message).toMatch(/seeds needs at least one seed/);
    expect(rejects('runs:start', { ...start, seeds: [1.5] }).issues?.[0]?.path).toBe('seeds[0]');
    expect(rejects('runs:list', 'all').code).toBe('invalid_request');
    expect(rejects('runs:list', [1, 2]).code).toBe('invalid_request');
  });

  it('rejects unknown keys (strict objects)', () => {
    const e = rejects('runs:stop', { id: 'a', force: true });
    expect(e.message).toMatch(/force/);
  });

  it('rejects huge strings and oversized collections before parsing', () => {
    const big = 'x'.repeat(LIMITS.stringLength + 1);
    expect(rejects('runs:update', { id: 'a', notes: big }).message).toMatch(/string is too long/);
    expect(rejects('runs:update', { id: 'a', name: 'n'.repeat(LIMITS.nameLength + 1) }).issues?.[0]?.path).toBe('name');
    const manyKeys = Object.fromEntries(Array.from({ length: LIMITS.entries + 1 }, (_, i) => [`k${i}`, 1]));
    expect(rejects('runs:start', { ...start, config: manyKeys }).message).toMatch(/too many keys/);
    expect(rejects('runs:start', { ...start, seeds: Array(LIMITS.entries + 1).fill(1) }).message).toMatch(/too many items/);
    expect(rejects('runs:start', { ...start, seeds: Array(LIMITS.maxSeeds + 1).fill(1) }).issues?.[0]?.path).toBe('seeds');
  });

  it('rejects deep nesting', () => {
    let deep: unknown = 1;
    for (let i = 0; i < LIMITS.depth + 2; i++) deep = { a: deep };
    expect(rejects('runs:start', { ...start, config: { x: deep } }).message).toMatch(/nested too deeply/);
  });

  it('rejects __proto__, constructor and prototype keys at any depth', () => {
    const viaJson = JSON.parse('{"id":"a","__proto__":{"polluted":true}}') as unknown;
    const e = rejects('runs:get', viaJson);
    expect(e.message).toMatch(/key "__proto__" is not allowed/);
    const nested = JSON.parse('{"algo":"ppo","env":"CartPole-v1","seeds":[1],"config":{"a":{"__proto__":{"x":1}}}}') as unknown;
    expect(rejects('runs:start', nested).issues?.[0]?.path).toBe('config.a.__proto__');
    expect(rejects('runs:start', { ...start, config: { constructor: { prototype: 1 } } }).message).toMatch(/"constructor"/);
    expect(rejects('runs:start', { ...start, config: { prototype: 1 } }).message).toMatch(/"prototype"/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects non-plain values: functions, class instances, symbols, non-finite numbers', () => {
    expect(checkStructure({ f: () => 1 })?.message).toMatch(/plain data/);
    expect(checkStructure({ d: new Date() })?.message).toMatch(/plain object/);
    expect(checkStructure({ m: new Map() })?.path).toBe('m');
    expect(checkStructure({ [Symbol('s')]: 1 })?.message).toMatch(/symbol keys/);
    expect(checkStructure({ n: Infinity })?.message).toMatch(/finite/);
    expect(checkStructure({ n: NaN })?.message).toMatch(/finite/);
    expect(checkStructure({ ok: [1, 'a', null, true, { b: 2 }] })).toBeNull();
  });

  it('rejects bad ids (path characters)', () => {
    for (const id of ['../etc', 'a/b', 'a b', '', 'x'.repeat(65)]) expect(rejects('runs:get', { id }).issues?.[0]?.path).toBe('id');
  });

  it('runs:update needs at least one field', () => {
    expect(rejects('runs:update', { id: 'a' }).message).toMatch(/needs at least one of name, tags, notes/);
  });
});

describe('dispatch', () => {
  const handlers = {
    'runs:get': async ({ id }: { id: string }) => {
      if (id === 'missing') throw new ApiFailure('not_found', `unknown run id "${id}"`);
      if (id === 'boom') throw new Error('disk on fire');
      return { id };
    },
  } as unknown as Handlers;

  it('returns values, maps expected failures and internal errors, never throws', async () => {
    expect(await dispatch(handlers, 'runs:get', { id: 'a' })).toEqual({ ok: true, value: { id: 'a' } });
    expect(await dispatch(handlers, 'runs:get', { id: 'missing' })).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'unknown run id "missing"' },
    });
    expect(await dispatch(handlers, 'runs:get', { id: 'boom' })).toEqual({ ok: false, error: { code: 'internal', message: 'disk on fire' } });
    const bad = await dispatch(handlers, 'runs:get', { id: 1 });
    expect(bad.ok).toBe(false);
  });
});
