import { createRequire } from 'node:module';
import path from 'node:path';
import { StrataError } from '../core/errors.js';

/**
 * Path of weather.csv in the vega-datasets package, a development dependency
 * (npm ci installs it; a production install does not carry 7 MB of sample data).
 * Its exports map hides data/, so the path is resolved from its entry point.
 */
export function weatherCsvPath(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('vega-datasets');
  } catch {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', 'the demo reads weather.csv from the vega-datasets package, a development dependency: run npm ci in the Strata folder');
  }
  return path.join(path.dirname(entry), '..', 'data', 'weather.csv');
}
