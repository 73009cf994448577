/**
 * The validation both transports run before any handler sees a payload:
 * 1. the channel must be one of the contract's;
 * 2. a structural pre-check walks the raw value (plain data only, bounded depth/size/string length,
 *    no `__proto__`/`constructor`/`prototype` keys at any depth) — cheap and before zod allocates anything;
 * 3. the channel's zod schema parses it (strict objects, bounded fields).
 * Errors name the field and what was wrong.
 */
import type { z } from 'zod';
import {
  ApiFailure,
  isInvokeChannel,
  type ApiError,
  type ApiIssue,
  type Handlers,
  type InvokeChannel,
  type InvokeContext,
  type RequestOut,
  type Result,
} from './contract.js';
import { LIMITS, requestSchemas } from './schemas.js';
export { LIMITS, requestSchemas };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Returns the first structural problem of a raw payload, or null when it is plain bounded data. */
export function checkStructure(value: unknown, path: (string | number)[] = [], depth = 0): ApiIssue | null {
  if (value === null || value === undefined || typeof value === 'boolean') return null;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { path: pathText(path), message: `must be a finite number, got ${value}` };
  }
  if (typeof value === 'string') {
    return value.length <= LIMITS.stringLength
      ? null
      : { path: pathText(path), message: `string is too long (${value.length} characters, at most ${LIMITS.stringLength})` };
  }
  if (typeof value !== 'object') return { path: pathText(path), message: `must be plain data, got a ${typeof value}` };
  if (depth >= LIMITS.depth) return { path: pathText(path), message: `is nested too deeply (more than ${LIMITS.depth} levels)` };
  if (Array.isArray(value)) {
    if (value.length > LIMITS.entries) {
      return { path: pathText(path), message: `has too many items (${value.length}, at most ${LIMITS.entries})` };
    }
    for (let i = 0; i < value.length; i++) {
      const issue = checkStructure(value[i], [...path, i], depth + 1);
      if (issue) return issue;
    }
    return null;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    return { path: pathText(path), message: 'must be a plain object' };
  }
  const keys = Reflect.ownKeys(value);
  if (keys.length > LIMITS.entries) {
    return { path: pathText(path), message: `has too many keys (${keys.length}, at most ${LIMITS.entries})` };
  }
  for (const key of keys) {
    if (typeof key !== 'string') return { path: pathText(path), message: 'must not have symbol keys' };
    if (FORBIDDEN_KEYS.has(key)) return { path: pathText([...path, key]), message: `key "${key}" is not allowed` };
    if (key.length > LIMITS.keyLength) {
      return { path: pathText(path), message: `has a key that is too long (${key.length} characters)` };
    }
    const issue = checkStructure((value as Record<string, unknown>)[key], [...path, key], depth + 1);
    if (issue) return issue;
  }
  return null;
}

export function zodIssues(error: z.ZodError): ApiIssue[] {
  return error.issues.map((i) => ({ path: pathText(i.path), message: i.message }));
}

function describe(channel: string, issues: ApiIssue[]): string {
  const first = issues[0];
  if (!first) return `invalid payload for ${channel}`;
  const where = first.path ? `${first.path}` : 'payload';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${channel}: ${where} ${first.message}${more}`;
}

function invalid(channel: string, issues: ApiIssue[]): { ok: false; error: ApiError } {
  return { ok: false, error: { code: 'invalid_request', message: describe(channel, issues), issues } };
}

/** Validates a channel name and its payload; on success returns the parsed request (defaults applied). */
export function validateRequest(channel: unknown, payload: unknown): Result<{ channel: InvokeChannel; request: unknown }> {
  if (!isInvokeChannel(channel)) {
    const shown = typeof channel === 'string' ? `"${channel.slice(0, 80)}"` : typeof channel;
    return { ok: false, error: { code: 'unknown_channel', message: `unknown channel ${shown}` } };
  }
  const structural = checkStructure(payload);
  if (structural) return invalid(channel, [structural]);
  const parsed = requestSchemas[channel].safeParse(payload);
  if (!parsed.success) return invalid(channel, zodIssues(parsed.error));
  return { ok: true, value: { channel, request: parsed.data } };
}

/** Maps anything thrown by a handler to an ApiError (expected failures keep their code; others are `internal`). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiFailure) return { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: message || 'internal error' };
}

/** Validates and runs one request against a handler table; never throws. */
export async function dispatch(handlers: Handlers, channel: unknown, payload: unknown, context: InvokeContext = {}): Promise<Result<unknown>> {
  const checked = validateRequest(channel, payload);
  if (!checked.ok) return checked;
  const { channel: ch, request } = checked.value;
  try {
    const handler = handlers[ch] as (r: RequestOut<typeof ch>, c: InvokeContext) => Promise<unknown>;
    return { ok: true, value: await handler(request as RequestOut<typeof ch>, context) };
  } catch (err) {
    return { ok: false, error: toApiError(err) };
  }
}
