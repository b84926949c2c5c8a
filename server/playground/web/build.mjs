// Bundles src/main.jsx into ../dist (one JS file, one CSS file, content-hashed
// names) and writes ../dist/index.html referencing them. Run: npm run build
import { build } from 'esbuild';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const distdir = path.resolve(here, '..', 'dist');
// Build into a scratch folder and swap it in at the end, so that a failed
// build never leaves an empty dist/ behind (which would break `go build`).
const outdir = path.resolve(here, '..', 'dist.tmp');

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

// GraphiQL's stylesheet inlines Roboto and Fira Code as base64 data: URIs for
// every Google Fonts subset (~360 kB). Keep only the Latin and Latin Extended
// subsets; other scripts (Cyrillic, Greek, Vietnamese, CJK, ...) fall back to
// the system fonts. This keeps the CSS small and still loads nothing remote.
const keepFontFace = (block) => {
  const range = /unicode-range:\s*([^;}]+)/.exec(block);
  return !range || /^U\+0000-00FF\b|^U\+0100-024F\b/i.test(range[1].trim());
};
const trimFontSubsets = {
  name: 'trim-font-subsets',
  setup(b) {
    b.onLoad({ filter: /[\\/]graphiql[\\/]dist[\\/]style\.css$/ }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      return {
        contents: css.replace(/@font-face\s*\{[^}]*\}/g, (block) => (keepFontFace(block) ? block : '')),
        loader: 'css',
      };
    });
  },
};

const result = await build({
  entryPoints: { graphiql: path.join(here, 'src', 'main.jsx') },
  outdir,
  entryNames: '[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Third-party license comments go to a separate *.LEGAL.txt next to each bundle.
  legalComments: 'external',
  // Any non-inlined asset (fonts, images) is copied into dist/assets.
  loader: {
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.svg': 'file',
    '.png': 'file',
  },
  plugins: [trimFontSubsets],
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
const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>Shenzhen Plan Knowledge Graph — GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${esc(css[0])}">
    <script defer src="${esc(js[0])}"></script>
  </head>
  <body>
    <div id="graphiql">
      <noscript>This GraphiQL playground needs JavaScript.</noscript>
    </div>
  </body>
</html>
`;
await writeFile(path.join(outdir, 'index.html'), html);

await rm(distdir, { recursive: true, force: true });
await rename(outdir, distdir);

const files = await readdir(distdir, { recursive: true });
console.log(`dist/: ${files.sort().join(', ')}`);
