import { createRequire } from 'node:module';
import path from 'node:path';

/** Path of weather.csv in the vega-datasets package (its exports map hides data/, so resolve from its entry point). */
export function weatherCsvPath(): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return path.join(path.dirname(entry), '..', 'data', 'weather.csv');
}
