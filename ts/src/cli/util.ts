// Small helpers shared by the commands.
export { mulberry32 } from '../data/split.js';

export function out(line: string): void {
  process.stdout.write(line + '\n');
}

export function err(line: string): void {
  process.stderr.write(line + '\n');
}

/** A random integer in [lo, hi). */
export function randInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo));
}
