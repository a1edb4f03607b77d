/**
 * The DuckDB instance queries run in, locked down before any user SQL runs:
 * no file system or network access (read_csv, glob, COPY, ATTACH, INSTALL all
 * fail), no temporary directory (nothing spills to disk, so no query can
 * name a folder DuckDB writes to; a query that needs more than its memory
 * limit fails instead), no extension auto-loading, and a locked
 * configuration (SET fails). Datasets reach DuckDB only through the
 * strata_scan table function.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface SandboxOptions {
  /** DuckDB worker threads (duckdbThreads). */
  threads: number;
  /** Memory DuckDB may use for operators (duckdbMemoryBytesMax). */
  memoryBytes: number;
}

export async function openSandbox(options: SandboxOptions): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    threads: String(options.threads),
    memory_limit: `${Math.floor(options.memoryBytes / 1024)}KiB`,
  });
  // The temporary directory can only be switched off while external access is still on, and the
  // time zone belongs to the built-in ICU extension: both are set by SQL, then everything is locked.
  const con = await instance.connect();
  try {
    await con.run("SET GLOBAL temp_directory = ''");
    await con.run("SET GLOBAL TimeZone = 'UTC'");
    await con.run('SET GLOBAL enable_external_access = false');
    await con.run('SET GLOBAL lock_configuration = true');
  } finally {
    con.closeSync();
  }
  return instance;
}

export type { DuckDBConnection };
