/**
 * LZ4 frame decoding in TypeScript, into a caller-sized buffer: the same
 * format and checks as native/src/lz4.c (linked blocks are back references
 * into what is already written; checksums are skipped because chunk bytes
 * are CRC-checked before decoding).
 */
import { StrataError } from '../core/errors.js';

function corrupt(why: string): never {
  throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `LZ4 frame ${why}`);
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function decodeBlock(src: Uint8Array, ip: number, iend: number, dst: Uint8Array, op: number): number {
  const oend = dst.length;
  for (;;) {
    if (ip >= iend) corrupt('is cut short');
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) { let b: number; do { if (ip >= iend) corrupt('is cut short'); b = src[ip++]!; lit += b; } while (b === 255); }
    if (iend - ip < lit) corrupt('is cut short');
    if (oend - op < lit) corrupt('decodes to more bytes than expected');
    if (lit < 32) for (let k = 0; k < lit; k++) dst[op + k] = src[ip + k]!;
    else dst.set(src.subarray(ip, ip + lit), op);
    ip += lit; op += lit;
    if (ip === iend) return op;
    if (iend - ip < 2) corrupt('is cut short');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) corrupt('refers back outside its data');
    let len = token & 15;
    if (len === 15) { let b: number; do { if (ip >= iend) corrupt('is cut short'); b = src[ip++]!; len += b; } while (b === 255); }
    len += 4;
    if (oend - op < len) corrupt('decodes to more bytes than expected');
    const m = op - offset;
    if (len < 32) { for (let k = 0; k < len; k++) dst[op + k] = dst[m + k]!; op += len; continue; }
    // Long matches: copy in non-overlapping steps; the distance from m stays a multiple of offset, so the pattern repeats.
    const end = op + len;
    while (op < end) { const c = Math.min(op - m, end - op); dst.copyWithin(op, m, m + c); op += c; }
  }
}

export function lz4FrameDecode(src: Uint8Array, dst: Uint8Array): number {
  let ip = 0; let op = 0;
  const iend = src.length;
  if (iend === 0) corrupt('is not an LZ4 frame');
  while (ip < iend) {
    if (iend - ip < 7) corrupt('is cut short');
    const magic = le32(src, ip);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (iend - ip < 8) corrupt('is cut short');
      const size = le32(src, ip + 4);
      if (iend - ip - 8 < size) corrupt('is cut short');
      ip += 8 + size;
      continue;
    }
    if (magic !== 0x184d2204) corrupt('is not an LZ4 frame');
    ip += 4;
    const flg = src[ip]!; const bd = src[ip + 1]!;
    const sizeCode = (bd >>> 4) & 7;
    if (flg >>> 6 !== 1 || (flg & 2) !== 0 || (bd & 0x8f) !== 0 || sizeCode < 4 || (flg & 1) !== 0) corrupt('is not an LZ4 frame');
    const blockMax = 2 ** (8 + 2 * sizeCode);
    const blockSum = (flg >>> 4) & 1; const contentSize = (flg >>> 3) & 1; const contentSum = (flg >>> 2) & 1;
    const header = 2 + (contentSize ? 8 : 0) + 1;
    if (iend - ip < header) corrupt('is cut short');
    ip += header;
    for (;;) {
      if (iend - ip < 4) corrupt('is cut short');
      const word = le32(src, ip);
      ip += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (size > blockMax || iend - ip < size) corrupt('is cut short');
      if (word & 0x80000000) {
        if (dst.length - op < size) corrupt('decodes to more bytes than expected');
        dst.set(src.subarray(ip, ip + size), op);
        op += size;
      } else op = decodeBlock(src, ip, ip + size, dst, op);
      ip += size;
      if (blockSum) { if (iend - ip < 4) corrupt('is cut short'); ip += 4; }
    }
    if (contentSum) { if (iend - ip < 4) corrupt('is cut short'); ip += 4; }
  }
  return op;
}
