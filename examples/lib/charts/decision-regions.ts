/**
 * A 2-D classifier's decision regions: a grid of cells coloured by predicted class,
 * with the training points on top in the same colours.
 */
import type { TopLevelSpec } from 'vega-lite';

export interface RegionCell {
  readonly x: number;
  readonly y: number;
  readonly x2: number;
  readonly y2: number;
  readonly predicted: string;
}

export interface LabelledPoint {
  readonly x: number;
  readonly y: number;
  readonly label: string;
}

export function decisionRegionsChart(cells: readonly RegionCell[], points: readonly LabelledPoint[], opts: { title: string; subtitle?: string; classes: readonly string[] }): TopLevelSpec {
  const color = { field: 'cls', type: 'nominal', title: 'class', sort: opts.classes, scale: { domain: opts.classes, scheme: 'category10' } };
  return {
    title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) },
    width: 380,
    height: 380,
    layer: [
      {
        data: { values: cells.map((c) => ({ ...c, cls: c.predicted })) },
        mark: { type: 'rect', opacity: 0.35 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'x₁', scale: { nice: false, zero: false } },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: 'x₂', scale: { nice: false, zero: false } },
          y2: { field: 'y2' },
          color,
        },
      },
      {
        data: { values: points.map((p) => ({ ...p, cls: p.label })) },
        mark: { type: 'circle', size: 14, opacity: 0.9, stroke: 'black', strokeWidth: 0.3 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}
