/**
 * The shared entry point of the example scripts: --help, one-line usage errors with
 * exit code 2, and a stack trace with exit code 1 for real failures.
 */
import { parseCommandLine, UsageError, type FlagSpec, type FlagValues, type Program } from './cli.js';

export function runMain<S extends Record<string, FlagSpec<unknown>>>(
  program: Program<S>,
  body: (values: FlagValues<S>) => Promise<void>,
  argv: readonly string[] = process.argv.slice(2),
): void {
  const fail = (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${program.name}: error: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${program.name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  };
  let parsed;
  try {
    parsed = parseCommandLine(program, argv);
  } catch (err) {
    fail(err);
    return;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text + '\n');
    return;
  }
  body(parsed.values).catch(fail);
}
