import { MalformedBodyError, type ValidationIssue } from './errors';
import { strictUtf8 } from './raw-body';

/** FreeClimb's bodies are flat; anything nested deeper than this is not one of them. */
export const MAX_JSON_DEPTH = 8;
const MAX_PATH_LENGTH = 120;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Decodes the raw bytes as strict UTF-8 and parses JSON; throws {@link MalformedBodyError} (400). */
export function parseJsonBody(rawBody: Buffer): unknown {
  if (rawBody.length === 0) {
    throw new MalformedBodyError('The body is empty');
  }
  const text = strictUtf8(rawBody);
  if (text === undefined) {
    throw new MalformedBodyError('The body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedBodyError('The body is not valid JSON', { cause: error });
  }
}

/**
 * Finds the shapes no callStatus body has and that put naive consumers at risk: own keys that poison
 * prototypes (`__proto__`, `constructor`, `prototype`) and nesting deeper than {@link MAX_JSON_DEPTH}.
 */
export function findHostileStructure(value: unknown): ValidationIssue | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  // Iterative, so a deeply nested body cannot exhaust the stack.
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') {
      continue;
    }
    if (next.depth >= MAX_JSON_DEPTH) {
      return { path: next.path, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    const object = next.value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const child = object[key];
      // Paths are built only where they may be reported: a flat body (every FreeClimb body) builds none.
      if (FORBIDDEN_KEYS.has(key)) {
        return { path: childPath(next.path, key), message: 'is a forbidden key' };
      }
      if (child !== null && typeof child === 'object') {
        pending.push({ value: child, path: childPath(next.path, key), depth: next.depth + 1 });
      }
    }
  }
  return undefined;
}

/** Keys come from the sender: the path is capped so a long key is not echoed back whole. */
function childPath(parent: string, key: string): string {
  return (parent === '' ? key : `${parent}.${key}`).slice(0, MAX_PATH_LENGTH);
}
