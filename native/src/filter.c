/*
 * Row filters over typed arrays: branch-free loops (mask[i] &= test) that the
 * compiler vectorizes. Comparisons follow DuckDB's order for doubles: NaN
 * equals NaN and sorts above every number, so `x > k` keeps NaN rows and
 * `x < k` drops them. Constants are never NaN (the caller tests those rows
 * by value).
 */
#include "dispatch.h"
#include "kernels.h"

#define FILTER_LOOP(T, CT)                                                                        \
  switch (op) {                                                                                   \
    case OP_EQ: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] == (CT)a); break;        \
    case OP_NE: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] != (CT)a); break;        \
    case OP_LT: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] < (CT)a); break;         \
    case OP_LE: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] <= (CT)a); break;        \
    case OP_GT: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] > (CT)a || NAN_OF(v[i])); break; \
    case OP_GE: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(v[i] >= (CT)a || NAN_OF(v[i])); break; \
    case OP_BETWEEN: for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)((v[i] >= (CT)a) & (v[i] <= (CT)b)); break; \
  }

#define NAN_OF(x) ((x) != (x))
HOT void filter_f64(const double *v, size_t n, int op, double a, double b, uint8_t *mask) { FILTER_LOOP(double, double) }
#undef NAN_OF
#define NAN_OF(x) 0
HOT void filter_i32(const int32_t *v, size_t n, int op, double a, double b, uint8_t *mask) {
  /* Integer constants (the caller rounds fractional ones) that fit int32 compare as int32; others as double. */
  if (a >= -2147483648.0 && a <= 2147483647.0 && b >= -2147483648.0 && b <= 2147483647.0 && a == (double)(int32_t)a && b == (double)(int32_t)b) {
    FILTER_LOOP(int32_t, int32_t)
  } else {
    FILTER_LOOP(int32_t, double)
  }
}
HOT void filter_i64(const int64_t *v, size_t n, int op, int64_t a, int64_t b, uint8_t *mask) { FILTER_LOOP(int64_t, int64_t) }
#undef NAN_OF

HOT void filter_codes_i32(const int32_t *codes, size_t n, const uint8_t *ok, size_t ok_len, uint8_t *mask) {
  for (size_t i = 0; i < n; i++) {
    uint32_t c = (uint32_t)codes[i];
    mask[i] &= c < ok_len ? ok[c] : 0;
  }
}

HOT void filter_codes_u8(const uint8_t *codes, size_t n, const uint8_t *ok, size_t ok_len, uint8_t *mask) {
  for (size_t i = 0; i < n; i++) mask[i] &= codes[i] < ok_len ? ok[codes[i]] : 0;
}

HOT void filter_valid(const uint8_t *bits, size_t n, int want, uint8_t *mask) {
  uint8_t flip = want ? 0 : 1;
  for (size_t i = 0; i < n; i++) mask[i] &= (uint8_t)(((bits[i >> 3] >> (i & 7)) & 1) ^ flip);
}

size_t mask_select(const uint8_t *mask, size_t n, uint32_t *out) {
  size_t k = 0;
  /* Branch-free: write every row, advance only past kept ones. */
  for (size_t i = 0; i < n; i++) { out[k] = (uint32_t)i; k += mask[i] != 0; }
  return k;
}
