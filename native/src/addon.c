/*
 * The Node-API face of the kernels: each function takes typed arrays (or
 * null where a kernel accepts none) and numbers, checks every length
 * against what the kernel will touch, and calls the kernel on the arrays'
 * own memory. Nothing is allocated per call but the return value.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include "kernels.h"

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "STRATA_ERR_INTERNAL", "native kernel: N-API call failed: " #call); return NULL; } } while (0)
#define FAIL(msg) do { napi_throw_type_error(env, "STRATA_ERR_INTERNAL", msg); return NULL; } while (0)

typedef struct { void *data; size_t length; int present; } Arr;

/* A typed array of the given kind (or null/undefined when allowed). length is in elements. */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, int nullable, Arr *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) { out->data = NULL; out->length = 0; out->present = 0; return nullable; }
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok) return 0;
  /* Uint8ClampedArray behaves as Uint8Array for the kernels. */
  if (type == napi_uint8_clamped_array) type = napi_uint8_array;
  if (type != want) return 0;
  out->data = data; out->length = length; out->present = 1;
  return 1;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc == want;
}

static int get_size(napi_env env, napi_value v, size_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > 4294967295.0 || d != (double)(size_t)d) return 0;
  *out = (size_t)d;
  return 1;
}

static int get_int(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == napi_ok; }
static int get_double(napi_env env, napi_value v, double *out) { return napi_get_value_double(env, v, out) == napi_ok; }
static int get_i64(napi_env env, napi_value v, int64_t *out) {
  bool lossless;
  return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok && lossless;
}

static napi_value number(napi_env env, double d) { napi_value r; napi_create_double(env, d, &r); return r; }

/* lz4FrameDecode(src: Uint8Array, dst: Uint8Array): number */
static napi_value js_lz4(napi_env env, napi_callback_info info) {
  napi_value argv[2]; Arr src, dst;
  if (!get_args(env, info, 2, argv) || !get_array(env, argv[0], napi_uint8_array, 0, &src) || !get_array(env, argv[1], napi_uint8_array, 0, &dst))
    FAIL("lz4FrameDecode(src: Uint8Array, dst: Uint8Array)");
  int64_t w = lz4_frame_decode(src.data, src.length, dst.data, dst.length);
  if (w < 0) {
    const char *why = w == LZ4_ERR_OVERFLOW ? "decodes to more bytes than expected" : w == LZ4_ERR_TRUNCATED ? "is cut short" : w == LZ4_ERR_OFFSET ? "refers back outside its data" : "is not an LZ4 frame";
    char msg[96];
    snprintf(msg, sizeof msg, "LZ4 frame %s", why);
    napi_throw_error(env, "STRATA_ERR_CHUNK_CORRUPT", msg);
    return NULL;
  }
  return number(env, (double)w);
}

/* filterF64/I32(values, n, op, a, b, mask); filterI64(values, n, op, a: bigint, b: bigint, mask) */
static napi_value filter_numeric(napi_env env, napi_callback_info info, napi_typedarray_type kind) {
  napi_value argv[6]; Arr v, mask; size_t n; int32_t op;
  if (!get_args(env, info, 6, argv) || !get_array(env, argv[0], kind, 0, &v) || !get_size(env, argv[1], &n) || !get_int(env, argv[2], &op) ||
      !get_array(env, argv[5], napi_uint8_array, 0, &mask) || n > v.length || n > mask.length || op < OP_EQ || op > OP_BETWEEN)
    FAIL("filter(values, n, op, a, b, mask: Uint8Array)");
  if (kind == napi_bigint64_array) {
    int64_t a, b;
    if (!get_i64(env, argv[3], &a) || !get_i64(env, argv[4], &b)) FAIL("filterI64: constants must be int64 bigints");
    filter_i64(v.data, n, op, a, b, mask.data);
  } else {
    double a, b;
    if (!get_double(env, argv[3], &a) || !get_double(env, argv[4], &b) || a != a || b != b) FAIL("filter: constants must be numbers, not NaN");
    if (kind == napi_float64_array) filter_f64(v.data, n, op, a, b, mask.data); else filter_i32(v.data, n, op, a, b, mask.data);
  }
  return NULL;
}
static napi_value js_filter_f64(napi_env env, napi_callback_info info) { return filter_numeric(env, info, napi_float64_array); }
static napi_value js_filter_i32(napi_env env, napi_callback_info info) { return filter_numeric(env, info, napi_int32_array); }
static napi_value js_filter_i64(napi_env env, napi_callback_info info) { return filter_numeric(env, info, napi_bigint64_array); }

