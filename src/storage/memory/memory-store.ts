import type { ByteRange, ChunkAddress, ObjectKind, Store } from '../store.js';
import { checkObject, checkRanges } from '../store.js';

/** A copy that shares no memory with its source (a Buffer's slice would). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A whole store in this process's memory: fast, and gone when the process ends. */
export class MemoryStore implements Store {
  readonly location = 'memory:';
  private readonly versions = new Map<string, Map<number, Uint8Array>>();
  private readonly chunks = new Map<string, Map<string, Uint8Array>>();
  /** dataset -> "kind/name" -> bytes */
  private readonly objects = new Map<string, Map<string, Uint8Array>>();

  async putVersion(dataset: string, version: number, record: Uint8Array): Promise<boolean> {
    let log = this.versions.get(dataset);
    if (!log) { log = new Map(); this.versions.set(dataset, log); }
    if (log.has(version)) return false;
    log.set(version, copy(record));
    return true;
  }

  async getVersion(dataset: string, version: number): Promise<Uint8Array | undefined> {
    const r = this.versions.get(dataset)?.get(version);
    return r && copy(r);
  }

  async headVersion(dataset: string): Promise<number | undefined> {
    const log = this.versions.get(dataset);
    if (!log || !log.has(0)) return undefined;
    let head = 0;
    for (const v of log.keys()) if (v > head) head = v;
    return head;
  }

  async listDatasets(): Promise<string[]> {
    return [...this.versions.entries()].filter(([, log]) => log.has(0)).map(([name]) => name).sort();
  }

  async dropDataset(dataset: string): Promise<boolean> {
    const existed = this.versions.get(dataset)?.has(0) ?? false;
    this.versions.delete(dataset);
    this.chunks.delete(dataset);
    this.objects.delete(dataset);
    return existed;
  }

  async deleteVersions(dataset: string, versions: readonly number[]): Promise<void> {
    for (const v of versions) if (v > 0) this.versions.get(dataset)?.delete(v);
  }

  async putChunk(addr: ChunkAddress, columns: ReadonlyMap<string, Uint8Array>): Promise<void> {
    let chunks = this.chunks.get(addr.dataset);
    if (!chunks) { chunks = new Map(); this.chunks.set(addr.dataset, chunks); }
    for (const [name, bytes] of columns) chunks.set(`${addr.partition}/${addr.chunk}/${name}`, copy(bytes));
  }

  async getChunkColumns(addr: ChunkAddress, columns: readonly string[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const chunks = this.chunks.get(addr.dataset);
    for (const name of columns) {
      const bytes = chunks?.get(`${addr.partition}/${addr.chunk}/${name}`);
      if (bytes) out.set(name, copy(bytes));
    }
    return out;
  }

  async putObject(dataset: string, kind: ObjectKind, name: string, bytes: Uint8Array): Promise<void> {
    checkObject(kind, name);
    let objects = this.objects.get(dataset);
    if (!objects) { objects = new Map(); this.objects.set(dataset, objects); }
    objects.set(`${kind}/${name}`, copy(bytes));
  }

  async readObject(dataset: string, kind: ObjectKind, name: string, ranges?: readonly ByteRange[]): Promise<Uint8Array[] | undefined> {
    checkObject(kind, name);
    const bytes = this.objects.get(dataset)?.get(`${kind}/${name}`);
    if (!bytes) return undefined;
    if (!ranges) return [copy(bytes)];
    checkRanges(ranges, bytes.length, `${kind} ${name}`);
    return ranges.map((r) => copy(bytes.subarray(r.offset, r.offset + r.length)));
  }

  async listObjects(dataset: string, kind: ObjectKind): Promise<string[]> {
    const prefix = `${kind}/`;
    return [...(this.objects.get(dataset)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }

  async deleteObjects(dataset: string, kind: ObjectKind, names: readonly string[]): Promise<void> {
    for (const n of names) this.objects.get(dataset)?.delete(`${kind}/${n}`);
  }

  async close(): Promise<void> {}
}
