// Bundles src/ into dist/: minified ESM. The artifact client is split into a chunk loaded on first use, so
// start-up parses only what it needs. Every job that uses the action downloads dist/, so size counts:
// - packages' ESM builds are preferred (mainFields), which tree-shake better than their CommonJS ones;
// - apache-arrow is left out: @azure/storage-blob imports it lazily for listing blobs in Arrow format, which an
//   artifact upload never does;
// - only the entries (index.js, cli.js and the workers) keep a source map; the chunks' maps would add ~2 MiB that
//   map mostly into minified third-party code, and with them go the maps of this project's code that splitting
//   put into shared chunks (most of src/: a stack trace there names a chunk, not a source line);
// - licenses.txt lists every bundled package with its licence text (see writeLicenses).
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Modules left out of the bundle, each replaced by one that throws if ever called (@actions/github/lib/utils by its
// options object, empty: the artifact client imports it by name and reads it only on the way to the REST API).
// - @actions/github (Octokit, the table of every GitHub REST endpoint, and undici's fetch): the artifact client
//   calls the GitHub REST API only for its `findBy` options (another run's artifacts), which this project never
//   passes; its own calls go to the artifact service. Bundled, its utils built a proxy dispatcher from undici at
//   load time whenever https_proxy was set, which loads Node's http2 and web streams in the upload thread.
// - undici (0.4 MiB): @actions/http-client imports it for one use, a ProxyAgent for fetch(), which neither this
//   project nor @actions/core calls (their requests go through http/https and tunnel). test/e2e/proxy.test.ts
//   signs in, downloads and uploads through a real proxy with it left out.
const STUBS: Record<string, string> = {
  'apache-arrow': "export function tableFromIPC(){throw new Error('apache-arrow is not bundled: Arrow blob listings are not supported')}",
  '@actions/github': "export function getOctokit(){throw new Error('the GitHub REST API is not bundled: the artifact client\\'s findBy is not supported')}",
  '@actions/github/lib/utils': 'export const defaults={}',
  undici: "export class ProxyAgent{constructor(){throw new Error('undici is not bundled: fetch() through a proxy is not supported')}}",
};

// An ESM `import ... from 'http'` builds a namespace of every export of Node's http module, reading each one; three
// of them (WebSocket, CloseEvent, MessageEvent) are getters that load Node's own undici, ~100 more built-in
// modules (http2, tls, web streams, ...): 6 MiB more peak RSS for the action (measured), and the
// action never uses them. Through require() the exports are read when used.
const httpByRequire: Plugin = {
  name: 'http-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http$/ }, (a) => (a.namespace === 'file' ? { path: 'http', namespace: 'http-by-require' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'http-by-require' }, () => ({ contents: "module.exports=require('node:http')", loader: 'js' }));
  },
};

/**
 * A plugin that replaces `text` by `by` in the one dependency file matching `file`. A new version of the dependency
 * that reads otherwise must be looked at again, not bundled as it is: the build stops unless `text` was found
 * exactly once, in exactly one file.
 */
function replaceOnce(name: string, file: RegExp, text: string, by: string): Plugin {
  return {
    name,
    setup(b) {
      let replaced = 0;
      b.onStart(() => { replaced = 0; });
      b.onLoad({ filter: file }, async (a) => {
        const pieces = (await readFile(a.path, 'utf8')).split(text);
        if (pieces.length !== 2) throw new Error(`${a.path} reads '${text}' ${pieces.length - 1} times, not once: see ${name} in scripts/build.ts`);
        replaced++;
        return { contents: pieces.join(by), loader: 'js' };
      });
      b.onEnd((r) => {
        if (r.errors.length === 0 && replaced !== 1) throw new Error(`'${text}' was replaced in ${replaced} files, not one: see ${name} in scripts/build.ts`);
      });
    },
  };
}

// The Azure SDK under the artifact client asks on every request whether its body is a FormData, through the global
// FormData; in Node that global is a getter that loads Node's undici (as for http above) in the upload thread. Its
// bodies are streams here, never a FormData, so the question is answered without asking the global.
const noFormDataProbe = replaceOnce('noFormDataProbe', /[\\/]@typespec[\\/]ts-http-runtime[\\/]dist[\\/]esm[\\/]formData\.js$/,
  'typeof FormData !== "undefined" && body instanceof FormData', 'false');
// tunnel (http-client's agent through https_proxy) builds a proxy's Basic credentials with the deprecated Buffer
// constructor: every run through a proxy with a password printed a DEP0005 warning into the step's log.
const noBufferConstructor = replaceOnce('noBufferConstructor', /[\\/]tunnel[\\/]lib[\\/]tunnel\.js$/,
  'new Buffer(connectOptions.proxyAuth)', 'Buffer.from(connectOptions.proxyAuth)');

