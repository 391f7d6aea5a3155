import { existsSync } from 'node:fs';

/** The browser the test drives: Debian's chromium (scripts/setup-chromium.sh), or TSGRAD_CHROMIUM. */
export const CHROMIUM = process.env['TSGRAD_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser test cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} not found — install Debian's chromium with \`bash scripts/setup-chromium.sh\` (or point TSGRAD_CHROMIUM at a Chromium binary), then \`npm run test:browser\``;
}
