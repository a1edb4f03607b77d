/*
 * Grouped aggregates over one chunk: each row goes to groups[i]; rows are
 * sel[i] when a selection is given. NULL rows are skipped. Semantics are
 * DuckDB's: NaN sorts above every number (so max is NaN when any value is),
 * a double sum uses Neumaier's compensation (the caller adds comp at the
 * end), and int64 sums are exact: each row's high (signed) and low
 * (unsigned) 32-bit words are summed in doubles, exact while the caller
 * keeps n below 2^21, and folded into a 128-bit total by the caller.
 */
#include <math.h>
#include "dispatch.h"
#include "kernels.h"

#define ROW(i) (sel ? sel[i] : (uint32_t)(i))
/* Bounds checked in the row loop itself (a well-predicted branch): a row past the
 * column or a group past the state arrays stops the kernel with an error. */
#define CHECK_ROW_GROUP(r, g) do { if ((r) >= rows || (uint32_t)(g) >= cap) return -1; } while (0)
#define VALID(r) (!valid || ((valid[(r) >> 3] >> ((r) & 7)) & 1))

HOT int agg_count(const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap, double *count) {
  if (!valid) {
    for (size_t i = 0; i < n; i++) { int32_t g = groups[i]; if ((uint32_t)g >= cap) return -1; count[g] += 1; }
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    uint32_t r = ROW(i); int32_t g = groups[i];
    CHECK_ROW_GROUP(r, g);
    count[g] += (double)((valid[r >> 3] >> (r & 7)) & 1);
  }
  return 0;
}

/* DuckDB's order: NaN above every number. */
static inline int less(double a, double b) { return a < b || (b != b && a == a); }

#define AGG_BODY(LOAD)                                                                         \
  switch (fn) {                                                                                \
    case AGG_SUM:                                                                              \
      for (size_t i = 0; i < n; i++) {                                                         \
        uint32_t r = ROW(i);                                                                   \
        int32_t g = groups[i];                                                                 \
        CHECK_ROW_GROUP(r, g);                                                                 \
        if (!VALID(r)) continue;                                                               \
        double x = LOAD(r), t0 = state[g], t = t0 + x;                                          \
        comp[g] += fabs(t0) >= fabs(x) ? (t0 - t) + x : (x - t) + t0;                          \
        state[g] = t;                                                                          \
        count[g] += 1;                                                                         \
      }                                                                                        \
      break;                                                                                   \
    case AGG_MIN:                                                                              \
      for (size_t i = 0; i < n; i++) {                                                         \
        uint32_t r = ROW(i);                                                                   \
        int32_t g = groups[i];                                                                 \
        CHECK_ROW_GROUP(r, g);                                                                 \
        if (!VALID(r)) continue;                                                               \
        double x = LOAD(r);                                                                    \
        if (count[g] == 0 || less(x, state[g])) state[g] = x;                                  \
        count[g] += 1;                                                                         \
      }                                                                                        \
      break;                                                                                   \
    case AGG_MAX:                                                                              \
      for (size_t i = 0; i < n; i++) {                                                         \
        uint32_t r = ROW(i);                                                                   \
        int32_t g = groups[i];                                                                 \
        CHECK_ROW_GROUP(r, g);                                                                 \
        if (!VALID(r)) continue;                                                               \
        double x = LOAD(r);                                                                    \
        if (count[g] == 0 || less(state[g], x)) state[g] = x;                                  \
        count[g] += 1;                                                                         \
      }                                                                                        \
      break;                                                                                   \
  }                                                                                            \
  return 0;

#define LOAD_V(r) v[r]
#define LOAD_I(r) ((double)v[r])
HOT int agg_f64(int fn, const double *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
                double *count, double *state, double *comp) { AGG_BODY(LOAD_V) }
HOT int agg_i32(int fn, const int32_t *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
                double *count, double *state, double *comp) { AGG_BODY(LOAD_I) }

HOT int agg_i64(int fn, const int64_t *v, const uint8_t *valid, const uint32_t *sel, const int32_t *groups, size_t n, size_t rows, size_t cap,
                double *count, double *hi, double *lo, int64_t *mm) {
  for (size_t i = 0; i < n; i++) {
    uint32_t r = ROW(i);
    int32_t g = groups[i];
    CHECK_ROW_GROUP(r, g);
    if (!VALID(r)) continue;
    int64_t x = v[r];
    if (fn == AGG_SUM) {
      hi[g] += (double)(int32_t)(x >> 32);
      lo[g] += (double)(uint32_t)x;
    } else if (fn == AGG_MIN) {
      if (count[g] == 0 || x < mm[g]) mm[g] = x;
    } else {
      if (count[g] == 0 || x > mm[g]) mm[g] = x;
    }
    count[g] += 1;
  }
  return 0;
}

HOT void bucket_f64(const double *v, const uint32_t *sel, size_t n, double width, double origin, double *out) {
  for (size_t i = 0; i < n; i++) out[i] = origin + floor((v[ROW(i)] - origin) / width) * width;
}

void hash_strings(const uint8_t *bytes, const int32_t *offsets, size_t count, uint32_t *out) {
  for (size_t i = 0; i < count; i++) {
    uint32_t h1 = 2166136261u, h2 = 0x811c9dc5u ^ 0x5bd1e995u;
    for (int32_t j = offsets[i]; j < offsets[i + 1]; j++) {
      h1 = (h1 ^ bytes[j]) * 16777619u;
      h2 = (h2 ^ bytes[j]) * 16777619u;
    }
    out[2 * i] = h1;
    out[2 * i + 1] = h2 ^ (h2 >> 15);
  }
}

const char *kernels_isa(void) {
#if HAVE_DISPATCH
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") ? "avx2" : "portable";
#else
  return "portable";
#endif
}

HOT int64_t bucket_runs(const double *v, const uint8_t *valid, const uint32_t *sel, size_t n, double width, double origin,
                        int32_t *starts, double *run_values, size_t max_runs) {
  size_t runs = 0;
  double last = 0;
  int last_null = -1;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = ROW(i);
    int is_null = valid && !((valid[r >> 3] >> (r & 7)) & 1);
    double b = is_null ? 0 : origin + floor((v[r] - origin) / width) * width;
    if (i > 0 && is_null == last_null && (is_null || b == last)) continue;
    if (runs == max_runs) return -1;
    starts[runs] = (int32_t)i;
    run_values[runs] = is_null ? NAN : b;
    runs++;
    last = b;
    last_null = is_null;
  }
  return (int64_t)runs;
}

HOT void fill_runs(const int32_t *starts, const int32_t *groups, size_t runs, size_t n, int32_t *out) {
  for (size_t k = 0; k < runs; k++) {
    size_t end = k + 1 < runs ? (size_t)starts[k + 1] : n;
    for (size_t i = (size_t)starts[k]; i < end; i++) out[i] = groups[k];
  }
}

/*
 * ids[i] = table[ids[i]] from `from` on, stopping at the first id whose entry is negative (returned;
 * n when none). An id outside the table stops it too, returning SIZE_MAX (the caller refuses).
 */
HOT size_t remap_groups(int32_t *ids, size_t from, size_t n, const int32_t *table, size_t table_length) {
  for (size_t i = from; i < n; i++) {
    int32_t id = ids[i];
    if (id < 0 || (size_t)id >= table_length) return SIZE_MAX;
    int32_t g = table[id];
    if (g < 0) return i;
    ids[i] = g;
  }
  return n;
}
