/**
 * The embedded default: a folder of files.
 *
 *   <root>/<dataset>/versions/<version, 20 digits>.json   one file per commit
 *   <root>/<dataset>/segments/<name>                      chunk columns of one commit
 *   <root>/<dataset>/checkpoints/<name>                   a snapshot
 *   <root>/<dataset>/chunks/<partition>/<chunk>/<column>.arrow   (before segments)
 *
 * Every file is written whole to a temporary name, flushed, then published:
 * objects and chunk columns by rename (replacing an equal file is harmless)
 * and version records by link(2), which fails if the name exists. A folder
 * made on the way is flushed into its parent, so after a power loss a
 * published file cannot be missing for want of its folder's entry.
 * That link is the commit point and the put-if-absent that two processes
 * race on: a crash before it leaves only unreferenced chunks and temp files,
 * never a partial version. Names come from validated dataset and column names
 * and hex ids, so no user input becomes a path outside the root.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { HandleCache } from './handle-cache.js';
import { StrataError } from '../../core/errors.js';
import { namePattern } from '../../core/names.js';
import type { ByteRange, ChunkAddress, ObjectKind, Store } from '../store.js';
import { checkObject, checkRanges } from '../store.js';

const hexId = /^[0-9a-f]{8,64}$/;
const versionFile = /^(\d{20})\.json$/;

function versionName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

export interface LocalStoreOptions {
  /** fsync files and folders before publishing them (survives power loss, not just process crashes). */
  fsync?: boolean;
}

/** Largest gap between two ranges that one read still covers. */
const coalesceGapMax = 64 * 1024;

/** Groups ranges (by index) into spans read at once: sorted by offset, merged across small gaps. */
function coalesce(ranges: readonly ByteRange[]): { start: number; end: number; members: number[] }[] {
  const order = ranges.map((_, i) => i).sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
  const spans: { start: number; end: number; members: number[] }[] = [];
  for (const i of order) {
    const r = ranges[i]!;
    const last = spans[spans.length - 1];
    if (last && r.offset <= last.end + coalesceGapMax) {
      last.end = Math.max(last.end, r.offset + r.length);
      last.members.push(i);
    } else spans.push({ start: r.offset, end: r.offset + r.length, members: [i] });
  }
  return spans;
}

