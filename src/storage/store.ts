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
  /** Names of datasets that have a version 0. */
  listDatasets(): Promise<string[]>;
  /** Removes a dataset's versions and chunks. False when it did not exist. */
  dropDataset(dataset: string): Promise<boolean>;

  /** Stores all columns of one chunk; idempotent. */
  putChunk(addr: ChunkAddress, columns: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /** Reads the named columns of one chunk; a missing column is absent from the map. */
  getChunkColumns(addr: ChunkAddress, columns: readonly string[]): Promise<Map<string, Uint8Array>>;

  close(): Promise<void>;
}
