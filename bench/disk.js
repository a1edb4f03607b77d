// Bytes of every file under a folder (what a store occupies on disk).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function duBytes(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? duBytes(p) : statSync(p).size;
  }
  return total;
}
