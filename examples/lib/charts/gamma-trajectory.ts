/** A trainable γ over optimiser steps, with its allowed range drawn as dashed lines. */
import type { TopLevelSpec } from 'vega-lite';

export interface GammaPoint {
  readonly series: string;
  readonly step: number;
  readonly gamma: number;
}

export function gammaTrajectoryChart(points: readonly GammaPoint[], bounds: { min: number; max: number; init: number }, opts: { title: string; subtitle?: string }): TopLevelSpec {
  const lastStep = points.length ? points[points.length - 1]!.step : 1;
  const boundRows = [
    { series: `bound (min ${bounds.min})`, step: 0, gamma: bounds.min },
    { series: `bound (min ${bounds.min})`, step: lastStep, gamma: bounds.min },
    { series: `bound (max ${bounds.max})`, step: 0, gamma: bounds.max },
    { series: `bound (max ${bounds.max})`, step: lastStep, gamma: bounds.max },
  ];
  const series = [...new Set(points.map((p) => p.series)), ...new Set(boundRows.map((b) => b.series))];
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: 520,
    height: 260,
    data: { values: [...points.map((p) => ({ ...p, kind: 'γ' })), ...boundRows.map((b) => ({ ...b, kind: 'bound' }))] },
    mark: { type: 'line' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimiser step' },
      y: { field: 'gamma', type: 'quantitative', title: `γ (init ${bounds.init})`, scale: { domain: [0, bounds.max * 1.05] } },
      color: { field: 'series', type: 'nominal', title: 'series', sort: series, scale: { range: ['#4c78a8', '#e45756', '#72b7b2', '#f58518'] } },
      strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['γ', 'bound'], range: [[1, 0], [6, 4]] } },
    },
  } as TopLevelSpec;
}
