/**
 * One error type for the whole database, with a stable code per cause.
 *
 * Codes never change meaning once published: clients (the CLI, HTTP callers,
 * streaming writers) branch on them. `docs/errors.md` lists every code and a
 * test keeps that page and this table in step.
 */

export const errorCodes = {
  STRATA_ERR_INVALID_NAME: 'A dataset or column name does not match [a-z][a-z0-9_]{0,62}.',
  STRATA_ERR_INVALID_SCHEMA: 'A schema, partition key or sort key is malformed or inconsistent.',
  STRATA_ERR_INVALID_ARGUMENT: 'An option or argument has a value the command cannot use.',
  STRATA_ERR_DATASET_EXISTS: 'A dataset with this name already exists.',
  STRATA_ERR_DATASET_NOT_FOUND: 'No dataset with this name exists in the store.',
  STRATA_ERR_WRITER_NOT_FOUND: 'The writer has no committed seq in the dataset\'s current history.',
  STRATA_ERR_COLUMN_EXISTS: 'The dataset already has a column with this name.',
  STRATA_ERR_BAD_ROW: 'A value in the batch cannot be stored in its column; nothing was written.',
  STRATA_ERR_BAD_FORMAT: 'The batch is not valid CSV, NDJSON or Arrow IPC; nothing was written.',
  STRATA_ERR_EMPTY_BATCH: 'The batch has no rows; nothing was written and no seq was used.',
  STRATA_ERR_UNKNOWN_COLUMN: 'The batch names a column the dataset does not have; nothing was written.',
  STRATA_ERR_SEQ_CONFLICT: 'The (writer, seq) pair was already committed with different content.',
  STRATA_ERR_SEQ_TOO_OLD: "The seq is at or below the writer's floor (older than the seqs kept per writer): whether it was stored is unknown, so it was not written.",
  STRATA_ERR_WRITER_MOVED: "The batch was sent to follow a writer's seq that is no longer its newest: another process wrote for that writer since; nothing was written.",
  STRATA_ERR_SEQ_REVERTED: 'The (writer, seq) pair was committed and then withdrawn by a revert: it is not stored, and is not stored again under that seq; send the batch under a new seq.',
  STRATA_ERR_INVALID_PREDICATE: 'A delete predicate does not parse as one DuckDB boolean expression over the dataset, or names a column it does not have; nothing was written.',
  STRATA_ERR_NOTHING_TO_REVERT: 'The version changed no rows, schema or writer (a create or a compaction), or a revert already withdrew it.',
  STRATA_ERR_REVERT_CONFLICT: 'Reverting the version would contradict a later one (a column still in use, a column name taken, a batch re-sent under the same seq); nothing was written.',
  STRATA_ERR_VERSION_NOT_FOUND: 'The requested version (or time) does not exist for this dataset.',
  STRATA_ERR_VERSION_VACUUMED: 'The version (or time) asked for is older than what a vacuum kept.',
  STRATA_ERR_TAG_NOT_FOUND: 'The dataset has no tag with this name.',
  STRATA_ERR_TAG_EXISTS: 'The tag already names another version of the dataset.',
  STRATA_ERR_READER_NOT_FOUND: 'The dataset has no registered change-feed reader with this name.',
  STRATA_ERR_COMMIT_CONFLICT: 'Too many concurrent commits won the race for the next version; retry.',
  STRATA_ERR_CHUNK_CORRUPT: 'A stored chunk failed its checksum or row-count check on read.',
  STRATA_ERR_CHUNK_MISSING: 'A chunk referenced by a committed version is missing from storage.',
  STRATA_ERR_VERSION_CORRUPT: 'A stored version record cannot be decoded.',
  STRATA_ERR_STORE_URL: 'The store location is not a path, memory: or cassandra:// URL.',
  STRATA_ERR_STORE_UNAVAILABLE: 'The storage backend cannot be reached; the operation can be retried.',
  STRATA_ERR_SQL_PARSE: 'The SQL text does not parse.',
  STRATA_ERR_SQL_READ_ONLY: 'Only a single read-only SELECT statement may be run.',
  STRATA_ERR_SQL_EXECUTION: 'DuckDB refused or failed to run the query (this includes sandbox refusals).',
  STRATA_ERR_LIMIT_EXCEEDED: 'A named limit (batch rows, batch bytes, result rows, ...) was exceeded.',
  STRATA_ERR_OVERLOADED: 'The ingest, query or change-feed queue is full; the request was not started. Retry after the Retry-After seconds.',
  STRATA_ERR_QUERY_TIMEOUT: 'The query (its answer included) took longer than queryMsMax and was stopped.',
  STRATA_ERR_UNAUTHORIZED: 'The request has no valid bearer token, and the server requires one.',
  STRATA_ERR_FORBIDDEN: "The token's role does not allow this operation.",
  STRATA_ERR_NOT_FOUND: 'No HTTP route answers this path.',
  STRATA_ERR_METHOD_NOT_ALLOWED: 'The HTTP path exists but not for this method (the Allow header lists those it answers).',
  STRATA_ERR_UNSUPPORTED_MEDIA_TYPE: 'The request body has a Content-Type the route does not read.',
  STRATA_ERR_INTERNAL: 'An internal invariant failed; this is a bug in Strata.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Facts about what the error concerns, for people and programs alike. */
export interface ErrorDetails {
  dataset?: string;
  column?: string;
  /** 1-based line of a CSV/NDJSON input, or 1-based row of an Arrow batch. */
  line?: number;
  row?: number;
  value?: string;
  version?: number;
  limit?: string;
  retryable?: boolean;
  [key: string]: unknown;
}

export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StrataError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string } & ErrorDetails {
    return { code: this.code, message: this.message, ...this.details };
  }
}

export function isStrataError(e: unknown, code?: ErrorCode): e is StrataError {
  return e instanceof StrataError && (code === undefined || e.code === code);
}
