import { StrataError } from './errors.js';

/**
 * Dataset and column names. The pattern keeps every name a safe file name
 * and a plain SQL identifier, so nothing a user types can reach a path
 * outside the store or need quoting.
 */
export const namePattern = /^[a-z][a-z0-9_]{0,62}$/;

export function validateName(kind: 'dataset' | 'column' | 'writer', name: string): string {
  if (typeof name !== 'string' || !namePattern.test(name)) {
    throw new StrataError(
      'STRATA_ERR_INVALID_NAME',
      `invalid ${kind} name ${JSON.stringify(name)}: use a lowercase letter followed by up to 62 lowercase letters, digits or underscores`,
      kind === 'dataset' ? { dataset: String(name) } : { column: String(name) },
    );
  }
  return name;
}

/** Writer ids travel in headers and version records; keep them printable and short. */
export const writerPattern = /^[A-Za-z0-9._:@/-]{1,128}$/;

export function validateWriter(writer: string): string {
  if (typeof writer !== 'string' || !writerPattern.test(writer)) {
    throw new StrataError(
      'STRATA_ERR_INVALID_ARGUMENT',
      `invalid writer id ${JSON.stringify(writer)}: 1-128 characters of letters, digits and . _ : @ / -`,
    );
  }
  return writer;
}

export function validateSeq(seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new StrataError('STRATA_ERR_INVALID_ARGUMENT', `invalid seq ${String(seq)}: a non-negative integer is required`);
  }
  return seq;
}
