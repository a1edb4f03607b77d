// Builds the web console into dist/console: src/console/main.ts and what it
// imports (CodeMirror, uPlot) bundled and minified by esbuild into app.js and
// app.css, beside index.html. manifest.json lists each file's bytes and
// gzipped bytes (the bench reports them). Run by `npm run build`.
import { mkdirSync, readdirSync, readFileSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src', 'console');
const out = join(root, 'dist', 'console');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const built = await build({
  entryPoints: { app: join(src, 'main.ts') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
const files = {};
for (const name of readdirSync(out).sort()) {
  const body = readFileSync(join(out, name));
  files[name] = { bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
}
// What app.js is made of, by package (minified bytes each contributes).
const parts = {};
for (const [file, { bytesInOutput }] of Object.entries(built.metafile.outputs[join('dist', 'console', 'app.js')]?.inputs ?? Object.values(built.metafile.outputs).find((o) => o.entryPoint)?.inputs ?? {})) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  const part = m ? m[1] : 'console (src/console)';
  parts[part] = (parts[part] ?? 0) + bytesInOutput;
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ files, appJsByPackage: Object.fromEntries(Object.entries(parts).sort((a, b) => b[1] - a[1])) }, null, 2)}\n`);
const total = Object.values(files).reduce((t, f) => ({ bytes: t.bytes + f.bytes, gzip: t.gzip + f.gzipBytes }), { bytes: 0, gzip: 0 });
console.log(`console: ${Object.keys(files).join(', ')} (${(total.bytes / 1024).toFixed(0)} KB, ${(total.gzip / 1024).toFixed(0)} KB gzipped) in ${out}`);