/* filterCodes(codes: Int32Array | Uint8Array, n, ok: Uint8Array, mask) */
static napi_value js_filter_codes(napi_env env, napi_callback_info info) {
  napi_value argv[4]; Arr codes, ok, mask; size_t n;
  if (!get_args(env, info, 4, argv) || !get_size(env, argv[1], &n) || !get_array(env, argv[2], napi_uint8_array, 0, &ok) ||
      !get_array(env, argv[3], napi_uint8_array, 0, &mask) || n > mask.length) FAIL("filterCodes(codes, n, ok: Uint8Array, mask: Uint8Array)");
  if (get_array(env, argv[0], napi_int32_array, 0, &codes) && n <= codes.length) filter_codes_i32(codes.data, n, ok.data, ok.length, mask.data);
  else if (get_array(env, argv[0], napi_uint8_array, 0, &codes) && n <= codes.length) filter_codes_u8(codes.data, n, ok.data, ok.length, mask.data);
  else FAIL("filterCodes: codes must be an Int32Array or Uint8Array of at least n entries");
  return NULL;
}

/* filterValid(bits, n, want: 0|1, mask) */
static napi_value js_filter_valid(napi_env env, napi_callback_info info) {
  napi_value argv[4]; Arr bits, mask; size_t n; int32_t want;
  if (!get_args(env, info, 4, argv) || !get_array(env, argv[0], napi_uint8_array, 0, &bits) || !get_size(env, argv[1], &n) || !get_int(env, argv[2], &want) ||
      !get_array(env, argv[3], napi_uint8_array, 0, &mask) || n > mask.length || (n + 7) / 8 > bits.length) FAIL("filterValid(bits, n, want, mask)");
  filter_valid(bits.data, n, want, mask.data);
  return NULL;
}

/* maskSelect(mask, n, out: Uint32Array): number */
static napi_value js_mask_select(napi_env env, napi_callback_info info) {
  napi_value argv[3]; Arr mask, out; size_t n;
  if (!get_args(env, info, 3, argv) || !get_array(env, argv[0], napi_uint8_array, 0, &mask) || !get_size(env, argv[1], &n) ||
      !get_array(env, argv[2], napi_uint32_array, 0, &out) || n > mask.length || n > out.length) FAIL("maskSelect(mask, n, out: Uint32Array)");
  return number(env, (double)mask_select(mask.data, n, out.data));
}

/* Group ids and rows are checked inside the kernels' loops; a failure is a caller's bug. */
static napi_value bad_rows(napi_env env) {
  napi_throw_range_error(env, "STRATA_ERR_INTERNAL", "native kernel: a row or group id outside the arrays given");
  return NULL;
}

/* The validity bitmap must cover the column's rows. */
static int valid_covers(const Arr *valid, size_t rows) { return !valid->present || valid->length >= (rows + 7) / 8; }

/* aggCount(valid, sel, groups, n, rows, count) */
static napi_value js_agg_count(napi_env env, napi_callback_info info) {
  napi_value argv[6]; Arr valid, sel, groups, count; size_t n, rows;
  if (!get_args(env, info, 6, argv) || !get_array(env, argv[0], napi_uint8_array, 1, &valid) || !get_array(env, argv[1], napi_uint32_array, 1, &sel) ||
      !get_array(env, argv[2], napi_int32_array, 0, &groups) || !get_size(env, argv[3], &n) || !get_size(env, argv[4], &rows) ||
      !get_array(env, argv[5], napi_float64_array, 0, &count) || n > groups.length || (sel.present && n > sel.length) || (!sel.present && valid.present && n > rows) ||
      !valid_covers(&valid, rows)) FAIL("aggCount(valid, sel, groups, n, rows, count)");
  if (agg_count(valid.data, sel.data, groups.data, n, valid.present ? rows : (size_t)-1, count.length, count.data) < 0) return bad_rows(env);
  return NULL;
}

