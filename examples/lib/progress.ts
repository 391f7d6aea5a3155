/**
 * Per-epoch progress on stderr. In a terminal: a cli-progress bar per epoch with the
 * running loss, left on screen when the epoch ends (one line per epoch). Elsewhere (CI,
 * pipes, tests) cli-progress's noTTYOutput would re-print the bar every few seconds,
 * so instead we print exactly one plain line per finished epoch.
 */
import cliProgress from 'cli-progress';

export interface EpochReport {
  readonly loss: number;
  /** Extra numbers shown after the loss, e.g. `{ 'test bal-acc': 0.91 }`. */
  readonly extra?: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly epochs: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true && process.env['CI'] === undefined;
  }

  startEpoch(epoch: number, batches: number): void {
    if (!this.tty) return;
    const width = String(this.epochs).length;
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${this.label} epoch ${String(epoch).padStart(width)}/${this.epochs} {bar} {value}/{total} batches | loss {loss} | {duration}s{extra}`,
        barsize: 24,
        hideCursor: false, // training is synchronous, so a Ctrl-C could not restore a hidden cursor
        clearOnComplete: false,
        noTTYOutput: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(batches, 0, { loss: '…', extra: '' });
  }

  /** After each batch: the mean loss of the epoch so far. */
  update(batchesDone: number, runningLoss: number): void {
    this.bar?.update(batchesDone, { loss: runningLoss.toFixed(4) });
  }

  endEpoch(epoch: number, report: EpochReport): void {
    const extra = Object.entries(report.extra ?? {}).map(([k, v]) => ` | ${k} ${v.toFixed(3)}`).join('');
    if (this.bar) {
      this.bar.update({ loss: report.loss.toFixed(4), extra });
      this.bar.stop();
      this.bar = null;
      return;
    }
    const width = String(this.epochs).length;
    this.stream.write(
      `${this.label} epoch ${String(epoch).padStart(width)}/${this.epochs}  loss ${report.loss.toFixed(4)}${extra.replace(/ \| /g, '  ')}  (${report.seconds.toFixed(1)}s)\n`,
    );
  }
}
