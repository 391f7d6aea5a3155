/** Horizontal 100 % bars: how a total splits into parts (e.g. loss by example kind). */
import type { TopLevelSpec } from 'vega-lite';

export interface SharePart {
  readonly bar: string;
  readonly part: string;
  readonly share: number;
}

export function stackedSharesChart(parts: readonly SharePart[], opts: { title: string; subtitle?: string; xTitle: string; yTitle: string; partTitle: string }): TopLevelSpec {
  const bars = [...new Set(parts.map((p) => p.bar))];
  const partNames = [...new Set(parts.map((p) => p.part))];
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: 480,
    height: Math.max(120, bars.length * 34),
    data: { values: parts.map((p, i) => ({ ...p, order: partNames.indexOf(p.part), i })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'bar', type: 'nominal', title: opts.yTitle, sort: bars, axis: { labelLimit: 320 } },
      x: { field: 'share', type: 'quantitative', title: opts.xTitle, stack: 'zero', axis: { format: '%' }, scale: { domain: [0, 1] } },
      color: { field: 'part', type: 'nominal', title: opts.partTitle, sort: partNames },
      order: { field: 'order', type: 'quantitative' },
    },
  } as TopLevelSpec;
}