/** The ranges' bytes, ranges close together read with one call and sliced (each read is a trip through libuv's thread pool). */
async function readRanges(fh: FileHandle, ranges: readonly ByteRange[]): Promise<Uint8Array[]> {
  const out = new Array<Uint8Array>(ranges.length);
  for (const span of coalesce(ranges)) {
    const buf = Buffer.allocUnsafe(span.end - span.start);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await fh.read(buf, done, buf.length - done, span.start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    for (const i of span.members) {
      const r = ranges[i]!;
      const from = Math.min(r.offset - span.start, done);
      out[i] = buf.subarray(from, Math.min(from + r.length, done));
    }
  }
  return out;
}

/** See versionsStamp: 2 s covers the coarsest timestamps of common local file systems. */
const stampQuietNs = 2_000_000_000n;

export class LocalStore implements Store {
  readonly location: string;
  private readonly root: string;
  private readonly fsync: boolean;
  private readonly handles = new HandleCache();

  constructor(root: string, options: LocalStoreOptions = {}) {
    this.location = root;
    this.root = path.resolve(root);
    this.fsync = options.fsync ?? true;
  }

  private datasetDir(dataset: string): string {
    if (!namePattern.test(dataset)) throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid dataset name ${JSON.stringify(dataset)}`, { dataset });
    return path.join(this.root, dataset);
  }

  private chunkDir(addr: ChunkAddress): string {
    if (!hexId.test(addr.partition) || !hexId.test(addr.chunk)) throw new StrataError('STRATA_ERR_INTERNAL', `bad chunk address ${addr.partition}/${addr.chunk}`);
    return path.join(this.datasetDir(addr.dataset), 'chunks', addr.partition, addr.chunk);
  }

  /** Folders known to exist (made and flushed into their parents by this process, or found). */
  private readonly madeDirs = new Set<string>();

  /** Makes `dir` and any missing parents, flushing each new folder's entry into its parent. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const parent = path.dirname(dir);
    if (parent !== dir) await this.ensureDir(parent);
    try {
      await fs.mkdir(dir);
      await this.syncDir(parent);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
    }
    this.madeDirs.add(dir);
  }

  /** Writes bytes to a fresh temporary file beside `dir` and returns its path. */
  private async writeTemp(dir: string, bytes: Uint8Array): Promise<string> {
    await this.ensureDir(dir);
    const tmp = path.join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  private async syncDir(dir: string): Promise<void> {
    if (!this.fsync) return;
    const fh = await fs.open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  }

  async putVersion(dataset: string, version: number, record: Uint8Array): Promise<boolean> {
    const dir = path.join(this.datasetDir(dataset), 'versions');
    const tmp = await this.writeTemp(dir, record);
    try {
      await fs.link(tmp, path.join(dir, versionName(version)));
    } catch (e) {
      if (isErrno(e, 'EEXIST')) return false;
      throw e;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
    await this.syncDir(dir);
    return true;
  }

  async getVersion(dataset: string, version: number): Promise<Uint8Array | undefined> {
    try {
      return await fs.readFile(path.join(this.datasetDir(dataset), 'versions', versionName(version)));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }

  private async exists(file: string): Promise<boolean> {
    try { await fs.access(file); return true; } catch { return false; }
  }

  /**
   * The versions folder's inode and change times. A directory's times move
   * whenever an entry is added or removed, but only at the file system's
   * timestamp granularity: a folder changed within the last `stampQuietNs`
   * could change again without its times moving, so it gets no stamp (the
   * rule git uses for files racily modified within the same tick).
   */
  async versionsStamp(dataset: string): Promise<string | null> {
    const now = BigInt(Date.now()) * 1_000_000n;
    let st;
    try { st = await fs.stat(path.join(this.datasetDir(dataset), 'versions'), { bigint: true }); } catch { return null; }
    const changed = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    if (now - changed < stampQuietNs) return null;
    return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
  }

  async headVersion(dataset: string, from?: number): Promise<number | undefined> {
    const dir = path.join(this.datasetDir(dataset), 'versions');
    const at = (v: number): string => path.join(dir, versionName(v));
    if (from !== undefined) {
      // The usual case, a head that has not moved: three checks at once instead of a listing.
      const [hasZero, hasFrom, hasNext] = await Promise.all([this.exists(at(0)), this.exists(at(from)), this.exists(at(from + 1))]);
      if (!hasZero) return undefined;
      if (hasFrom && !hasNext) return from;
      if (hasNext) {
        // Moved: versions are contiguous, so gallop forward to a missing one, then bisect (log n checks, no listing).
        let lo = from + 1;
        let step = 1;
        let hi = lo + step;
        while (await this.exists(at(hi))) { lo = hi; step *= 2; hi = lo + step; }
        while (hi - lo > 1) { const mid = Math.floor((lo + hi) / 2); if (await this.exists(at(mid))) lo = mid; else hi = mid; }
        return lo;
      }
    } else if (!(await this.exists(at(0)))) {
      return undefined;
    }
    let head = 0;
    for (const name of await fs.readdir(dir)) {
      const m = versionFile.exec(name);
      if (m) head = Math.max(head, Number(m[1]));
    }
    return head;
  }

  async listDatasets(): Promise<string[]> {
    let names: string[];
    try { names = await fs.readdir(this.root); } catch (e) { if (isErrno(e, 'ENOENT')) return []; throw e; }
    const out: string[] = [];
    for (const name of names.sort()) {
      if (namePattern.test(name) && (await this.exists(path.join(this.root, name, 'versions', versionName(0))))) out.push(name);
    }
    return out;
  }

  async dropDataset(dataset: string): Promise<boolean> {
    const dir = this.datasetDir(dataset);
    const existed = await this.exists(path.join(dir, 'versions', versionName(0)));
    // Rename first so the dataset disappears at once, then delete at leisure.
    const trash = path.join(this.root, `.dropped-${dataset}-${randomBytes(6).toString('hex')}`);
    try { await fs.rename(dir, trash); } catch (e) { if (isErrno(e, 'ENOENT')) return false; throw e; }
    this.handles.drop(dir);
    for (const d of this.madeDirs) if (d === dir || d.startsWith(`${dir}${path.sep}`)) this.madeDirs.delete(d);
    await fs.rm(trash, { recursive: true, force: true });
    return existed;
  }

  async deleteVersions(dataset: string, versions: readonly number[]): Promise<void> {
    const dir = path.join(this.datasetDir(dataset), 'versions');
    await Promise.all(versions.filter((v) => v > 0).map((v) => fs.unlink(path.join(dir, versionName(v))).catch((e: unknown) => { if (!isErrno(e, 'ENOENT')) throw e; })));
    if (versions.length > 0) await this.syncDir(dir).catch((e: unknown) => { if (!isErrno(e, 'ENOENT')) throw e; });
  }

  async putChunk(addr: ChunkAddress, columns: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const dir = this.chunkDir(addr);
    // A chunk whose values are all NULL has no column files, but its folder exists all the same.
    await this.ensureDir(dir);
    await Promise.all([...columns].map(async ([name, bytes]) => {
      if (!namePattern.test(name)) throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid column name ${JSON.stringify(name)}`, { column: name });
      const tmp = await this.writeTemp(dir, bytes);
      await fs.rename(tmp, path.join(dir, `${name}.arrow`));
    }));
    await this.syncDir(dir);
  }

  async getChunkColumns(addr: ChunkAddress, columns: readonly string[]): Promise<Map<string, Uint8Array>> {
    const dir = this.chunkDir(addr);
    const out = new Map<string, Uint8Array>();
    await Promise.all(columns.map(async (name) => {
      if (!namePattern.test(name)) throw new StrataError('STRATA_ERR_INVALID_NAME', `invalid column name ${JSON.stringify(name)}`, { column: name });
      try {
        out.set(name, await fs.readFile(path.join(dir, `${name}.arrow`)));
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    }));
    return out;
  }

  private objectPath(dataset: string, kind: ObjectKind, name: string): string {
    checkObject(kind, name);
    return path.join(this.datasetDir(dataset), `${kind}s`, name);
  }

  async putObject(dataset: string, kind: ObjectKind, name: string, bytes: Uint8Array): Promise<void> {
    const file = this.objectPath(dataset, kind, name);
    const dir = path.dirname(file);
    const tmp = await this.writeTemp(dir, bytes);
    await fs.rename(tmp, file);
    await this.syncDir(dir);
  }

  async readObject(dataset: string, kind: ObjectKind, name: string, ranges?: readonly ByteRange[]): Promise<Uint8Array[] | undefined> {
    const file = this.objectPath(dataset, kind, name);
    // Segments never change once written: their handles are kept open between reads.
    if (kind === 'segment' && ranges) {
      return this.handles.with(file, async (fh, size) => { checkRanges(ranges, size, `${kind} ${name}`); return readRanges(fh, ranges); });
    }
    let fh;
    try { fh = await fs.open(file, 'r'); } catch (e) { if (isErrno(e, 'ENOENT')) return undefined; throw e; }
    try {
      if (!ranges) return [await fh.readFile()];
      checkRanges(ranges, (await fh.stat()).size, `${kind} ${name}`);
      return await readRanges(fh, ranges);
    } finally {
      await fh.close();
    }
  }

  async listObjects(dataset: string, kind: ObjectKind): Promise<string[]> {
    try {
      return (await fs.readdir(path.join(this.datasetDir(dataset), `${kind}s`))).filter((n) => !n.startsWith('.')).sort();
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
  }

  async deleteObjects(dataset: string, kind: ObjectKind, names: readonly string[]): Promise<void> {
    for (const n of names) this.handles.drop(this.objectPath(dataset, kind, n));
    await Promise.all(names.map((n) => fs.unlink(this.objectPath(dataset, kind, n)).catch((e: unknown) => { if (!isErrno(e, 'ENOENT')) throw e; })));
    if (names.length > 0) await this.syncDir(path.join(this.datasetDir(dataset), `${kind}s`)).catch((e: unknown) => { if (!isErrno(e, 'ENOENT')) throw e; });
  }

  async close(): Promise<void> {
    await this.handles.closeAll();
  }
}
