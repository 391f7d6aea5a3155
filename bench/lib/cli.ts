/** Command-line options of `npm run bench`. */

export interface CliOptions {
  quick: boolean;
  only: string[];
  columns: string[] | null;
  readback: boolean;
  out: string | null;
  /** Threads of the tsgrad WebAssembly column (1: single-threaded, like every peer). */
  threads: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench [-- options]      (npm run bench:quick = --quick)

  --quick              a few iterations per cell: CI smoke test, not a measurement
  --only <substr>      run workloads whose id or title contains <substr>
                       (repeatable, or comma-separated; case-insensitive)
  --columns <list>     comma-separated columns to run (default: all), e.g. tsgrad-wasm,jax-js,plain
  --readback           also read every result back to a host typed array (dataSync)
                       inside the timed region, for every library (default: off; the
                       timed region ends when results exist in the library's memory)
  --threads <n>        threads of the tsgrad-wasm column (default 1: every library
                       single-threaded; \`npm run bench:threads\` measures the scaling)
  --out <name>         write bench/results/<name>.{json,md} (default: latest for a full
                       unfiltered run, latest-readback with --readback, else quick / partial)
  -h, --help           this text`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { quick: false, only: [], columns: null, readback: false, out: null, threads: 1, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`bench: ${flag} needs a value\n\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = (): string => inline ?? value(i++, flag);
    switch (flag) {
      case '--quick': opts.quick = true; break;
      case '--only': opts.only.push(...take().split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)); break;
      case '--columns': opts.columns = take().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--no-readback': opts.readback = false; break;
      case '--readback': opts.readback = true; break;
      case '--out': opts.out = take(); break;
      case '--threads': {
        const v = take();
        const n = Number(v);
        if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new Error(`bench: --threads expects a positive integer, got '${v}'\n\n${USAGE}`);
        opts.threads = n;
        break;
      }
      case '-h': case '--help': opts.help = true; break;
      default: throw new Error(`bench: unknown option '${a}'\n\n${USAGE}`);
    }
  }
  return opts;
}
