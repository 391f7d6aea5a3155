/**
 * Vega-Lite spec → SVG (vega's headless 'none' renderer) → PNG (resvg). Charts are
 * declared, not drawn by hand, so every image gets real axes, titles and legends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';

/** Fonts resvg finds on most systems; the first one present is used. */
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

export interface RenderedChart {
  readonly svg: string;
  readonly png: string;
}

/** Shared look: white background, readable font sizes. */
export function withHouseStyle(spec: TopLevelSpec): TopLevelSpec {
  return {
    ...spec,
    background: 'white',
    config: {
      font: FONT,
      title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: '#444' },
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 260 },
      header: { labelFontSize: 13, titleFontSize: 13 },
      ...(spec.config ?? {}),
    },
  } as TopLevelSpec;
}

export async function chartToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(withHouseStyle(spec)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}

/** Writes `<name>.svg` and `<name>.png` into `outDir`; returns their paths. */
export async function renderChart(spec: TopLevelSpec, outDir: string, name: string): Promise<RenderedChart> {
  const svg = await chartToSvg(spec);
  const svgPath = join(outDir, `${name}.svg`);
  const pngPath = join(outDir, `${name}.png`);
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, svgToPng(svg));
  return { svg: svgPath, png: pngPath };
}
