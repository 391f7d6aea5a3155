/** Classifying every cell of a regular grid over a 2-D box, for decision-region plots. */
import type { RegionCell } from './charts/decision-regions.js';
import { predictClasses, type ForwardModel } from './predict.js';

export function decisionGrid(model: ForwardModel, box: { min: number; max: number }, cellsPerSide: number, classNames: readonly string[]): RegionCell[] {
  const step = (box.max - box.min) / cellsPerSide;
  const centres = new Float32Array(cellsPerSide * cellsPerSide * 2);
  for (let iy = 0; iy < cellsPerSide; iy++) {
    for (let ix = 0; ix < cellsPerSide; ix++) {
      const k = iy * cellsPerSide + ix;
      centres[2 * k] = box.min + (ix + 0.5) * step;
      centres[2 * k + 1] = box.min + (iy + 0.5) * step;
    }
  }
  const predicted = predictClasses(model, centres, 2);
  const cells: RegionCell[] = [];
  for (let k = 0; k < predicted.length; k++) {
    const x = centres[2 * k]! - step / 2, y = centres[2 * k + 1]! - step / 2;
    cells.push({ x: round(x), y: round(y), x2: round(x + step), y2: round(y + step), predicted: classNames[predicted[k]!]! });
  }
  return cells;
}

// Short numbers keep the SVG small.
const round = (v: number) => Math.round(v * 1e4) / 1e4;
