/*
 * Strata's native kernels: plain C over caller-provided arrays. No kernel
 * allocates; each works on one chunk (or one vector) at a time. The same
 * functions exist in TypeScript (src/kernels/ts.ts) with the same meaning,
 * and a differential test holds the two to the same answers.
 */
#ifndef STRATA_KERNELS_H
#define STRATA_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* Comparison codes shared with src/kernels/kernels.ts. */
enum { OP_EQ = 0, OP_NE = 1, OP_LT = 2, OP_LE = 3, OP_GT = 4, OP_GE = 5, OP_BETWEEN = 6 };
/* Aggregate codes for the grouped kernels. */
enum { AGG_SUM = 0, AGG_MIN = 1, AGG_MAX = 2 };

/* LZ4 frame(s) in src -> dst. Returns bytes written, or a negative error. */
int64_t lz4_frame_decode(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_cap);
enum { LZ4_ERR_FORMAT = -1, LZ4_ERR_OVERFLOW = -2, LZ4_ERR_TRUNCATED = -3, LZ4_ERR_OFFSET = -4 };

/* Filters: clear mask[i] for rows that fail. Constants are never NaN. */
void filter_f64(const double *v, size_t n, int op, double a, double b, uint8_t *mask);
void filter_i32(const int32_t *v, size_t n, int op, double a, double b, uint8_t *mask);
void filter_i64(const int64_t *v, size_t n, int op, int64_t a, int64_t b, uint8_t *mask);
/* mask[i] &= ok[codes[i]] (dictionary codes, or bool bytes with a 2-entry table). */
void filter_codes_i32(const int32_t *codes, size_t n, const uint8_t *ok, size_t ok_len, uint8_t *mask);
void filter_codes_u8(const uint8_t *codes, size_t n, const uint8_t *ok, size_t ok_len, uint8_t *mask);
/* Clears rows whose validity bit differs from want (1: keep non-null rows). */
void filter_valid(const uint8_t *bits, size_t n, int want, uint8_t *mask);
/* Mask -> ascending row numbers; returns how many. */
size_t mask_select(const uint8_t *mask, size_t n, uint32_t *out);

/* Grouped aggregates over rows sel[i] (or i), group groups[i], skipping NULLs.
 * rows: the column's length; cap: the state arrays' length. Return -1 (having
 * stopped) at a row or group outside them, else 0. */
int agg_count(const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap, double *count);
int agg_f64(int fn, const double *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
            double *count, double *state, double *comp);
int agg_i32(int fn, const int32_t *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
            double *count, double *state, double *comp);
/* int64: sum into per-group 32-bit word sums (exact while n < 2^21), min/max into mm. */
int agg_i64(int fn, const int64_t *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
            double *count, double *hi, double *lo, int64_t *mm);

/* Time buckets: out[i] = origin + floor((v[row] - origin) / width) * width. */
void bucket_f64(const double *v, const uint32_t *sel, size_t n, double width, double origin, double *out);
/* Runs of equal time buckets (NULL rows: their own runs, value NaN): starts[k] is
 * the first row of run k. Returns the run count, or -1 when there are more than max_runs. */
int64_t bucket_runs(const double *v, const uint8_t *valid, const uint32_t *sel, size_t n, double width, double origin,
                    int32_t *starts, double *run_values, size_t max_runs);
/* out[i] = groups[k] for the rows of run k. */
void fill_runs(const int32_t *starts, const int32_t *groups, size_t runs, size_t n, int32_t *out);
size_t remap_groups(int32_t *ids, size_t from, size_t n, const int32_t *table, size_t table_length);
/* Two 32-bit FNV-1a hashes (different bases) of each string bytes[offsets[i]..offsets[i+1]). */
void hash_strings(const uint8_t *bytes, const int32_t *offsets, size_t count, uint32_t *out);

/* Which code path the CPU dispatch picked: "avx2" or "portable". */
const char *kernels_isa(void);

#endif
