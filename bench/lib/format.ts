/** Number formatting and the results table, as aligned Markdown (readable in a terminal too). */
import { gflops, ratio, type BenchResults, type CellResult, type RowResult } from './results.js';

/** Three significant digits, no exponent for the ranges we see (0.0123 … 12345). */
export function fmtMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  if (ms >= 0.1) return ms.toFixed(3);
  return ms.toPrecision(2);
}

export function fmtRatio(r: number): string {
  if (r >= 100) return `${r.toFixed(0)}×`;
  if (r >= 10) return `${r.toFixed(1)}×`;
  return `${r.toFixed(2)}×`;
}

export function fmtGflops(g: number): string {
  return g >= 10 ? g.toFixed(1) : g.toFixed(2);
}

function cellText(c: CellResult | undefined): string {
  if (!c) return '';
  switch (c.status) {
    case 'ok': {
      const ms = fmtMs(c.stats!.median);
      return c.check && !c.check.ok ? `${ms} ⚠` : ms;
    }
    case 'n/a':
      return 'n/a';
    case 'error':
      return 'error';
    case 'skipped':
      return '–';
  }
}

/** Pads a Markdown table so it lines up in a monospace terminal (width by code points). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], rightAlign: readonly boolean[]): string {
  const len = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(len(h), ...rows.map((r) => len(r[i] ?? '')), 3));
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(widths[i]! - len(s));
    return rightAlign[i] ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAlign[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map((r) => line(r))].join('\n');
}

/** The main table: one row per workload, medians, ratios against the baseline, GFLOP/s. */
export function resultsTable(res: BenchResults): string {
  const cols = res.columns.map((c) => c.id);
  const hasBaseline = cols.includes(res.baseline);
  const peers = hasBaseline ? cols.filter((c) => c !== res.baseline) : [];
  const showGflops = hasBaseline && res.rows.some((r) => r.flops !== undefined);
  const header = [
    'workload',
    ...cols.map((c) => `${c} ms`),
    ...peers.map((c) => `${c} ÷ ${res.baseline}`),
    ...(showGflops ? [`${res.baseline} GFLOP/s`] : []),
  ];
  const rows = res.rows.map((row: RowResult) => {
    const ratios = peers.map((c) => {
      const r = ratio(row, c, res.baseline);
      return r === null ? '' : fmtRatio(r);
    });
    const g = gflops(row, res.baseline);
    return [
      row.title,
      ...cols.map((c) => cellText(row.cells[c])),
      ...ratios,
      ...(showGflops ? [g === null ? '' : fmtGflops(g)] : []),
    ];
  });
  return markdownTable(header, rows, header.map((_, i) => i > 0));
}

export function targetsTable(res: BenchResults): string {
  const header = ['target', 'column', 'workload', 'metric', 'measured', 'goal', 'status'];
  const rows = res.targets.map((t) => {
    const measured = t.value === null ? '–' : t.metric === 'GFLOP/s' ? fmtGflops(t.value) : fmtRatio(t.value);
    const status = t.pass === null ? 'not measured' : t.pass ? 'met' : `MISSED (needs ${t.speedupNeeded!.toFixed(2)}× faster)`;
    return [t.target, t.column, t.workload, t.metric, measured, t.goal, status];
  });
  return markdownTable(header, rows, [false, false, false, false, true, true, false]);
}

/** Everything that needs a footnote: n/a reasons, errors, failed correctness checks. */
export function notes(res: BenchResults): string[] {
  const out: string[] = [];
  for (const row of res.rows) {
    for (const [col, c] of Object.entries(row.cells)) {
      if (c.status === 'n/a' && c.note) out.push(`${row.id} · ${col}: n/a — ${c.note}`);
      if (c.status === 'error') out.push(`${row.id} · ${col}: ERROR — ${c.note ?? 'unknown'}`);
      if (c.check && !c.check.ok) {
        out.push(`${row.id} · ${col}: ⚠ result differs from ${c.check.against} (max rel. error ${c.check.maxRelErr.toExponential(2)})`);
      }
    }
  }
  return out;
}
