/**
 * Turning input values (CSV text, JSON values, Arrow values) into column
 * values. Each parser returns the value or a reason it cannot be stored;
 * the caller names the line and column.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

const intText = /^[+-]?\d+$/;
const floatText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function parseBoolText(s: string): Parsed<number> {
  switch (s.trim().toLowerCase()) {
    case 'true': case 't': case '1': case 'yes': case 'y': return ok(1);
    case 'false': case 'f': case '0': case 'no': case 'n': return ok(0);
    default: return bad(`${JSON.stringify(s)} is not a boolean (true/false)`);
  }
}

export function parseInt32Text(s: string): Parsed<number> {
  const t = s.trim();
  if (!intText.test(t)) return bad(`${JSON.stringify(s)} is not an integer`);
  const n = Number(t);
  if (n < -2147483648 || n > 2147483647) return bad(`${t} is outside the int32 range`);
  return ok(n);
}

export function parseInt64Text(s: string): Parsed<bigint> {
  const t = s.trim();
  if (!intText.test(t)) return bad(`${JSON.stringify(s)} is not an integer`);
  const n = BigInt(t);
  if (n < INT64_MIN || n > INT64_MAX) return bad(`${t} is outside the int64 range`);
  return ok(n);
}

export function parseFloat64Text(s: string): Parsed<number> {
  const t = s.trim();
  if (floatText.test(t)) {
    const n = Number(t);
    // A literal beyond the range (1e400) is refused, as JSON input refuses it; infinities are spelled out.
    return Number.isFinite(n) ? ok(n) : bad(`${t} is outside the float64 range`);
  }
  switch (t.toLowerCase()) {
    case 'nan': return ok(NaN);
    case 'inf': case 'infinity': case '+inf': case '+infinity': return ok(Infinity);
    case '-inf': case '-infinity': return ok(-Infinity);
    default: return bad(`${JSON.stringify(s)} is not a number`);
  }
}

const timestampText = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** ISO 8601 dates and times (UTC unless an offset is given; below a millisecond truncated), or integer ms since the epoch. */
export function parseTimestampText(s: string): Parsed<number> {
  const plain = plainDate(s);
  if (plain !== null) return ok(plain);
  const t = s.trim();
  if (intText.test(t)) return checkMs(Number(t), s);
  const m = timestampText.exec(t);
  if (!m) return bad(`${JSON.stringify(s)} is not a timestamp (use ISO 8601, e.g. 2026-11-26 10:00:00)`);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const year = Number(y); const month = Number(mo); const day = Number(d);
  const hour = Number(h); const minute = Number(mi); const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return bad(`${JSON.stringify(s)} is not a valid date and time`);
  }
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number((frac + '000').slice(0, 3)));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return bad(`${JSON.stringify(s)} is not a valid date`);
  let ms = date.getTime();
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)); const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return bad(`${JSON.stringify(s)} has an offset ${zone} beyond ±23:59`);
    const offset = oh * 60 + om;
    ms -= sign * offset * 60_000;
  }
  return checkMs(ms, s);
}

/** Fast path for the commonest form, `YYYY-MM-DD`; null when `s` is anything else (or not a real date). */
function plainDate(s: string): number | null {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  let y = 0; let m = 0; let d = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    if (i < 4) y = y * 10 + c; else if (i < 7) m = m * 10 + c; else d = d * 10 + c;
  }
  if (y < 1000 || m < 1 || m > 12 || d < 1) return null;
  const ms = Date.UTC(y, m - 1, d);
  return new Date(ms).getUTCDate() === d ? ms : null;
}

function checkMs(ms: number, s: string): Parsed<number> {
  // DuckDB's TIMESTAMP range is about ±290,000 years; JS Dates stop at ±8.64e15 ms.
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > 8.64e15) return bad(`${JSON.stringify(s)} is outside the timestamp range`);
  return ok(ms);
}

/** Values from JSON or Arrow: native numbers/booleans/bigints accepted where exact, strings parsed as text. */
export function fromJsBool(v: unknown): Parsed<number> {
  if (typeof v === 'boolean') return ok(v ? 1 : 0);
  if (typeof v === 'string') return parseBoolText(v);
  if (v === 0 || v === 1) return ok(v);
  return bad(`${describe(v)} is not a boolean`);
}

export function fromJsInt32(v: unknown): Parsed<number> {
  if (typeof v === 'number') return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? ok(v) : bad(`${v} is not an int32`);
  if (typeof v === 'bigint') return v >= -2147483648n && v <= 2147483647n ? ok(Number(v)) : bad(`${v} is outside the int32 range`);
  if (typeof v === 'string') return parseInt32Text(v);
  return bad(`${describe(v)} is not an integer`);
}

export function fromJsInt64(v: unknown): Parsed<bigint> {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? ok(BigInt(v)) : bad(`${v} is not an exact integer (send large int64 values as strings)`);
  if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? ok(v) : bad(`${v} is outside the int64 range`);
  if (typeof v === 'string') return parseInt64Text(v);
  return bad(`${describe(v)} is not an integer`);
}

export function fromJsFloat64(v: unknown): Parsed<number> {
  if (typeof v === 'number') return ok(v);
  if (typeof v === 'bigint') return ok(Number(v));
  if (typeof v === 'string') return parseFloat64Text(v);
  return bad(`${describe(v)} is not a number`);
}

export function fromJsTimestamp(v: unknown): Parsed<number> {
  if (typeof v === 'number') return Number.isInteger(v) ? checkMs(v, String(v)) : bad(`${v} is not a whole number of milliseconds`);
  if (typeof v === 'bigint') return checkMs(Number(v), String(v));
  if (v instanceof Date) return checkMs(v.getTime(), v.toISOString());
  if (typeof v === 'string') return parseTimestampText(v);
  return bad(`${describe(v)} is not a timestamp`);
}

export function fromJsString(v: unknown): Parsed<string> {
  if (typeof v === 'string') return ok(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return ok(String(v));
  return bad(`${describe(v)} is not a string`);
}

function describe(v: unknown): string {
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? String(v);
}
