// Bundles src/main.js (Cytoscape.js, the fcose layout, the app and its CSS)
// into ../dist: one JS file and one CSS file with content-hashed names, and
// index.html (from src/index.html) referencing them. Run: npm run build
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const distdir = path.resolve(here, '..', 'dist');
// Build into a scratch folder and swap it in at the end, so that a failed
// build never leaves an empty dist/ behind (which would break `go build`).
const outdir = path.resolve(here, '..', 'dist.tmp');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const result = await build({
  entryPoints: { explorer: path.join(here, 'src', 'main.js') },
  outdir,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // Third-party license comments go to a separate *.LEGAL.txt next to the bundle.
  legalComments: 'external',
  metafile: true,
  logLevel: 'info',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => path.relative(outdir, path.resolve(p)));
const js = outputs.filter((p) => p.endsWith('.js'));
const css = outputs.filter((p) => p.endsWith('.css'));
if (js.length !== 1 || css.length !== 1) {
  throw new Error(`expected exactly one JS and one CSS bundle, got ${JSON.stringify(outputs)}`);
}

const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const template = await readFile(path.join(here, 'src', 'index.html'), 'utf8');
for (const marker of ['%CSS%', '%JS%']) {
  if (template.split(marker).length !== 2) throw new Error(`src/index.html must contain ${marker} exactly once`);
}
const html = template.replace('%CSS%', esc(css[0])).replace('%JS%', esc(js[0]));
if (/https?:\/\//i.test(html)) {
  throw new Error('index.html must not contain absolute http(s) URLs: everything is served from the same origin');
}
await writeFile(path.join(outdir, 'index.html'), html);

await rm(distdir, { recursive: true, force: true });
await rename(outdir, distdir);

const files = (await readdir(distdir, { recursive: true })).sort();
const sizes = await Promise.all(files.map(async (f) => `${f} (${(await stat(path.join(distdir, f))).size} B)`));
console.log(`dist/: ${sizes.join(', ')}`);
