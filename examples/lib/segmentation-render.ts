/**
 * Prediction masks next to the ground truth, as one figure: a row per test image with
 * the input, the true mask and each loss's predicted mask, a class colour legend and
 * captions. Drawn as plain SVG (one rect per pixel run, crisp edges) and rasterised
 * with resvg like the charts, so the PNG needs no browser.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { svgToPng } from './render-chart.js';

/** Mask colours by class index; they echo the classes' colours in the input images. */
export const MASK_PALETTE = ['#2b2b2b', '#e4572e', '#43a047', '#1e88e5', '#fdd835', '#8e24aa', '#00acc1', '#f4511e'] as const;

export interface MaskRow {
  /** Caption on the left, e.g. `test #3`. */
  readonly label: string;
  /** [3, H, W] row-major, values around [−1, 1]. */
  readonly image: Float32Array;
  /** [H, W] class indices. */
  readonly truth: Int32Array;
  /** [H, W] class indices, one per column title in `predictionTitles`. */
  readonly predictions: readonly Int32Array[];
}

export interface MaskFigure {
  readonly title: string;
  readonly subtitle?: string;
  readonly classes: readonly string[];
  /** One title per prediction column (the losses). */
  readonly predictionTitles: readonly string[];
  readonly rows: readonly MaskRow[];
  /** Side of the square images in pixels. */
  readonly size: number;
  /** Screen units per image pixel (default 5). */
  readonly scale?: number;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function toByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255)));
}

function rgbImageRects(image: Float32Array, size: number, x0: number, y0: number, s: number): string {
  const plane = size * size;
  const parts: string[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      const fill = `rgb(${toByte(image[p]!)},${toByte(image[plane + p]!)},${toByte(image[2 * plane + p]!)})`;
      parts.push(`<rect x="${x0 + x * s}" y="${y0 + y * s}" width="${s}" height="${s}" fill="${fill}"/>`);
    }
  }
  return parts.join('');
}

/** A mask as horizontal runs of one class each: far fewer rects than pixels. */
function maskRects(mask: Int32Array, size: number, x0: number, y0: number, s: number): string {
  const parts: string[] = [];
  for (let y = 0; y < size; y++) {
    let start = 0;
    for (let x = 1; x <= size; x++) {
      if (x === size || mask[y * size + x] !== mask[y * size + start]) {
        const colour = MASK_PALETTE[mask[y * size + start]! % MASK_PALETTE.length];
        parts.push(`<rect x="${x0 + start * s}" y="${y0 + y * s}" width="${(x - start) * s}" height="${s}" fill="${colour}"/>`);
        start = x;
      }
    }
  }
  return parts.join('');
}

/** The figure as an SVG document. */
export function maskFigureSvg(f: MaskFigure): string {
  const s = f.scale ?? 5;
  const cell = f.size * s;
  const gap = 10;
  const left = 80;
  const top = f.subtitle ? 74 : 56;
  const columns = ['input', 'ground truth', ...f.predictionTitles];
  const width = left + columns.length * (cell + gap) + gap;
  const legendTop = top + f.rows.length * (cell + gap) + 6;
  const height = legendTop + 34;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${gap}" y="24" font-size="16" font-weight="bold">${escapeXml(f.title)}</text>`,
  ];
  if (f.subtitle) out.push(`<text x="${gap}" y="44" font-size="12" fill="#444">${escapeXml(f.subtitle)}</text>`);
  columns.forEach((c, j) => {
    out.push(`<text x="${left + j * (cell + gap) + cell / 2}" y="${top - 8}" font-size="12" text-anchor="middle">${escapeXml(c)}</text>`);
  });
  out.push('<g shape-rendering="crispEdges">');
  f.rows.forEach((row, i) => {
    const y = top + i * (cell + gap);
    out.push(`<text x="${gap}" y="${y + cell / 2 + 4}" font-size="12">${escapeXml(row.label)}</text>`);
    out.push(rgbImageRects(row.image, f.size, left, y, s));
    out.push(maskRects(row.truth, f.size, left + (cell + gap), y, s));
    row.predictions.forEach((p, j) => out.push(maskRects(p, f.size, left + (j + 2) * (cell + gap), y, s)));
  });
  out.push('</g>');
  let x = left;
  f.classes.forEach((name, k) => {
    out.push(`<rect x="${x}" y="${legendTop}" width="14" height="14" fill="${MASK_PALETTE[k % MASK_PALETTE.length]}" stroke="#888"/>`);
    out.push(`<text x="${x + 20}" y="${legendTop + 12}" font-size="12">${escapeXml(name)}</text>`);
    x += 34 + name.length * 7;
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Writes `<name>.svg` and `<name>.png` into `outDir`. */
export function writeMaskFigure(f: MaskFigure, outDir: string, name: string): { svg: string; png: string } {
  const svg = maskFigureSvg(f);
  const svgPath = join(outDir, `${name}.svg`);
  const pngPath = join(outDir, `${name}.png`);
  writeFileSync(svgPath, svg);
  writeFileSync(pngPath, svgToPng(svg));
  return { svg: svgPath, png: pngPath };
}
