import { StrataError } from './errors.js';

/** Programmer errors: an invariant that must hold whatever the input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StrataError('STRATA_ERR_INTERNAL', `invariant failed: ${message}`);
}
