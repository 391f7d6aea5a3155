import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CHROMIUM, chromiumMissing } from './chromium.js';

/*
 * The Chromium tests — the browser demo (test/browser/demo.browser.ts) and the thread
 * pool in a cross-origin-isolated Worker (threads.browser.ts) — are their own suite,
 * `npm run test:browser`: they need a browser and take about a minute. This
 * file is part of `npm test` so that a plain run says whether and why it was not run.
 */

const root = resolve(import.meta.dirname, '../..');
const missing = chromiumMissing();

describe('browser demo test (npm run test:browser)', () => {
  it('is wired up: the npm script, its vitest config and the test file exist', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:browser']).toMatch(/vitest\.browser\.config\.ts/);
    expect(existsSync(resolve(root, 'vitest.browser.config.ts'))).toBe(true);
    expect(existsSync(resolve(root, 'test/browser/demo.browser.ts'))).toBe(true);
    expect(existsSync(resolve(root, 'test/browser/threads.browser.ts'))).toBe(true);
    // Said out loud as well: the default reporter shows skipped tests only as a count.
    console.log(
      missing
        ? `[browser] the Chromium tests (demo, thread pool) were NOT RUN: ${missing}`
        : `[browser] the Chromium tests (demo, thread pool) are not part of npm test: run \`npm run test:browser\` (${CHROMIUM} is present)`,
    );
  });

  if (missing) {
    it.skip(`NOT RUN — ${missing}`, () => {});
  } else {
    it.skip(`not run by npm test — ${CHROMIUM} is present: run \`npm run test:browser\``, () => {});
  }
});
