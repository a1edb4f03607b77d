/**
 * Row identity. Every row Strata stores is named by (origin, ordinal): the
 * version whose append wrote it, and its place among that version's rows
 * (chunk by chunk, in the order the version lists them). Deletes record the
 * ids of the rows they removed and compaction carries ids over to the
 * chunks it writes, so a revert finds a version's rows wherever they went.
 *
 * An appended chunk holds one run (`origin`, `first`) in its ref. A
 * compacted one holds runs of consecutive ordinals as uint32 triples
 * (origin, first ordinal, count) in its segment.
 */
import { StrataError } from '../core/errors.js';
import type { ChunkRef } from './chunk.js';
import { checksum } from './chunk.js';

/** Ids of a chunk's stored rows, by row. */
export interface RowIds {
  origins: Uint32Array;
  ordinals: Uint32Array;
}

export function idsOfRun(origin: number, first: number, rows: number): RowIds {
  const origins = new Uint32Array(rows).fill(origin);
  const ordinals = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) ordinals[i] = first + i;
  return { origins, ordinals };
}

/** The ids of the given rows, in order. */
export function takeIds(ids: RowIds, rows: ArrayLike<number>): RowIds {
  const n = rows.length;
  const origins = new Uint32Array(n); const ordinals = new Uint32Array(n);
  for (let i = 0; i < n; i++) { origins[i] = ids.origins[rows[i]!]!; ordinals[i] = ids.ordinals[rows[i]!]!; }
  return { origins, ordinals };
}

export function concatIds(parts: readonly RowIds[]): RowIds {
  const n = parts.reduce((s, p) => s + p.origins.length, 0);
  const origins = new Uint32Array(n); const ordinals = new Uint32Array(n);
  let at = 0;
  for (const p of parts) { origins.set(p.origins, at); ordinals.set(p.ordinals, at); at += p.origins.length; }
  return { origins, ordinals };
}

/** Runs of consecutive ordinals of one origin, as (origin, first, count) triples. */
export function idRuns(ids: RowIds): Uint32Array {
  const out: number[] = [];
  const n = ids.origins.length;
  for (let i = 0; i < n;) {
    const o = ids.origins[i]!; const f = ids.ordinals[i]!;
    let j = i + 1;
    while (j < n && ids.origins[j] === o && ids.ordinals[j] === f + (j - i)) j++;
    out.push(o, f, j - i);
    i = j;
  }
  return Uint32Array.from(out);
}

export function encodeRuns(runs: Uint32Array): Uint8Array {
  const b = Buffer.alloc(runs.length * 4);
  for (let i = 0; i < runs.length; i++) b.writeUInt32LE(runs[i]!, i * 4);
  return b;
}

export function decodeRuns(bytes: Uint8Array, where: string): Uint32Array {
  if (bytes.byteLength % 12 !== 0) throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: row id runs are not whole`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

export function idsOfRuns(runs: Uint32Array, rows: number, where: string): RowIds {
  const origins = new Uint32Array(rows); const ordinals = new Uint32Array(rows);
  let at = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const o = runs[r]!; const f = runs[r + 1]!; const c = runs[r + 2]!;
    if (at + c > rows) break;
    origins.fill(o, at, at + c);
    for (let i = 0; i < c; i++) ordinals[at + i] = f + i;
    at += c;
  }
  if (at !== rows) throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: row id runs cover ${at} rows, not ${rows}`);
  return { origins, ordinals };
}

