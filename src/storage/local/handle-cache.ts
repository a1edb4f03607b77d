/**
 * Open read handles of immutable store objects (segments: written once under
 * a unique name, never changed), with their sizes, kept for the next read: a
 * cold chunk read then costs one trip through libuv's thread pool (the read)
 * instead of four (open, fstat, read, close). At most `max` handles stay
 * open, least recently used closed first, never while a read holds one.
 * Deleting an object drops its handle, so the space is given back.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

interface Entry { fh: FileHandle; size: number; users: number; dropped: boolean }

export class HandleCache {
  /** By path; a promise so that concurrent first reads open the file once. */
  private readonly entries = new Map<string, Promise<Entry | undefined>>();

  constructor(private readonly max = 64) {}

  /** Runs `use` with the file's handle and size; undefined when the file does not exist. */
  async with<T>(file: string, use: (fh: FileHandle, size: number) => Promise<T>): Promise<T | undefined> {
    let pending = this.entries.get(file);
    if (pending) { this.entries.delete(file); this.entries.set(file, pending); } else {
      pending = open(file);
      this.entries.set(file, pending);
      const forget = (): void => { if (this.entries.get(file) === pending) this.entries.delete(file); };
      void pending.then((e) => { if (!e) forget(); }, forget);
    }
    const entry = await pending;
    if (!entry) return undefined;
    entry.users++;
    try {
      return await use(entry.fh, entry.size);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) await entry.fh.close();
      this.evict();
    }
  }

  /** Closes (once no read holds them) the handles of files under `prefix` (a file or a folder path). */
  drop(prefix: string): void {
    for (const [file, pending] of [...this.entries]) {
      if (file !== prefix && !file.startsWith(`${prefix}/`)) continue;
      this.entries.delete(file);
      void pending.then((e) => { if (!e) return; e.dropped = true; if (e.users === 0) return e.fh.close(); });
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (p) => { const e = await p; if (e) { e.dropped = true; if (e.users === 0) await e.fh.close(); } }));
  }

  private evict(): void {
    if (this.entries.size <= this.max) return;
    for (const file of this.entries.keys()) {
      if (this.entries.size <= this.max) return;
      this.drop(file);
    }
  }
}

async function open(file: string): Promise<Entry | undefined> {
  let fh: FileHandle;
  try { fh = await fs.open(file, 'r'); } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; throw e; }
  try {
    return { fh, size: (await fh.stat()).size, users: 0, dropped: false };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
