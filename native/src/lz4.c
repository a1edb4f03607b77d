/*
 * LZ4 frame decoding into a buffer the caller sized. Arrow's LZ4_FRAME body
 * compression writes standard frames (linked or independent blocks, optional
 * checksums); decoding into one contiguous buffer makes linked blocks' back
 * references plain offsets into what is already written. Every read and
 * write is bounds-checked: a corrupt frame is an error, never a wild access.
 * Checksums are not verified here: a chunk's bytes were checked (CRC-32)
 * before decoding.
 */
#include <string.h>
#include "kernels.h"

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* One block; returns bytes written or a negative error. dst_start is where back references may reach. */
static int64_t block_decode(const uint8_t *ip, const uint8_t *iend, uint8_t *dst_start, uint8_t *op, uint8_t *oend) {
  uint8_t *const op0 = op;
  for (;;) {
    if (ip >= iend) return LZ4_ERR_TRUNCATED;
    unsigned token = *ip++;
    size_t lit = token >> 4;
    if (lit == 15) {
      unsigned b;
      do { if (ip >= iend) return LZ4_ERR_TRUNCATED; b = *ip++; lit += b; } while (b == 255);
    }
    if ((size_t)(iend - ip) < lit) return LZ4_ERR_TRUNCATED;
    if ((size_t)(oend - op) < lit) return LZ4_ERR_OVERFLOW;
    /* Short literal runs are the common case: a fixed 16-byte copy when both sides have room. */
    if (lit <= 16 && iend - ip >= 16 && oend - op >= 16) memcpy(op, ip, 16);
    else memcpy(op, ip, lit);
    ip += lit; op += lit;
    if (ip == iend) return op - op0; /* the last sequence holds literals only */
    if (iend - ip < 2) return LZ4_ERR_TRUNCATED;
    size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
    ip += 2;
    if (offset == 0 || offset > (size_t)(op - dst_start)) return LZ4_ERR_OFFSET;
    size_t len = token & 15;
    if (len == 15) {
      unsigned b;
      do { if (ip >= iend) return LZ4_ERR_TRUNCATED; b = *ip++; len += b; } while (b == 255);
    }
    len += 4;
    if ((size_t)(oend - op) < len) return LZ4_ERR_OVERFLOW;
    const uint8_t *match = op - offset;
    if (offset >= 16 && (size_t)(oend - op) >= len + 16) {
      /* Non-overlapping 16-byte steps; may write up to 15 bytes past the match, inside dst. */
      uint8_t *end = op + len;
      do { memcpy(op, match, 16); op += 16; match += 16; } while (op < end);
      op = end;
    } else if (offset >= 8 && (size_t)(oend - op) >= len + 8) {
      uint8_t *end = op + len;
      do { memcpy(op, match, 8); op += 8; match += 8; } while (op < end);
      op = end;
    } else {
      for (size_t i = 0; i < len; i++) op[i] = match[i];
      op += len;
    }
  }
}

int64_t lz4_frame_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap) {
  const uint8_t *ip = src, *iend = src + src_len;
  uint8_t *op = dst, *oend = dst + dst_cap;
  if (src_len == 0) return LZ4_ERR_FORMAT;
  while (ip < iend) {
    if (iend - ip < 7) return LZ4_ERR_TRUNCATED;
    uint32_t magic = le32(ip);
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) { /* skippable frame */
      if (iend - ip < 8) return LZ4_ERR_TRUNCATED;
      uint32_t size = le32(ip + 4);
      if ((size_t)(iend - ip - 8) < size) return LZ4_ERR_TRUNCATED;
      ip += 8 + size;
      continue;
    }
    if (magic != 0x184D2204u) return LZ4_ERR_FORMAT;
    ip += 4;
    unsigned flg = ip[0], bd = ip[1];
    if ((flg >> 6) != 1 || (flg & 2) || (bd & 0x8F)) return LZ4_ERR_FORMAT;
    size_t block_max = (size_t)1 << (8 + 2 * ((bd >> 4) & 7));
    if (((bd >> 4) & 7) < 4) return LZ4_ERR_FORMAT;
    int block_sum = (flg >> 4) & 1, content_size = (flg >> 3) & 1, content_sum = (flg >> 2) & 1, dict = flg & 1;
    if (dict) return LZ4_ERR_FORMAT; /* no preset dictionaries in Arrow buffers */
    size_t header = 2 + (content_size ? 8 : 0) + 1;
    if ((size_t)(iend - ip) < header) return LZ4_ERR_TRUNCATED;
    ip += header;
    for (;;) {
      if (iend - ip < 4) return LZ4_ERR_TRUNCATED;
      uint32_t word = le32(ip);
      ip += 4;
      if (word == 0) break; /* end mark */
      size_t size = word & 0x7FFFFFFFu;
      if (size > block_max || (size_t)(iend - ip) < size) return LZ4_ERR_TRUNCATED;
      if (word & 0x80000000u) {
        if ((size_t)(oend - op) < size) return LZ4_ERR_OVERFLOW;
        memcpy(op, ip, size);
        op += size;
      } else {
        int64_t w = block_decode(ip, ip + size, dst, op, oend);
        if (w < 0) return w;
        op += w;
      }
      ip += size;
      if (block_sum) { if (iend - ip < 4) return LZ4_ERR_TRUNCATED; ip += 4; }
    }
    if (content_sum) { if (iend - ip < 4) return LZ4_ERR_TRUNCATED; ip += 4; }
  }
  return op - dst;
}
