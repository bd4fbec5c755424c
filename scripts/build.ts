// Bundles src/ into dist/: minified ESM with source maps. The artifact client is split into a chunk loaded on
// first use, so start-up parses only what it needs.
import { build, type BuildOptions } from 'esbuild';
import { rm } from 'node:fs/promises';

export const buildOptions = (outdir: string): BuildOptions => ({
  entryPoints: { index: 'src/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Some bundled CommonJS code calls require() on Node built-ins; ESM output needs one to exist.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});

export async function bundle(outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await build(buildOptions(outdir));
}

if (import.meta.main) await bundle(process.argv[2] ?? 'dist');