static size_t min3(size_t a, size_t b, size_t c) { size_t m = a < b ? a : b; return m < c ? m : c; }

/* aggF64/aggI32(fn, values, valid, sel, groups, n, count, state, comp) */
static napi_value agg_numeric(napi_env env, napi_callback_info info, napi_typedarray_type kind) {
  napi_value argv[9]; Arr v, valid, sel, groups, count, state, comp; size_t n; int32_t fn;
  if (!get_args(env, info, 9, argv) || !get_int(env, argv[0], &fn) || !get_array(env, argv[1], kind, 0, &v) || !get_array(env, argv[2], napi_uint8_array, 1, &valid) ||
      !get_array(env, argv[3], napi_uint32_array, 1, &sel) || !get_array(env, argv[4], napi_int32_array, 0, &groups) || !get_size(env, argv[5], &n) ||
      !get_array(env, argv[6], napi_float64_array, 0, &count) || !get_array(env, argv[7], napi_float64_array, 0, &state) || !get_array(env, argv[8], napi_float64_array, 0, &comp) ||
      fn < AGG_SUM || fn > AGG_MAX || n > groups.length || (sel.present && n > sel.length) || !valid_covers(&valid, v.length))
    FAIL("agg(fn, values, valid, sel, groups, n, count, state, comp)");
  size_t cap = min3(count.length, state.length, comp.length);
  int rc = kind == napi_float64_array
    ? agg_f64(fn, v.data, valid.data, sel.data, groups.data, n, v.length, cap, count.data, state.data, comp.data)
    : agg_i32(fn, v.data, valid.data, sel.data, groups.data, n, v.length, cap, count.data, state.data, comp.data);
  return rc < 0 ? bad_rows(env) : NULL;
}
static napi_value js_agg_f64(napi_env env, napi_callback_info info) { return agg_numeric(env, info, napi_float64_array); }
static napi_value js_agg_i32(napi_env env, napi_callback_info info) { return agg_numeric(env, info, napi_int32_array); }

/* aggI64(fn, values, valid, sel, groups, n, count, hi, lo, mm) */
static napi_value js_agg_i64(napi_env env, napi_callback_info info) {
  napi_value argv[10]; Arr v, valid, sel, groups, count, hi, lo, mm; size_t n; int32_t fn;
  if (!get_args(env, info, 10, argv) || !get_int(env, argv[0], &fn) || !get_array(env, argv[1], napi_bigint64_array, 0, &v) ||
      !get_array(env, argv[2], napi_uint8_array, 1, &valid) || !get_array(env, argv[3], napi_uint32_array, 1, &sel) ||
      !get_array(env, argv[4], napi_int32_array, 0, &groups) || !get_size(env, argv[5], &n) || !get_array(env, argv[6], napi_float64_array, 0, &count) ||
      !get_array(env, argv[7], napi_float64_array, 0, &hi) || !get_array(env, argv[8], napi_float64_array, 0, &lo) || !get_array(env, argv[9], napi_bigint64_array, 0, &mm) ||
      fn < AGG_SUM || fn > AGG_MAX || n >= (1u << 21) || n > groups.length || (sel.present && n > sel.length) || !valid_covers(&valid, v.length))
    FAIL("aggI64(fn, values, valid, sel, groups, n < 2^21, count, hi, lo, mm)");
  size_t cap = min3(count.length, hi.length, lo.length);
  if (mm.length < cap) cap = mm.length;
  if (agg_i64(fn, v.data, valid.data, sel.data, groups.data, n, v.length, cap, count.data, hi.data, lo.data, mm.data) < 0) return bad_rows(env);
  return NULL;
}

