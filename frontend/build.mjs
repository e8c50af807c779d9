// Build the front-end bundles with esbuild's JS API.
//   src/app.js  -> dist/app.js   (IIFE, minified, ES2020, no sourcemap)
//   src/app.css -> dist/app.css  (Bootstrap + OpenLayers CSS inlined via @import)
//   src/viewer/index.js -> dist/viewer.js, src/viewer.css -> dist/viewer.css (map viewer pages only),
//   src/viewer/lambert93.js -> dist/viewer-lambert93.js (proj4, loaded by the viewer after its first render)
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));
const started = performance.now();

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'es2020',
  logLevel: 'info',
  legalComments: 'none',
  // Fonts/images referenced from CSS (none today: Bootstrap inlines its SVGs
  // as data: URIs) are copied next to the bundle with a hashed name.
  loader: {
    '.woff': 'file',
    '.woff2': 'file',
    '.ttf': 'file',
    '.eot': 'file',
    '.svg': 'file',
    '.png': 'file',
    '.gif': 'file',
    '.jpg': 'file',
  },
  assetNames: 'assets/[name]-[hash]',
};

try {
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: ['src/app.js'],
      outfile: 'dist/app.js',
      format: 'iife',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
    }),
    esbuild.build({
      ...common,
      entryPoints: ['src/viewer/index.js'],
      outfile: 'dist/viewer.js',
      format: 'iife',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
    }),
    esbuild.build({
      ...common,
      entryPoints: ['src/viewer/lambert93.js'],
      outfile: 'dist/viewer-lambert93.js',
      format: 'iife',
      platform: 'browser',
    }),
    esbuild.build({
      ...common,
      entryPoints: ['src/viewer.css'],
      outfile: 'dist/viewer.css',
      target: ['chrome111', 'firefox113', 'safari16.2', 'edge111'],
    }),
    esbuild.build({
      ...common,
      entryPoints: ['src/app.css'],
      outfile: 'dist/app.css',
      // color-mix() must be left as is; don't let esbuild lower CSS for old browsers.
      target: ['chrome111', 'firefox113', 'safari16.2', 'edge111'],
    }),
  ]);
} catch {
  process.exit(1);
}

console.log(`build finished in ${Math.round(performance.now() - started)} ms`);
