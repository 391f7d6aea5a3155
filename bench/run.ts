/**
 * `npm run bench`: every workload on every column in one process, one table.
 * See bench/README.md for what is measured and how.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, type CliOptions } from './lib/cli.js';
import { maxRelError, snapshot } from './lib/check.js';
import { collectGarbage, loadAverage, machine } from './lib/env.js';
import { fmtMs, resultsTable, targetsTable, notes } from './lib/format.js';
import { header, renderMarkdown } from './lib/report.js';
import type { BenchResults, CellResult, ColumnInfo, RowResult } from './lib/results.js';
import { evaluateTargets } from './lib/targets.js';
import { FULL, QUICK, measure, type TimingOptions } from './lib/timing.js';
import type { Column, Workload } from './lib/types.js';
import { BASELINE_COLUMN, COLUMNS, setTsgradThreads } from './peers/columns.js';
import { packageVersion } from './peers/versions.js';
import { WORKLOADS } from './workloads/index.js';

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
/**
 * Preference order for the correctness reference: plain loops compute in float64;
 * failing those, tsgrad's JS reference backend, then the baseline.
 */
const REFERENCE_ORDER = ['plain', 'tsgrad-cpu', BASELINE_COLUMN];
const DEFAULT_RTOL = 1e-3;

const log = (s: string) => process.stderr.write(s + '\n');

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

function selectWorkloads(opts: CliOptions): Workload[] {
  if (opts.only.length === 0) return [...WORKLOADS];
  return WORKLOADS.filter((w) => opts.only.some((s) => w.id.toLowerCase().includes(s) || w.title.toLowerCase().includes(s)));
}

function selectColumns(opts: CliOptions): Column[] {
  if (!opts.columns) return [...COLUMNS];
  const unknown = opts.columns.filter((c) => !COLUMNS.some((k) => k.id === c));
  if (unknown.length) throw new Error(`bench: unknown column(s) ${unknown.join(', ')}; known: ${COLUMNS.map((c) => c.id).join(', ')}`);
  return COLUMNS.filter((c) => opts.columns!.includes(c.id));
}

interface Measured {
  cell: CellResult;
  outputs: Float64Array[] | null;
}

