/** Writing a run's text outputs: metrics.json and report.md. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Pretty JSON; NaN and ±Infinity become null (JSON has no NaN). */
export function writeJson(outDir: string, name: string, data: unknown): string {
  const path = join(outDir, name);
  writeFileSync(path, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return path;
}

export function writeMarkdown(outDir: string, name: string, lines: readonly string[]): string {
  const path = join(outDir, name);
  writeFileSync(path, lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n');
  return path;
}

/** The command that reproduces this run, for reports. */
export function commandLine(script: string, argv: readonly string[] = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['npx tsx', script, ...argv.map(quote)].join(' ');
}
