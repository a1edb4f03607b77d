/*
 * Plain C loops for the benchmarks to measure the kernels against: the
 * simplest code a C programmer would write for the same work, compiled
 * with the same flags but without CPU dispatch, bounds checks or NULL
 * handling. Not used by queries.
 */
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

static void plain_filter_gt(const double *v, size_t n, double k, uint8_t *mask) {
  for (size_t i = 0; i < n; i++) mask[i] = v[i] > k;
}

static void plain_group_sum(const double *v, const int32_t *groups, size_t n, double *sum) {
  for (size_t i = 0; i < n; i++) sum[groups[i]] += v[i];
}

static void *array_data(napi_env env, napi_value v, size_t *length) {
  napi_typedarray_type type;
  void *data = NULL;
  *length = 0;
  if (napi_get_typedarray_info(env, v, &type, length, &data, NULL, NULL) != napi_ok) return NULL;
  return data;
}

/* baselineFilterGt(values: Float64Array, k: number, mask: Uint8Array) */
napi_value baseline_filter_gt(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; size_t n, m; double k;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double *v = array_data(env, argv[0], &n);
  uint8_t *mask = array_data(env, argv[2], &m);
  if (argc != 3 || !v || !mask || m < n || napi_get_value_double(env, argv[1], &k) != napi_ok) { napi_throw_type_error(env, NULL, "baselineFilterGt(values, k, mask)"); return NULL; }
  plain_filter_gt(v, n, k, mask);
  return NULL;
}

/* baselineGroupSum(values: Float64Array, groups: Int32Array, sum: Float64Array); group ids must index sum */
napi_value baseline_group_sum(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; size_t n, g, s;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double *v = array_data(env, argv[0], &n);
  int32_t *groups = array_data(env, argv[1], &g);
  double *sum = array_data(env, argv[2], &s);
  if (argc != 3 || !v || !groups || !sum || g < n) { napi_throw_type_error(env, NULL, "baselineGroupSum(values, groups, sum)"); return NULL; }
  for (size_t i = 0; i < n; i++) if (groups[i] < 0 || (size_t)groups[i] >= s) { napi_throw_range_error(env, NULL, "group outside sum"); return NULL; }
  plain_group_sum(v, groups, n, sum);
  return NULL;
}
