// A progress line for long runs: on a TTY one line updated in place (at most 10 times a
// second); otherwise plain lines at most every `intervalMs` (logs stay readable) and
// one final line from done().

export interface ProgressStats {
  loss?: number;
  tokensPerSec?: number;
  /** Free text appended to the line. */
  note?: string;
}

export interface ProgressOptions {
  total: number;
  label?: string;
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force TTY or plain mode (default: the stream's isTTY). */
  tty?: boolean;
  /** Plain mode: minimum time between lines (default 5 s). */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

export class ProgressBar {
  readonly total: number;
  readonly #label: string;
  readonly #stream: NodeJS.WritableStream & { columns?: number };
  readonly #tty: boolean;
  readonly #interval: number;
  readonly #now: () => number;
  readonly #start: number;
  #lastDraw = -Infinity;
  #step = 0;
  #stats: ProgressStats = {};
  #drawn = false;
  #finished = false;

  constructor(o: ProgressOptions) {
    this.total = Math.max(1, o.total);
    this.#label = o.label ?? '';
    this.#stream = (o.stream ?? process.stderr) as NodeJS.WritableStream & { columns?: number };
    this.#tty = o.tty ?? Boolean((this.#stream as NodeJS.WriteStream).isTTY);
    this.#interval = o.intervalMs ?? 5000;
    this.#now = o.now ?? (() => performance.now());
    this.#start = this.#now();
  }

  /** The text of the current line (without control characters). */
  line(width = 80): string {
    const elapsed = (this.#now() - this.#start) / 1000;
    const frac = Math.min(1, this.#step / this.total);
    const eta = this.#step > 0 ? (elapsed / this.#step) * (this.total - this.#step) : NaN;
    const parts = [
      this.#label,
      `step ${this.#step}/${this.total}`,
      `${(frac * 100).toFixed(0).padStart(3)}%`,
      this.#stats.loss !== undefined ? `loss ${this.#stats.loss.toFixed(4)}` : '',
      this.#stats.tokensPerSec !== undefined ? `${formatRate(this.#stats.tokensPerSec)} tok/s` : '',
      `elapsed ${formatDuration(elapsed)}`,
      this.#step < this.total ? `ETA ${formatDuration(eta)}` : '',
      this.#stats.note ?? '',
    ].filter((s) => s !== '');
    let text = parts.join('  ');
    if (this.#tty) {
      const barW = Math.max(10, Math.min(30, width - text.length - 4));
      const filled = Math.round(frac * barW);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(barW - filled)}]`;
      text = `${this.#label ? this.#label + ' ' : ''}${bar} ${parts.slice(this.#label ? 1 : 0).join('  ')}`;
      if (text.length > width - 1) text = text.slice(0, width - 1);
    }
    return text;
  }

  update(step: number, stats: ProgressStats = {}): void {
    if (this.#finished) return;
    this.#step = Math.max(0, Math.min(step, this.total));
    this.#stats = { ...this.#stats, ...stats };
    const t = this.#now();
    if (this.#tty) {
      if (t - this.#lastDraw < 100 && this.#step < this.total) return;
      this.#stream.write(`\r\x1b[2K${this.line(this.#stream.columns ?? 80)}`);
      this.#drawn = true;
    } else {
      // The final state is printed by done().
      if (t - this.#lastDraw < this.#interval || this.#step >= this.total) return;
      this.#stream.write(this.line() + '\n');
    }
    this.#lastDraw = t;
  }

  /** Draws the final state and ends the line. */
  done(note?: string): void {
    if (this.#finished) return;
    if (note !== undefined) this.#stats.note = note;
    if (this.#tty) this.#stream.write(`\r\x1b[2K${this.line(this.#stream.columns ?? 80)}\n`);
    else this.#stream.write(this.line() + '\n');
    this.#drawn = false;
    this.#finished = true;
  }

  /** Clears the TTY line (to print something else) without finishing. */
  clear(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