async function measureCell(w: Workload, col: Column, timing: TimingOptions, readback: boolean): Promise<Measured> {
  const factory = w.impls[col.library];
  if (!factory) {
    const cell: CellResult = { status: 'n/a' };
    const reason = w.naReason?.[col.library];
    if (reason) cell.note = reason;
    return { cell, outputs: null };
  }
  let dispose: (() => void) | undefined;
  try {
    await col.activate();
    const impl = await factory();
    dispose = impl.dispose?.bind(impl);
    // The first iteration(s), read back, are the correctness sample (and warm-up).
    const outputs: Float64Array[] = [];
    for (let i = 0; i < (w.checkRuns ?? 1); i++) {
      const out = await impl.run(true);
      if (!out) throw new Error('run(readback = true) returned no outputs');
      outputs.push(...snapshot(out));
    }
    const stats = await measure(() => impl.run(readback), timing);
    dispose = undefined;
    impl.dispose?.();
    return { cell: { status: 'ok', stats }, outputs };
  } catch (e) {
    try {
      dispose?.();
    } catch {
      // the first error is the one worth reporting
    }
    return { cell: { status: 'error', note: errorText(e) }, outputs: null };
  } finally {
    collectGarbage();
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const started = performance.now();
  const loadStart = loadAverage();
  setTsgradThreads(opts.threads);
  const timing = opts.quick ? QUICK : FULL;
  const workloads = selectWorkloads(opts);
  if (workloads.length === 0) throw new Error(`bench: no workload matches --only ${opts.only.join(',')}`);
  const columns = selectColumns(opts);
  const baseline = BASELINE_COLUMN;

  const columnInfo: ColumnInfo[] = [];
  const usable = new Map<string, Column>();
  for (const col of columns) {
    const r = await col.init();
    if (r.ok) {
      usable.set(col.id, col);
      columnInfo.push({ id: col.id, available: true, description: col.describe() });
    } else {
      columnInfo.push({ id: col.id, available: false, description: r.reason });
      log(`column ${col.id} unavailable: ${r.reason}`);
    }
  }
  // tfjs' describe() reads flags that exist only once its backend is up; refresh.
  for (const info of columnInfo) if (info.available) info.description = usable.get(info.id)!.describe();

  log(`tsgrad bench: ${workloads.length} workload(s) × ${columns.length} column(s), ${opts.quick ? 'quick' : 'full'} timing, readback ${opts.readback ? 'on' : 'off'}`);
  const rows: RowResult[] = [];
  for (const w of workloads) {
    const row: RowResult = { id: w.id, title: w.title, group: w.group, cells: {} };
    if (w.flops !== undefined) row.flops = w.flops;
    const outputs = new Map<string, Float64Array[]>();
    for (const col of columns) {
      if (!usable.has(col.id)) {
        row.cells[col.id] = { status: 'skipped', note: 'column unavailable' };
        continue;
      }
      const m = await measureCell(w, col, timing, opts.readback);
      row.cells[col.id] = m.cell;
      if (m.outputs) outputs.set(col.id, m.outputs);
    }
    const refId = REFERENCE_ORDER.find((c) => outputs.has(c));
    if (refId) {
      const ref = outputs.get(refId)!;
      for (const [colId, out] of outputs) {
        if (colId === refId) continue;
        const err = maxRelError(out, ref);
        row.cells[colId]!.check = { against: refId, maxRelErr: err, ok: err <= (w.rtol ?? DEFAULT_RTOL) };
      }
    }
    rows.push(row);
    log(`  ${w.id.padEnd(28)} ${columns.map((c) => {
      const cell = row.cells[c.id]!;
      return `${c.id} ${cell.status === 'ok' ? fmtMs(cell.stats!.median) : cell.status}`;
    }).join(' · ')}`);
  }

  const versions: Record<string, string> = {};
  for (const p of ['@tsgrad/tensor', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax']) {
    try {
      versions[p] = packageVersion(p);
    } catch {
      versions[p] = 'unknown';
    }
  }
  const m = machine();
  const results: BenchResults = {
    meta: {
      date: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      mode: opts.quick ? 'quick' : 'full',
      readback: opts.readback,
      ...m,
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
      versions,
      timing: { ...timing },
      durationS: (performance.now() - started) / 1000,
    },
    baseline,
    columns: columnInfo,
    rows,
    // Each target names the tsgrad column it is about; one whose column was not run
    // (`--columns`) is left out rather than reported as missed.
    targets: evaluateTargets(rows, columns.map((c) => c.id)),
  };

  console.log('');
  for (const l of header(results)) console.log(l);
  console.log('');
  console.log(resultsTable(results));
  console.log('');
  if (results.targets.length) {
    console.log('Targets');
    console.log(targetsTable(results));
  }
  const n = notes(results);
  if (n.length) {
    console.log('');
    console.log('Notes');
    for (const x of n) console.log(`- ${x}`);
  }

  const name =
    opts.out ??
    (opts.quick ? 'quick' : opts.only.length || opts.columns ? 'partial' : opts.readback ? 'latest-readback' : 'latest');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonPath = path.join(RESULTS_DIR, `${name}.json`);
  const mdPath = path.join(RESULTS_DIR, `${name}.md`);
  writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(mdPath, renderMarkdown(results));
  console.log('');
  console.log(`wrote ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), mdPath)}`);

  // A benchmark that crashed or computed the wrong thing is a failure (CI runs --quick);
  // a missed performance target is not.
  const broken = rows.some((r) => Object.values(r.cells).some((c) => c.status === 'error' || (c.check && !c.check.ok)));
  return broken ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  },
);
