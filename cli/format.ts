import type { ReplayOutcome } from '../lib/rejected-delivery';
import { localTimeZone } from './time-zone';

/**
 * How people read times and durations in the CLI's output. Times are shown in UTC (as stored) and in the
 * local zone (`TZ`, else the system's), so an on-call engineer can match them with either clock.
 */
export class TimeFormat {
  private readonly local: Intl.DateTimeFormat;

  /** `tz` as in the environment; a value that is no time zone is a usage error (see localTimeZone). */
  constructor(tz: string | undefined) {
    this.local = new Intl.DateTimeFormat('en-CA', {
      timeZone: localTimeZone(tz),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
  }

  /** `2026-11-25 09:01:02 CST` */
  localTime(epochMs: number): string {
    const parts = Object.fromEntries(
      this.local.formatToParts(epochMs).map((part) => [part.type, part.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
  }

  /** `2026-11-25T15:01:02.123Z (2026-11-25 09:01:02 CST)`; anything unparsable is shown as it is. */
  both(iso: string): string {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? iso : `${iso} (${this.localTime(ms)})`;
  }
}

/** `47 s`, `2:15`, `1:02:05`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/** `1 call`, `2 calls`, `0 calls`: a count with its noun, singular for exactly one. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** Two aligned columns: `name   value`. */
export function columns(rows: Array<[string, string]>, indent = '  '): string {
  const width = Math.max(0, ...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${indent}${name.padEnd(width)}  ${value}`).join('\n');
}

/**
 * JSON text indented for reading, token by token: only the whitespace between tokens changes. Nothing is
 * parsed into values and written back, so every key (a duplicate too, in its place), number (`1.10`, or
 * one beyond 2^53), string and escape (`\u00e9`) is shown exactly as sent. Text that is not JSON is
 * returned as it is.
 */
export function indentJson(text: string): string {
  try {
    JSON.parse(text); // only to know the tokens below are well formed
  } catch {
    return text;
  }
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let at = 0; at < text.length; at += 1) {
    const char = text.charAt(at);
    if (char === '"') {
      const end = endOfString(text, at);
      out += text.slice(at, end);
      at = end - 1;
    } else if (char === '{' || char === '[') {
      const next = text.slice(at + 1).search(/\S/) + at + 1;
      if (text.charAt(next) === (char === '{' ? '}' : ']')) {
        out += `${char}${text.charAt(next)}`;
        at = next;
      } else {
        depth += 1;
        out += `${char}${newline()}`;
      }
    } else if (char === '}' || char === ']') {
      depth -= 1;
      out += `${newline()}${char}`;
    } else if (char === ',') {
      out += `,${newline()}`;
    } else if (char === ':') {
      out += ': ';
    } else if (!/\s/.test(char)) {
      out += char;
    }
  }
  return out;
}

/** The index just past the string literal that opens at `start`, its escapes included. */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  while (text.charAt(at) !== '"') at += text.charAt(at) === '\\' ? 2 : 1;
  return at + 1;
}

/** Machine output: one JSON document and a newline. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** What a replay ended in, in words; `valid` is a dry run's "would be stored". */
export const REPLAY_LABELS: Record<ReplayOutcome | 'valid', string> = {
  stored: 'stored',
  duplicate: 'already there',
  conflict: 'already there (different body kept)',
  invalid: 'still invalid',
  malformed: 'still malformed',
  valid: 'valid now (dry run: nothing written)',
};