/* bucketF64(values, sel, n, width, origin, out) */
static napi_value js_bucket(napi_env env, napi_callback_info info) {
  napi_value argv[6]; Arr v, sel, out; size_t n; double width, origin;
  if (!get_args(env, info, 6, argv) || !get_array(env, argv[0], napi_float64_array, 0, &v) || !get_array(env, argv[1], napi_uint32_array, 1, &sel) ||
      !get_size(env, argv[2], &n) || !get_double(env, argv[3], &width) || !get_double(env, argv[4], &origin) || !get_array(env, argv[5], napi_float64_array, 0, &out) ||
      n > out.length || !(width > 0)) FAIL("bucketF64(values, sel, n, width > 0, origin, out)");
  if (sel.present) { if (n > sel.length) FAIL("bucketF64: sel shorter than n"); for (size_t i = 0; i < n; i++) if (((uint32_t *)sel.data)[i] >= v.length) FAIL("bucketF64: row outside values"); }
  else if (n > v.length) FAIL("bucketF64: n beyond values");
  bucket_f64(v.data, sel.data, n, width, origin, out.data);
  return NULL;
}

/* bucketRuns(values, valid, sel, n, width, origin, starts: Int32Array, runValues: Float64Array): number (-1: too many runs) */
static napi_value js_bucket_runs(napi_env env, napi_callback_info info) {
  napi_value argv[8]; Arr v, valid, sel, starts, runs; size_t n; double width, origin;
  if (!get_args(env, info, 8, argv) || !get_array(env, argv[0], napi_float64_array, 0, &v) || !get_array(env, argv[1], napi_uint8_array, 1, &valid) ||
      !get_array(env, argv[2], napi_uint32_array, 1, &sel) || !get_size(env, argv[3], &n) || !get_double(env, argv[4], &width) || !get_double(env, argv[5], &origin) ||
      !get_array(env, argv[6], napi_int32_array, 0, &starts) || !get_array(env, argv[7], napi_float64_array, 0, &runs) || !(width > 0))
    FAIL("bucketRuns(values, valid, sel, n, width > 0, origin, starts, runValues)");
  if (sel.present) { if (n > sel.length) FAIL("bucketRuns: sel shorter than n"); for (size_t i = 0; i < n; i++) if (((uint32_t *)sel.data)[i] >= v.length) FAIL("bucketRuns: row outside values"); }
  else if (n > v.length) FAIL("bucketRuns: n beyond values");
  if (valid.present && valid.length < (v.length + 7) / 8) FAIL("bucketRuns: validity shorter than values");
  size_t max_runs = starts.length < runs.length ? starts.length : runs.length;
  return number(env, (double)bucket_runs(v.data, valid.data, sel.data, n, width, origin, starts.data, runs.data, max_runs));
}

/* fillRuns(starts, groups, runs, n, out) */
static napi_value js_fill_runs(napi_env env, napi_callback_info info) {
  napi_value argv[5]; Arr starts, groups, out; size_t runs, n;
  if (!get_args(env, info, 5, argv) || !get_array(env, argv[0], napi_int32_array, 0, &starts) || !get_array(env, argv[1], napi_int32_array, 0, &groups) ||
      !get_size(env, argv[2], &runs) || !get_size(env, argv[3], &n) || !get_array(env, argv[4], napi_int32_array, 0, &out) ||
      runs > starts.length || runs > groups.length || n > out.length) FAIL("fillRuns(starts, groups, runs, n, out)");
  const int32_t *st = starts.data;
  for (size_t k = 0; k < runs; k++) if (st[k] < 0 || (size_t)st[k] > n || (k > 0 && st[k] < st[k - 1])) FAIL("fillRuns: run starts out of order or outside n");
  fill_runs(starts.data, groups.data, runs, n, out.data);
  return NULL;
}

/* remapGroups(ids, from, n, table): number */
static napi_value js_remap_groups(napi_env env, napi_callback_info info) {
  napi_value argv[4]; Arr ids, table; size_t from, n;
  if (!get_args(env, info, 4, argv) || !get_array(env, argv[0], napi_int32_array, 0, &ids) || !get_size(env, argv[1], &from) ||
      !get_size(env, argv[2], &n) || !get_array(env, argv[3], napi_int32_array, 0, &table) || n > ids.length || from > n)
    FAIL("remapGroups(ids, from <= n, n <= ids.length, table)");
  size_t at = remap_groups(ids.data, from, n, table.data, table.length);
  if (at == SIZE_MAX) FAIL("remapGroups: an id outside the table");
  return number(env, (double)at);
}

