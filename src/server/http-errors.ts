import type { ErrorCode, StrataError } from '../core/errors.js';

/** The HTTP status of each error code (docs/errors.md says the same in words). */
const statusByCode: Record<ErrorCode, number> = {
  STRATA_ERR_INVALID_NAME: 400,
  STRATA_ERR_INVALID_SCHEMA: 400,
  STRATA_ERR_INVALID_ARGUMENT: 400,
  STRATA_ERR_DATASET_EXISTS: 409,
  STRATA_ERR_DATASET_NOT_FOUND: 404,
  STRATA_ERR_WRITER_NOT_FOUND: 404,
  STRATA_ERR_COLUMN_EXISTS: 409,
  STRATA_ERR_BAD_ROW: 400,
  STRATA_ERR_BAD_FORMAT: 400,
  STRATA_ERR_EMPTY_BATCH: 400,
  STRATA_ERR_UNKNOWN_COLUMN: 400,
  STRATA_ERR_SEQ_CONFLICT: 409,
  STRATA_ERR_SEQ_TOO_OLD: 409,
  STRATA_ERR_VERSION_NOT_FOUND: 404,
  STRATA_ERR_COMMIT_CONFLICT: 503,
  STRATA_ERR_CHUNK_CORRUPT: 500,
  STRATA_ERR_CHUNK_MISSING: 500,
  STRATA_ERR_VERSION_CORRUPT: 500,
  STRATA_ERR_STORE_URL: 500,
  STRATA_ERR_STORE_UNAVAILABLE: 503,
  STRATA_ERR_SQL_PARSE: 400,
  STRATA_ERR_SQL_READ_ONLY: 400,
  STRATA_ERR_SQL_EXECUTION: 400,
  STRATA_ERR_LIMIT_EXCEEDED: 400,
  STRATA_ERR_OVERLOADED: 429,
  STRATA_ERR_QUERY_TIMEOUT: 408,
  STRATA_ERR_UNAUTHORIZED: 401,
  STRATA_ERR_FORBIDDEN: 403,
  STRATA_ERR_NOT_FOUND: 404,
  STRATA_ERR_METHOD_NOT_ALLOWED: 405,
  STRATA_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  STRATA_ERR_INTERNAL: 500,
};

export function httpStatus(e: StrataError): number {
  // A body over its size or row limit is "payload too large"; other limits are a bad request.
  if (e.code === 'STRATA_ERR_LIMIT_EXCEEDED' && typeof e.details.limit === 'string' && /^(batch|requestBody)/.test(e.details.limit)) return 413;
  if (e.code === 'STRATA_ERR_LIMIT_EXCEEDED' && e.details.limit === 'uploadIdleMsMax') return 408;
  return statusByCode[e.code];
}
