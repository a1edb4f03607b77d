import { Option } from 'commander';
import type { Command } from 'commander';
import { StrataError } from '../core/errors.js';
import { Strata } from '../db/strata.js';
import { defaultStoreLocation } from '../storage/open.js';
import type { OutputFormat } from './output.js';
import { outputFormats } from './output.js';

export function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(outputFormats).default('table');
}

export function storeLocation(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ store?: string }>();
  return opts.store ?? process.env.STRATA_STORE ?? defaultStoreLocation;
}

/** Opens the database for one command and always closes it. */
export async function withDb<T>(cmd: Command, fn: (db: Strata) => Promise<T>): Promise<T> {
  const db = await Strata.open({ store: storeLocation(cmd) });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function outputFormat(opts: { format?: string }): OutputFormat {
  return (opts.format ?? 'table') as OutputFormat;
}

export function parseInteger(what: string, raw: string): number {
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return n;
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