/* hashStrings(bytes, offsets, count, out: Uint32Array of 2*count) */
static napi_value js_hash(napi_env env, napi_callback_info info) {
  napi_value argv[4]; Arr bytes, offsets, out; size_t count;
  if (!get_args(env, info, 4, argv) || !get_array(env, argv[0], napi_uint8_array, 0, &bytes) || !get_array(env, argv[1], napi_int32_array, 0, &offsets) ||
      !get_size(env, argv[2], &count) || !get_array(env, argv[3], napi_uint32_array, 0, &out) || offsets.length < count + 1 || out.length < 2 * count)
    FAIL("hashStrings(bytes, offsets, count, out)");
  const int32_t *o = offsets.data;
  for (size_t i = 0; i < count; i++) if (o[i] < 0 || o[i] > o[i + 1] || (size_t)o[i + 1] > bytes.length) FAIL("hashStrings: offsets out of order or outside bytes");
  hash_strings(bytes.data, offsets.data, count, out.data);
  return NULL;
}

/* Plain loops for the benchmarks (baseline.c). */
napi_value baseline_filter_gt(napi_env env, napi_callback_info info);
napi_value baseline_group_sum(napi_env env, napi_callback_info info);

/*
 * Decoded chunk columns are buffers of tens to hundreds of KiB, allocated by
 * the thousand and freed when the cache lets them go. glibc serves blocks
 * above its mmap threshold (128 KiB until a freed mapping raises it) with
 * fresh mappings, so every decode page-faults its whole output: measured,
 * 20-40 % of a 512 KiB column's decode. Raising the threshold to 32 MiB
 * (glibc's own ceiling) and trimming the heap only beyond 64 MiB free lets
 * freed columns' memory be reused. Once per process; STRATA_MALLOC_TUNE=0
 * leaves malloc as it is. Returns whether the settings took.
 */
static int tune_malloc(void) {
#if defined(__GLIBC__)
  static int done = -1;
  if (done >= 0) return done;
  const char *off = getenv("STRATA_MALLOC_TUNE");
  if (off && strcmp(off, "0") == 0) return done = 0;
  done = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1 && mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024) == 1;
  return done;
#else
  return 0;
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  int tuned = tune_malloc();
  napi_property_descriptor props[] = {
    { "lz4FrameDecode", NULL, js_lz4, NULL, NULL, NULL, napi_enumerable, NULL },
    { "filterF64", NULL, js_filter_f64, NULL, NULL, NULL, napi_enumerable, NULL },
    { "filterI32", NULL, js_filter_i32, NULL, NULL, NULL, napi_enumerable, NULL },
    { "filterI64", NULL, js_filter_i64, NULL, NULL, NULL, napi_enumerable, NULL },
    { "filterCodes", NULL, js_filter_codes, NULL, NULL, NULL, napi_enumerable, NULL },
    { "filterValid", NULL, js_filter_valid, NULL, NULL, NULL, napi_enumerable, NULL },
    { "maskSelect", NULL, js_mask_select, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aggCount", NULL, js_agg_count, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aggF64", NULL, js_agg_f64, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aggI32", NULL, js_agg_i32, NULL, NULL, NULL, napi_enumerable, NULL },
    { "aggI64", NULL, js_agg_i64, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bucketF64", NULL, js_bucket, NULL, NULL, NULL, napi_enumerable, NULL },
    { "hashStrings", NULL, js_hash, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bucketRuns", NULL, js_bucket_runs, NULL, NULL, NULL, napi_enumerable, NULL },
    { "fillRuns", NULL, js_fill_runs, NULL, NULL, NULL, napi_enumerable, NULL },
    { "remapGroups", NULL, js_remap_groups, NULL, NULL, NULL, napi_enumerable, NULL },
    { "baselineFilterGt", NULL, baseline_filter_gt, NULL, NULL, NULL, napi_enumerable, NULL },
    { "baselineGroupSum", NULL, baseline_group_sum, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_value isa;
  napi_create_string_utf8(env, kernels_isa(), NAPI_AUTO_LENGTH, &isa);
  napi_set_named_property(env, exports, "isa", isa);
  napi_value malloc_tuned;
  napi_get_boolean(env, tuned, &malloc_tuned);
  napi_set_named_property(env, exports, "mallocTuned", malloc_tuned);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
