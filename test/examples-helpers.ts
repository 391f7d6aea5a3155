/** Running the example scripts for real, as a user would, and checking what they leave. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node --import tsx examples/<name>.ts ...args` from the repository root, non-TTY. */
export function runExample(name: string, args: readonly string[], timeoutMs = 60_000): ScriptResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('examples', `${name}.ts`), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, CI: '1', FORCE_COLOR: '0' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const created: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsgrad-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Removes every folder tempDir() made in this test file (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Checks that every listed output exists and parses; returns metrics.json. */
export function checkOutputs(outDir: string, expected: readonly string[]): Record<string, unknown> {
  for (const name of expected) {
    const path = join(outDir, name);
    if (!existsSync(path)) throw new Error(`missing output ${name} in ${outDir}`);
    const bytes = readFileSync(path);
    if (name.endsWith('.json')) JSON.parse(bytes.toString('utf8'));
    else if (name.endsWith('.png')) {
      if (!bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error(`${name} does not start with the PNG signature`);
      if (bytes.length < 2000) throw new Error(`${name} is suspiciously small (${bytes.length} bytes)`);
    } else if (name.endsWith('.svg')) {
      if (!bytes.toString('utf8').includes('<svg')) throw new Error(`${name} has no <svg element`);
    } else if (name.endsWith('.md')) {
      if (!bytes.toString('utf8').includes('| ')) throw new Error(`${name} has no table`);
    }
  }
  return JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
}

/** chart names → [name.svg, name.png] plus metrics.json and report.md. */
export function outputFiles(charts: readonly string[]): string[] {
  return ['metrics.json', 'report.md', ...charts.flatMap((c) => [`${c}.svg`, `${c}.png`])];
}
