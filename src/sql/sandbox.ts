/**
 * The DuckDB instance queries run in, locked down before any user SQL runs:
 * no file system or network access (read_csv, COPY, ATTACH, INSTALL all
 * fail), no extension auto-loading, and a locked configuration (SET fails).
 * Datasets reach DuckDB only through the strata_scan table function.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface SandboxOptions {
  /** DuckDB worker threads. */
  threads?: number;
  /** Memory DuckDB may use for operators (sorts, hash tables), e.g. '2GB'. */
  memoryLimit?: string;
}

export async function openSandbox(options: SandboxOptions = {}): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', {
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    threads: String(options.threads ?? 2),
    ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}),
  });
  // TimeZone belongs to the built-in ICU extension, so it is set by SQL, and only then is the configuration locked.
  const con = await instance.connect();
  try {
    await con.run("SET GLOBAL TimeZone = 'UTC'");
    await con.run('SET GLOBAL lock_configuration = true');
  } finally {
    con.closeSync();
  }
  return instance;
}

export type { DuckDBConnection };