/** Checks the stored runs of a chunk against its ref. */
export function checkedRuns(dataset: string, ref: ChunkRef, bytes: Uint8Array | undefined): Uint8Array {
  const where = `${dataset} chunk ${ref.id} row ids`;
  if (!bytes) throw new StrataError('STRATA_ERR_CHUNK_MISSING', `${where} are missing from the store`, { dataset, chunk: ref.id });
  if (bytes.byteLength !== ref.idRuns!.bytes || checksum(bytes) !== ref.idRuns!.crc) throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where} failed their checksum`, { dataset, chunk: ref.id });
  return bytes;
}

/**
 * A set of row ids, by origin. Ordinal sets are kept as sorted runs so a
 * delete of millions of adjacent rows stays small.
 */
export class RowSet {
  private readonly byOrigin = new Map<number, Set<number>>();
  size = 0;

  add(origin: number, ordinal: number): void {
    let s = this.byOrigin.get(origin);
    if (!s) { s = new Set(); this.byOrigin.set(origin, s); }
    if (!s.has(ordinal)) { s.add(ordinal); this.size++; }
  }

  has(origin: number, ordinal: number): boolean {
    return this.byOrigin.get(origin)?.has(ordinal) ?? false;
  }

  hasOrigin(origin: number): boolean {
    return this.byOrigin.has(origin);
  }

  origins(): number[] {
    return [...this.byOrigin.keys()];
  }

  *entries(): Generator<[number, number]> {
    for (const [o, s] of this.byOrigin) for (const i of s) yield [o, i];
  }

  /**
   * Stored compactly: per origin, its ordinals as runs (start, length) or as
   * a bitmap over their span, whichever is smaller. A delete of scattered
   * rows is a bitmap (a bit per row of the span), one of adjacent rows a
   * few runs.
   */
  encode(): Uint8Array {
    const parts: Buffer[] = [];
    for (const o of [...this.byOrigin.keys()].sort((a, b) => a - b)) {
      const list = [...this.byOrigin.get(o)!].sort((a, b) => a - b);
      const runs: number[] = [];
      for (let i = 0; i < list.length;) {
        let j = i + 1;
        while (j < list.length && list[j] === list[i]! + (j - i)) j++;
        runs.push(list[i]!, j - i);
        i = j;
      }
      const first = list[0]!; const span = list[list.length - 1]! - first + 1;
      const bitmapBytes = Math.ceil(span / 32) * 4;
      if (bitmapBytes < runs.length * 4) {
        const head = Buffer.alloc(16 + bitmapBytes);
        head.writeUInt32LE(o, 0); head.writeUInt32LE(1, 4); head.writeUInt32LE(first, 8); head.writeUInt32LE(span, 12);
        for (const i of list) { const b = i - first; head[16 + (b >>> 3)]! |= 1 << (b & 7); }
        parts.push(head);
      } else {
        const head = Buffer.alloc(16 + runs.length * 4);
        head.writeUInt32LE(o, 0); head.writeUInt32LE(0, 4); head.writeUInt32LE(first, 8); head.writeUInt32LE(runs.length / 2, 12);
        runs.forEach((x, k) => head.writeUInt32LE(x, 16 + k * 4));
        parts.push(head);
      }
    }
    return Buffer.concat(parts);
  }

  static decode(bytes: Uint8Array, where: string): RowSet {
    const s = new RowSet();
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const need = (n: number): void => { if (at + n > b.length) throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: a row id list ends early`); };
    while (at < b.length) {
      need(16);
      const o = b.readUInt32LE(at); const kind = b.readUInt32LE(at + 4); const first = b.readUInt32LE(at + 8); const n = b.readUInt32LE(at + 12);
      at += 16;
      if (kind === 1) {
        const len = Math.ceil(n / 32) * 4;
        need(len);
        for (let i = 0; i < n; i++) if ((b[at + (i >>> 3)]! >>> (i & 7)) & 1) s.add(o, first + i);
        at += len;
      } else if (kind === 0) {
        need(n * 8);
        for (let r = 0; r < n; r++) { const start = b.readUInt32LE(at + r * 8); const len = b.readUInt32LE(at + r * 8 + 4); for (let i = 0; i < len; i++) s.add(o, start + i); }
        at += n * 8;
      } else {
        throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${where}: unknown row id list kind ${kind}`);
      }
    }
    return s;
  }
}

/** An append's chunks as committed in version `origin`: their rows numbered in list order. */
export function withOrigin(refs: readonly ChunkRef[], origin: number): ChunkRef[] {
  let first = 0;
  return refs.map((r) => { const out = { ...r, origin, first }; first += r.rows; return out; });
}
