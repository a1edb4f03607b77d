// The web console's size as a browser downloads it: the files `npm run build`
// writes to dist/console (bytes and gzipped bytes, as the server sends them
// to browsers that take gzip), and what app.js is made of by package.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'console');

export async function benchConsole() {
  return JSON.parse(readFileSync(path.join(dist, 'manifest.json'), 'utf8'));
}

export function consoleMarkdown(r) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const files = Object.entries(r.files);
  const total = files.reduce((t, [, f]) => ({ bytes: t.bytes + f.bytes, gzip: t.gzip + f.gzipBytes }), { bytes: 0, gzip: 0 });
  return [
    '## Web console bundle',
    '',
    '| file | bytes | gzipped (as served) |',
    '|---|---:|---:|',
    ...files.map(([name, f]) => `| ${name} | ${kb(f.bytes)} | ${kb(f.gzipBytes)} |`),
    `| **all** | **${kb(total.bytes)}** | **${kb(total.gzip)}** |`,
    '',
    `app.js by package (minified): ${Object.entries(r.appJsByPackage).map(([p, b]) => `${p} ${kb(b)}`).join(', ')}.`,
    '',
  ].join('\n');
}
