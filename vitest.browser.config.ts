import { defineConfig } from 'vitest/config';

/*
 * The browser demo in a real browser: `npm run test:browser` (after
 * `bash scripts/setup-chromium.sh`, which installs Debian's chromium with apt-get).
 * playwright-core drives /usr/bin/chromium headless (TSGRAD_CHROMIUM overrides the
 * path); the page is built with esbuild and served from node:http, nothing is downloaded.
 * Not part of `npm test`, where test/browser/browser-suite.test.ts reports it as not run.
 */
export default defineConfig({
  // @tsgrad/* resolve to packages/*/src, as in the other configs.
  resolve: { tsconfigPaths: true },
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
