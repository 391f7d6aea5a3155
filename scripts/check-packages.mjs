#!/usr/bin/env node
/*
 * `npm run check:packages`: the published packages, as a user gets them.
 *
 *  1. `npm pack` every workspace (each prepack builds dist/ with tsc) and check what
 *     the tarballs hold: dist/ (ESM .js, .d.ts, .js.map), README.md, LICENSE; no
 *     tests, no src/, no build info; every "exports"/"sideEffects" path present.
 *  2. Development never uses a build: with every packages/<name>/dist/ replaced by a
 *     stale one that throws (and a .d.ts that exports nothing), the repo's own tsc,
 *     tsx (npm script, `node --import tsx` child process, tsx from a subfolder),
 *     vitest and esbuild still resolve @tsgrad/* to packages/<name>/src.
 *  3. A scratch project in a temp dir outside the repo installs the tarballs (plus
 *     typescript, esbuild and @types/node) from the npm cache (`npm ci --offline` with a
 *     lockfile cut out of the repo's; no npm_* variables of this repo's npm run in its
 *     environment), then:
 *     plain `node app.mjs`; `node require.cjs` (CommonJS require() of the ESM packages);
 *     `tsc` on the consumer sources under node16, nodenext and bundler with strict
 *     consumer flags and skipLibCheck false; `node out/train.js` (the tsc output)
 *     training a small MLP on the wasm, cpu and gpu (webasm) backends, each asserting
 *     the loss falls; an esbuild browser bundle, CPU only and with @tsgrad/gpu.
 *  4. Loads both bundles in headless Chromium (playwright-core driving /usr/bin/chromium
 *     or $CHROMIUM_PATH) and trains there; reported as not run, with the reason, when
 *     there is no Chromium (CHECK_PACKAGES_REQUIRE_BROWSER=1 makes that an error).
 *  5. Checks the README's npm `overrides` recipe that drops gpu.js's unused `webgpu`
 *     dependency (84 MB), then prints the tarball sizes and the gzipped bundle sizes.
 *
 * The consumer template is scripts/consumer/. packages/<name>/dist/ is removed at the
 * end (it was poisoned in step 2); the temp dir too, unless KEEP_CONSUMER=1.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['tensor', 'nn', 'testing', 'gpu'];
const t0 = Date.now();

function log(msg) {
  console.log(`[check-packages ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s] ${msg}`);
}

function fail(msg) {
  console.error(`[check-packages] FAILED: ${msg}`);
  process.exitCode = 1;
  throw new Error(msg);
}

/** The environment without this repo's `npm run` variables (npm_config_local_prefix etc.). */
function cleanEnv(extra = {}) {
  const env = {};
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_registry']);
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command; throws with its output unless it exits 0 (or `expectFail`). */
function run(cmd, args, { cwd = ROOT, env = process.env, quiet = false, expectFail = false } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const ok = r.status === 0;
  if (ok === expectFail) {
    console.error(out.split('\n').slice(-60).join('\n'));
    fail(`${cmd} ${args.join(' ')} (in ${relative(ROOT, cwd) || '.'}) ${expectFail ? 'succeeded but should fail' : `exited with ${r.status ?? r.signal}`}`);
  }
  if (!quiet && out.trim()) console.log(out.trimEnd().split('\n').map((l) => `    ${l}`).join('\n'));
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', out };
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function dirSize(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/**
 * The consumer's package-lock.json: the tarballs as file: dependencies, everything else
 * (and its whole dependency closure) copied from the repo's lockfile, so the install
 * needs no registry metadata and gets exactly the versions the repo tests with.
 */
function consumerLock(consumerPkg) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const src = lock.packages;
  const out = {
    '': { name: consumerPkg.name, dependencies: consumerPkg.dependencies, devDependencies: consumerPkg.devDependencies },
  };
  const depsOf = (e) => ({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies });
  const visit = (from, name, optional) => {
    if (name.startsWith('@tsgrad/')) return;
    for (let base = from; ; ) {
      const at = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (src[at]) {
        if (out[at]) return;
        const { dev, devOptional, ...e } = src[at];
        if (devOptional) e.optional = true;
        out[at] = e;
        for (const d of Object.keys(depsOf(e))) visit(at, d, Boolean(e.optionalDependencies?.[d] || e.peerDependenciesMeta?.[d]?.optional));
        return;
      }
      if (!base) {
        if (!optional) fail(`the repo's package-lock.json has no ${name} (needed by ${from || 'the consumer'})`);
        return;
      }
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  for (const t of report.tarballs) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', t.name.split('/')[1], 'package.json'), 'utf8'));
    const entry = { version: pkg.version, resolved: consumerPkg.dependencies[t.name], integrity: `sha512-${createHash('sha512').update(readFileSync(t.file)).digest('base64')}`, license: pkg.license };
    for (const k of ['dependencies', 'peerDependencies', 'engines']) if (pkg[k]) entry[k] = pkg[k];
    out[`node_modules/${t.name}`] = entry;
    for (const d of Object.keys(depsOf(pkg))) visit('', d, false);
  }
  for (const d of [...Object.keys(consumerPkg.dependencies), ...Object.keys(consumerPkg.devDependencies)]) visit('', d, false);
  return { name: consumerPkg.name, lockfileVersion: 3, requires: true, packages: out };
}

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'tsgrad-packages-'));
if (resolve(work).startsWith(ROOT + '/')) fail(`temp dir ${work} is inside the repository`);
const tarDir = join(work, 'tarballs');
const app = join(work, 'app');
const report = { tarballs: [], bundles: [] };

function cleanup() {
  for (const p of PACKAGES) rmSync(join(ROOT, 'packages', p, 'dist'), { recursive: true, force: true });
  if (process.env.KEEP_CONSUMER === '1') log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

try {
  // ---- 1. pack ------------------------------------------------------------------
  log('npm pack --workspaces (prepack: tsc builds each dist/)');
  for (const p of PACKAGES) rmSync(join(ROOT, 'packages', p, 'dist'), { recursive: true, force: true });
  mkdirSync(tarDir, { recursive: true });
  run('npm', ['pack', '--workspaces', '--pack-destination', tarDir, '--silent'], { quiet: true });
  const FORBIDDEN = /\.test\.|test-support|test-helpers|vitest-setup|\.tsbuildinfo|^package\/src\//;
  for (const p of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8'));
    const file = join(tarDir, `tsgrad-${p}-${pkg.version}.tgz`);
    if (!existsSync(file)) fail(`npm pack made no ${relative(work, file)}`);
    const listing = run('tar', ['-tzvf', file], { quiet: true }).stdout.trim().split('\n');
    const entries = new Map(listing.map((l) => { const f = l.trim().split(/\s+/); return [f[f.length - 1], Number(f[2])]; }));
    const names = [...entries.keys()];
    const bad = names.filter((n) => FORBIDDEN.test(n));
    if (bad.length) fail(`${p}: the tarball ships ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`);
    const need = ['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/index.js.map'];
    const paths = [pkg.main, pkg.types, ...Object.values(pkg.exports).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)))];
    // "sideEffects" names each module twice: in dist/ (the published build) and in src/
    // (what a bundle of the repo's sources, such as the browser demo, is built from).
    if (Array.isArray(pkg.sideEffects)) {
      paths.push(...pkg.sideEffects.filter((x) => x.startsWith('./dist/')));
      for (const x of pkg.sideEffects.filter((y) => !y.startsWith('./dist/'))) {
        if (!x.startsWith('./src/') || !existsSync(join(ROOT, 'packages', p, x))) fail(`${p}: "sideEffects" entry ${x} is neither in dist/ nor an existing src/ file`);
      }
      const twin = (x) => x.replace(/^\.\/dist\/(.*)\.js$/, './src/$1.ts');
      for (const x of pkg.sideEffects.filter((y) => y.startsWith('./dist/'))) if (!pkg.sideEffects.includes(twin(x))) fail(`${p}: "sideEffects" lists ${x} but not ${twin(x)}`);
    } else if (pkg.sideEffects !== false) fail(`${p}: "sideEffects" must be false or a list of files`);
    for (const rel of [...need, ...paths.map((x) => `package/${x.replace(/^\.\//, '')}`)]) {
      if (!entries.has(rel)) fail(`${p}: ${rel} is named in package.json or required but not in the tarball`);
    }
    for (const n of names.filter((x) => x.endsWith('.js'))) {
      for (const twin of [n.replace(/\.js$/, '.d.ts'), `${n}.map`]) if (!entries.has(twin)) fail(`${p}: ${n} has no ${twin}`);
    }
    // A module that registers something at import time (a backend, the Tensor class)
    // must be in "sideEffects", or a bundler may drop it when none of its exports is used.
    const listed = new Set((pkg.sideEffects || []).map((x) => x.replace(/^\.\//, '')));
    for (const n of names.filter((x) => x.endsWith('.js'))) {
      const rel = n.replace(/^package\//, '');
      const js = readFileSync(join(ROOT, 'packages', p, rel), 'utf8');
      // Top-level calls only: column 0, or the body of a top-level `if` (tsc indents it by 4).
      const call = /^(?:if \([^)]*\) )?(?:[A-Za-z_$][\w$]*\.)?[A-Za-z_$]*[Rr]egister\w*\(/;
      const lines = js.split('\n');
      const reg = lines.find((l, i) => call.test(l) || (/^ {4}\S/.test(l) && call.test(l.trim()) && /^if \(/.test(lines[i - 1] ?? '')));
      if (reg && !listed.has(rel)) fail(`${p}: ${rel} registers at import time (${reg.trim()}) but is not in "sideEffects"`);
    }
    const unpacked = [...entries.values()].reduce((a, b) => a + b, 0);
    report.tarballs.push({ name: pkg.name, file, packed: statSync(file).size, unpacked, files: names.length });
  }
  log(`tarballs ok: ${report.tarballs.map((t) => `${t.name} ${kb(t.packed)}`).join(', ')}`);

  // ---- 2. a stale dist never shadows the sources ---------------------------------
  log('development resolves sources, never dist/: poisoning every packages/<name>/dist/');
  for (const p of PACKAGES) {
    const d = join(ROOT, 'packages', p, 'dist');
    writeFileSync(join(d, 'index.js'), `throw new Error('STALE DIST: packages/${p}/dist/index.js was imported in development');\n`);
    writeFileSync(join(d, 'index.d.ts'), 'export declare const STALE_DIST: unique symbol;\n');
  }
  const probe = "import { tensor } from '@tsgrad/tensor'; import { Linear } from '@tsgrad/nn'; import { gradcheck } from '@tsgrad/testing'; import { gpu } from '@tsgrad/gpu';\n" +
    'console.log(tensor([1, 2]).sum().item(), typeof Linear, typeof gradcheck, gpu.name);\n';
  const probeDir = join(ROOT, '.tmp');
  mkdirSync(probeDir, { recursive: true });
  const probeFile = join(probeDir, 'check-packages-probe.ts');
  writeFileSync(probeFile, probe);
  try {
    const tscProbe = join(probeDir, 'tsconfig.probe.json');
    writeFileSync(tscProbe, JSON.stringify({ extends: '../tsconfig.json', include: ['check-packages-probe.ts'] }));
    run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tscProbe], { quiet: true });
    log('  tsc (root tsconfig paths): sources');
    const a = run(process.execPath, ['--import', 'tsx', relative(ROOT, probeFile)], { quiet: true }).stdout.trim();
    if (a !== '3 function function gpu') fail(`node --import tsx probe printed '${a}'`);
    run(join(ROOT, 'node_modules/.bin/tsx'), ['check-packages-probe.ts'], { cwd: probeDir, quiet: true });
    run('npm', ['run', '--silent', 'train', '--', '--help'], { quiet: true });
    log('  tsx (npm run train, node --import tsx as the example tests spawn it, tsx from a subfolder): sources');
    run(join(ROOT, 'node_modules/.bin/vitest'), ['run', 'test/smoke.test.ts', '--reporter=dot'], { quiet: true });
    log('  vitest (resolve.tsconfigPaths): sources');
    const esb = run(join(ROOT, 'node_modules/.bin/esbuild'), [relative(ROOT, probeFile), '--bundle', '--platform=browser', '--format=esm', '--log-level=warning'], { quiet: true });
    if (esb.stdout.includes('STALE DIST') || !esb.stdout.includes('packages/tensor/src/')) fail('esbuild bundled a dist/ instead of the sources');
    if (esb.stderr.includes('no side effects')) fail(`esbuild dropped a side-effect import of the sources ("sideEffects" lacks its src/ path):\n${esb.stderr}`);
    log('  esbuild (tsconfig paths, as the browser demo builds): sources');
  } finally {
    rmSync(probeFile, { force: true });
    rmSync(join(probeDir, 'tsconfig.probe.json'), { force: true });
  }

  // ---- 3. a scratch consumer outside the repo -----------------------------------
  log(`scratch consumer in ${app}`);
  cpSync(join(ROOT, 'scripts/consumer'), app, { recursive: true });
  const dev = rootPkg.devDependencies;
  const fastCheck = JSON.parse(readFileSync(join(ROOT, 'node_modules/fast-check/package.json'), 'utf8')).version;
  const consumerPkg = {
    name: 'tsgrad-consumer',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries([
      ...report.tarballs.map((t) => [t.name, `file:${relative(app, t.file)}`]),
      ['fast-check', fastCheck],
    ]),
    devDependencies: { typescript: dev.typescript, esbuild: dev.esbuild, '@types/node': dev['@types/node'] },
  };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(consumerPkg, null, 2)}\n`);
  writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(consumerLock(consumerPkg), null, 2)}\n`);
  const env = cleanEnv();
  // `npm ci --offline` from a lockfile cut out of the repo's own: every tarball comes
  // from the npm cache (`npm ci` of the repo put them there), none from the network and
  // none from the repo's node_modules. --ignore-scripts: gl's install step would
  // download a binary or compile.
  run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env, quiet: true });
  for (const p of PACKAGES) {
    const dir = join(app, 'node_modules/@tsgrad', p);
    const real = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (existsSync(join(dir, 'src')) || !existsSync(join(dir, 'dist/index.js')) || real.name !== `@tsgrad/${p}`) fail(`node_modules/@tsgrad/${p} is not the packed tarball`);
    if (lstatSync(dir).isSymbolicLink()) fail(`node_modules/@tsgrad/${p} is a link`);
  }
  const nm = dirSize(join(app, 'node_modules'));
  const webgpu = existsSync(join(app, 'node_modules/webgpu')) ? dirSize(join(app, 'node_modules/webgpu')) : 0;
  report.install = { nm, webgpu };
  log(`installed offline: node_modules ${(nm / 2 ** 20).toFixed(0)} MB, of which webgpu (gpu.js's dependency, never loaded) ${(webgpu / 2 ** 20).toFixed(0)} MB`);

  const appRun = (args, opts = {}) => run(process.execPath, args, { cwd: app, env, quiet: true, ...opts });
  log(`  ${appRun(['app.mjs']).stdout.trim()}`);
  const req = appRun(['require.cjs']);
  log(`  ${req.stdout.trim()}${req.stderr.trim() ? ` [stderr: ${req.stderr.trim().split('\n')[0]}]` : ''}`);
  report.requireStderr = req.stderr.trim();

  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  for (const cfg of ['node16', 'nodenext', 'bundler']) {
    appRun([tsc, '-p', `tsconfig.${cfg}.json`]);
    log(`  tsc -p tsconfig.${cfg}.json: no errors (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, noPropertyAccessFromIndexSignature, verbatimModuleSyntax, skipLibCheck false)`);
  }
  // The types a CommonJS TypeScript file gets: under nodenext (TS >= 5.8) require() of
  // our ESM type-checks; under node16 it is TS1479 (use import() there).
  writeFileSync(join(app, 'cjs-probe.cts'), "import { tensor } from '@tsgrad/tensor';\nexport const x: number = tensor([1]).sum().item();\n");
  appRun([tsc, '--noEmit', '--strict', '--target', 'es2022', '--skipLibCheck', '--module', 'nodenext', '--types', 'node', 'cjs-probe.cts']);
  const n16 = appRun([tsc, '--noEmit', '--strict', '--target', 'es2022', '--skipLibCheck', '--module', 'node16', '--types', 'node', 'cjs-probe.cts'], { expectFail: true }).stdout;
  if (!n16.includes('TS1479')) fail(`a .cts importing @tsgrad/tensor under node16: expected TS1479, got ${n16}`);
  log('  CommonJS TypeScript (.cts): type-checks under module nodenext; node16 reports TS1479 as documented');

  for (const backend of ['wasm', 'cpu', 'gpu']) log(`  node out/train.js ${backend}: ${appRun(['out/train.js', backend]).stdout.trim()}`);

  const esbuild = join(app, 'node_modules/esbuild/bin/esbuild');
  for (const [entry, label] of [['browser.ts', 'CPU only (@tsgrad/tensor + @tsgrad/nn)'], ['browser-gpu.ts', 'with @tsgrad/gpu (gpu.js)']]) {
    const out = join(app, 'out', entry.replace(/\.ts$/, '.js'));
    appRun([esbuild, entry, '--bundle', '--minify', '--format=iife', '--platform=browser', '--target=es2022', `--outfile=${out}`, '--log-level=warning']);
    const bytes = readFileSync(out);
    report.bundles.push({ label, file: out, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  log(`  esbuild: ${report.bundles.map((b) => `${b.label} ${kb(b.gzip)} gzipped`).join('; ')}`);

  // ---- 4. the bundles in headless Chromium ---------------------------------------
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    const why = `browser smoke not run: no Chromium at ${chromium} (set CHROMIUM_PATH)`;
    if (process.env.CHECK_PACKAGES_REQUIRE_BROWSER === '1') fail(why);
    log(why);
  } else {
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'] });
    try {
      for (const b of report.bundles) {
        const page = await browser.newPage();
        const errors = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto('about:blank');
        await page.addScriptTag({ path: b.file });
        const result = await page.waitForFunction(() => globalThis.tsgradResult, null, { timeout: 120_000 }).then((h) => h.jsonValue());
        await page.close();
        if (!result.ok || errors.length) fail(`Chromium, ${b.label}: ${result.summary} ${errors.join('; ')}`);
        if (b.file.endsWith('/browser.js') && !(result.summary.startsWith('wasm') && result.summary.includes('; cpu (js)'))) {
          fail(`Chromium, ${b.label}: expected the wasm backend, then cpu (are wasm/register.js and cpu/cpu-backend.js in "sideEffects"?), got ${result.summary}`);
        }
        if (b.file.endsWith('/browser-gpu.js') && !result.summary.startsWith('gpu')) fail(`Chromium, ${b.label}: expected the gpu backend, got ${result.summary}`);
        log(`  Chromium, ${b.label}: ${result.summary}`);
      }
    } finally {
      await browser.close();
    }
  }

  // ---- the README's recipe for dropping gpu.js's unused 84 MB `webgpu` dependency ----
  // gpu.js 2.24.1 lists webgpu (Dawn binaries for Node) as a regular dependency but never
  // loads it; an npm `overrides` entry in the consumer's own package.json swaps it for
  // an empty local package, and the gpu backend still trains.
  mkdirSync(join(app, 'stubs/webgpu'), { recursive: true });
  writeFileSync(join(app, 'stubs/webgpu/package.json'), '{ "name": "webgpu", "version": "0.0.0-stub", "private": true }\n');
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ ...consumerPkg, overrides: { webgpu: 'file:./stubs/webgpu' } }, null, 2)}\n`);
  run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env, quiet: true });
  if (existsSync(join(app, 'node_modules/webgpu/dist'))) fail('the webgpu override left the real package in node_modules');
  const nmStub = dirSize(join(app, 'node_modules'));
  log(`  webgpu override: node_modules ${(report.install.nm / 2 ** 20).toFixed(0)} -> ${(nmStub / 2 ** 20).toFixed(0)} MB; ${appRun(['out/train.js', 'gpu']).stdout.trim()}`);

  // ---- 5. sizes -------------------------------------------------------------------
  console.log('\n| package | tarball (gzip) | unpacked | files |\n|---|---:|---:|---:|');
  for (const t of report.tarballs) console.log(`| ${t.name} | ${kb(t.packed)} | ${kb(t.unpacked)} | ${t.files} |`);
  console.log('\n| browser bundle (esbuild --bundle --minify, es2022) | minified | gzip -9 |\n|---|---:|---:|');
  for (const b of report.bundles) console.log(`| ${b.label} | ${kb(b.raw)} | ${kb(b.gzip)} |`);
  console.log('');
  log('all package checks passed');
} catch (e) {
  if (!process.exitCode) {
    console.error(e);
    process.exitCode = 1;
  }
} finally {
  cleanup();
}