const stubs: Plugin = {
  name: 'stubs',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${Object.keys(STUBS).map((k) => k.replace(/[/.]/g, '\\$&')).join('|')})$`) }, (a) => ({ path: a.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (a) => ({ contents: STUBS[a.path] ?? '', loader: 'js' }));
  },
};

export const buildOptions = (outdir: string): BuildOptions => ({
  entryPoints: { index: 'src/action/index.ts', cli: 'src/cli/index.ts', 'digest-worker': 'src/insight/digest-worker.ts', 'upload-worker': 'src/action/upload-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  // No `charset: 'utf8'`: it would save ~50 kB, but V8 holds a script with one character past U+00FF as a two-byte
  // string, in every thread that loads it (measured: 4 MiB more peak RSS). Escaped, they stay \uXXXX; check-dist
  // refuses any that get through (the translated messages are base64 for that, see scripts/pg-translations.ts).
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [stubs, httpByRequire, noFormDataProbe, noBufferConstructor],
  // Some bundled CommonJS code calls require() on Node built-ins; ESM output needs one to exist.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: 'warning',
});

/** The folder of the package a bundled file comes from (`node_modules/@scope/name`), or undefined for the project's own. */
function packageDir(input: string): string | undefined {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
}

/**
 * A README's licence section: under a `# License` heading (any level) or an underlined `License` (`====`, `----`),
 * to the next heading of its level or above; undefined when it has none.
 */
export function licenceSection(readme: string): string | undefined {
  const lines = readme.split(/\r?\n/);
  // Each line's heading level (ATX `#`, or a line underlined `====`/`----`); 0 for other lines and inside a fence,
  // which ends at a line of its own kind (``` or ~~~), not at the other.
  let fence: string | undefined;
  const levels = lines.map((line, i) => {
    const f = /^\s*(```|~~~)/.exec(line)?.[1];
    if (f !== undefined && (fence === undefined || f === fence)) fence = fence === undefined ? f : undefined;
    if (fence !== undefined || f !== undefined) return 0;
    const atx = /^(#{1,6})\s/.exec(line);
    if (atx) return atx[1]!.length;
    return i + 1 < lines.length && /^\S/.test(line) && /^(=+|-+)\s*$/.test(lines[i + 1]!) ? (lines[i + 1]![0] === '=' ? 1 : 2) : 0;
  });
  const start = levels.findIndex((l, i) => l > 0 && /^(#{1,6}\s*)?licen[cs]e\b/i.test(lines[i]!));
  if (start < 0) return undefined;
  const from = start + (lines[start]!.startsWith('#') ? 1 : 2);
  const end = levels.findIndex((l, j) => j >= from && l > 0 && l <= levels[start]!);
  const text = lines.slice(from, end < 0 ? undefined : end).join('\n').trim();
  return text === '' ? undefined : text;
}

/**
 * dist/licenses.txt: every package whose code is in the bundle, with the licence it states and its licence file,
 * as the licences of most of them (MIT, ISC, Apache-2.0, BSD) ask of a copy that is given on. Esbuild's own
 * LEGAL.txt keeps only the comments marked @license, which few packages have.
 */
async function writeLicenses(outdir: string, inputs: string[]): Promise<void> {
  const dirs = [...new Set(inputs.map(packageDir).filter((d): d is string => d !== undefined))];
  const entries: string[] = [];
  for (const dir of dirs) {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; license?: string };
    const names = await readdir(dir);
    const files = names.filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
    const texts = await Promise.all(files.map(async (f) => (await readFile(join(dir, f), 'utf8')).trim()));
    // No licence file: the README's licence section, where the package states it there (buffers: MIT/X11).
    if (texts.length === 0) {
      const readme = names.find((f) => /^readme/i.test(f));
      const section = readme === undefined ? undefined : licenceSection(await readFile(join(dir, readme), 'utf8'));
      texts.push(section === undefined ? '(the package ships no licence text)' : `From its ${readme}:\n\n${section}`);
    }
    const stated = pkg.license ?? 'no licence field in its package.json';
    entries.push([`${pkg.name}@${pkg.version}`, `License: ${stated}`, ...texts].join('\n\n'));
  }
  entries.sort();
  const head = 'Third-party code bundled in dist/ (by scripts/build.ts), with its licence as each package states it.\n';
  await writeFile(join(outdir, 'licenses.txt'), [head, ...entries].join(`\n${'-'.repeat(78)}\n\n`) + '\n');
}

export async function bundle(outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({ ...buildOptions(outdir), metafile: true });
  await writeLicenses(outdir, Object.keys(result.metafile.inputs));
  const chunks = join(outdir, 'chunks');
  for (const name of await readdir(chunks)) {
    if (name.endsWith('.js.map')) await rm(join(chunks, name));
    else if (name.endsWith('.js')) {
      const js = await readFile(join(chunks, name), 'utf8');
      await writeFile(join(chunks, name), js.replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '\n'));
    }
  }
}

if (import.meta.main) await bundle(process.argv[2] ?? 'dist');
