import { StrataError } from '../core/errors.js';

/**
 * The one storage seam. Backends: local files (embedded default), memory,
 * and Cassandra. Every backend must pass `test/storage/conformance.ts`.
 *
 * The store does not interpret version records or chunk bytes; it gives the
 * version layer two guarantees that make commits safe:
 * - `putVersion` is put-if-absent: of two writers racing for version v,
 *   exactly one gets `true`, and a reader never sees a partly written record;
 * - chunk columns are immutable and content-addressed, so writing the same
 *   chunk twice is harmless.
 */

export interface ChunkAddress {
  readonly dataset: string;
  /** Partition id (hex): one storage partition (a folder, a Cassandra partition). */
  readonly partition: string;
  readonly chunk: string;
  /**
   * The time slot (UTC day number) the chunk was written in. A backend whose
   * partitions must stay bounded (Cassandra) splits a Strata partition by it;
   * others may ignore it. Always read back with the value it was written with.
   */
  readonly bucket?: number;
}

export const objectKinds = ['segment', 'checkpoint', 'tag', 'horizon', 'setting', 'reader'] as const;
export type ObjectKind = (typeof objectKinds)[number];

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** Object names: lowercase hex, so they are safe as file names and keys everywhere. */
export const objectNamePattern = /^[0-9a-f]{8,64}$/;

/** The UTC day number of a time: the bucket new chunks are written to. */
export function bucketOf(timeMs: number): number {
  return Math.floor(timeMs / 86_400_000);
}

export interface Store {
  /** What the user named: a path, `memory:`, or a cassandra:// URL. */
  readonly location: string;

  /** Writes `record` as version `version` unless that version exists. True if this call wrote it. */
  putVersion(dataset: string, version: number, record: Uint8Array): Promise<boolean>;
  getVersion(dataset: string, version: number): Promise<Uint8Array | undefined>;
  /**
   * The highest committed version, or undefined when the dataset does not
   * exist. `from` is a version known to exist, a hint that lets a backend
   * probe forward instead of listing everything.
   */
  headVersion(dataset: string, from?: number): Promise<number | undefined>;
  /**
   * Optional: a value that differs whenever the dataset's version records
   * have changed since it was taken (added, deleted, the dataset dropped and
   * created again), or null when the backend cannot promise that right now.
   * Equal stamps let a head check skip reading the store.
   */
  versionsStamp?(dataset: string): Promise<string | null>;
  /** Names of datasets that have a version 0. */
  listDatasets(): Promise<string[]>;
  /** Removes a dataset's versions and chunks. False when it did not exist. */
  dropDataset(dataset: string): Promise<boolean>;
  /** Deletes version records (vacuum; never version 0, which says the dataset exists). Missing ones are ignored. */
  deleteVersions(dataset: string, versions: readonly number[]): Promise<void>;

  /** Stores all columns of one chunk; idempotent. (Chunks written before segments; still read.) */
  putChunk(addr: ChunkAddress, columns: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** Reads the named columns of one chunk; a missing column is absent from the map. */
  getChunkColumns(addr: ChunkAddress, columns: readonly string[]): Promise<Map<string, Uint8Array>>;

  /**
   * Writes an object whole and durably before returning: a segment (the
   * chunk columns of one commit), a checkpoint (a snapshot), a tag (a name
   * for a version), a horizon marker (where a vacuum keeps history from), a
   * setting (a dataset's retention) or a reader's cursor; all but segments
   * and checkpoints may be written again under one name.
   * Names are 8 to 64 lowercase hex digits. Writing a name again with the
   * same bytes is harmless; a reader never sees part of an object.
   */
  putObject(dataset: string, kind: ObjectKind, name: string, bytes: Uint8Array): Promise<void>;
  /**
   * Reads byte ranges of an object (the whole object, as one piece, when
   * `ranges` is omitted); undefined when the object does not exist. A range
   * beyond the object's end is an error.
   */
  readObject(dataset: string, kind: ObjectKind, name: string, ranges?: readonly ByteRange[]): Promise<Uint8Array[] | undefined>;
  /** Names of a dataset's objects of one kind, sorted. */
  listObjects(dataset: string, kind: ObjectKind): Promise<string[]>;
  /** Deletes objects; names that do not exist are ignored. */
  deleteObjects(dataset: string, kind: ObjectKind, names: readonly string[]): Promise<void>;

  close(): Promise<void>;
}

/** Checks an object name and kind (every backend refuses the same names). */
export function checkObject(kind: ObjectKind, name: string): void {
  if (!objectKinds.includes(kind) || !objectNamePattern.test(name)) {
    throw new StrataError('STRATA_ERR_INTERNAL', `bad object ${kind}/${name}`);
  }
}

/** Checks that ranges lie inside an object of `size` bytes. */
export function checkRanges(ranges: readonly ByteRange[], size: number, what: string): void {
  for (const r of ranges) {
    if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length) || r.offset < 0 || r.length < 0 || r.offset + r.length > size) {
      throw new StrataError('STRATA_ERR_CHUNK_CORRUPT', `${what}: bytes ${r.offset}..${r.offset + r.length} lie outside its ${size} bytes`);
    }
  }
}
