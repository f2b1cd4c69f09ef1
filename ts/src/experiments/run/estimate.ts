// How long the rest of a study takes, from the runs already done: `experiment status`
// prints it, so a slice run on a GPU tells what the full grid would cost there.
//
// The model is deliberately simple and says what it assumes: a student's training time
// is proportional to its training size (seconds per pair, measured over the done
// students), plus a fixed part per run (translating and scoring the test split, loading).
// Only students finished on one host are used (the host of the latest one), so CPU runs
// do not blur a GPU estimate. A job not yet run is estimated only when it trains the
// students' own model (the 'high' and 'self' generators, a fine-tuning base): as a
// student of its pool-A pairs, plus translating its pool-B sentences at the students'
// per-sentence test rate when it decodes as they do. Anything else is listed as not
// estimated rather than guessed. Early stopping makes epochs vary with size, so read
// the figure as an order of magnitude, better the more sizes have been measured.
import { canonicalJson } from '../../common/canonical.js';
import type { Cell } from '../grid/grid.js';
import type { RunRow, StoreStatus } from '../store/store.js';
import { requestedIndices } from '../kinds/index.js';

export interface EstimateInput {
  status: StoreStatus;
  /** Run id -> phase -> seconds (ResultsStore.timings()). */
  timings: Map<string, Record<string, number>>;
  /** The grid (expandGrid of the recorded spec), for the settings of jobs not yet run. */
  cells?: readonly Cell[];
  /** Pairs in the test split, pool A and pool B (null when unknown). */
  testSize?: number | null;
  poolASize?: number | null;
  poolBSize?: number | null;
}

export interface StudyEstimate {
  done: number;
  total: number;
  /** Seconds for what is left and could be estimated (0 when nothing is left; null when nothing could be estimated). */
  remainingSeconds: number | null;
  /** What the student rate was measured on. */
  basis: { host: string | null; runs: number; sizes: number[]; secondsPerPair: number; overheadSeconds: number; secondsPerTestSentence: number | null } | null;
  /** Estimated parts of what is left. */
  parts: { what: string; runs: number; seconds: number; how: string }[];
  notEstimated: { id: string; why: string }[];
}

function wallSeconds(r: RunRow): number | null {
  if (!r.started || !r.finished) return null;
  const s = (Date.parse(r.finished) - Date.parse(r.started)) / 1000;
  return Number.isFinite(s) && s >= 0 ? s : null;
}

interface Measured {
  size: number;
  seconds: number;
  train: number | null;
  translate: number | null;
}

function measuredStudents(input: EstimateInput): { host: string | null; runs: Measured[] } {
  const done = input.status.runs.filter((r) => r.kind === 'student' && r.status === 'done' && r.size !== null && r.size > 0);
  if (done.length === 0) return { host: null, runs: [] };
  const latest = done.reduce((a, b) => ((b.finished ?? '') > (a.finished ?? '') ? b : a));
  const runs: Measured[] = [];
  for (const r of done) {
    if (r.host !== latest.host) continue;
    const t = input.timings.get(r.id) ?? {};
    const train = t.train ?? null;
    const translate = t.translate ?? null;
    const phases = (train ?? 0) + (translate ?? 0);
    const seconds = Math.max(wallSeconds(r) ?? 0, phases);
    if (seconds > 0) runs.push({ size: r.size!, seconds, train, translate });
  }
  return { host: latest.host, runs };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function estimateRemaining(input: EstimateInput): StudyEstimate {
  const rows = input.status.runs;
  const left = rows.filter((r) => r.status !== 'done');
  const est: StudyEstimate = { done: rows.length - left.length, total: rows.length, remainingSeconds: left.length === 0 ? 0 : null, basis: null, parts: [], notEstimated: [] };
  if (left.length === 0) return est;
  const m = measuredStudents(input);
  if (m.runs.length > 0) {
    const withTrain = m.runs.every((r) => r.train !== null);
    const perPair = withTrain ? sum(m.runs.map((r) => r.train!)) / sum(m.runs.map((r) => r.size)) : sum(m.runs.map((r) => r.seconds)) / sum(m.runs.map((r) => r.size));
    const overhead = withTrain ? sum(m.runs.map((r) => r.seconds - r.train!)) / m.runs.length : 0;
    const translated = m.runs.filter((r) => r.translate !== null);
    const perSentence = input.testSize && translated.length ? sum(translated.map((r) => r.translate!)) / translated.length / input.testSize : null;
    est.basis = { host: m.host, runs: m.runs.length, sizes: [...new Set(m.runs.map((r) => r.size))].sort((a, b) => a - b), secondsPerPair: perPair, overheadSeconds: overhead, secondsPerTestSentence: perSentence };
  }
  const b = est.basis;
  const students = left.filter((r) => r.kind === 'student');
  if (students.length) {
    if (b) est.parts.push({ what: 'students', runs: students.length, seconds: sum(students.map((r) => b.secondsPerPair * (r.size ?? 0) + b.overheadSeconds)), how: 'training time proportional to size' });
    else est.notEstimated.push({ id: `${students.length} student run(s)`, why: 'no student has finished yet' });
  }
  const byId = new Map((input.cells ?? []).map((c) => [c.id, c]));
  const studentCell = input.cells?.find((c) => c.kind === 'student');
  const student = studentCell?.settings.student as { model?: unknown; decode?: unknown } | undefined;
  for (const r of left.filter((x) => x.kind !== 'student')) {
    const cell = byId.get(r.id);
    const why = jobEstimate(r, cell, student, b, input, est);
    if (why) est.notEstimated.push({ id: r.id, why });
  }
  if (est.parts.length) est.remainingSeconds = sum(est.parts.map((p) => p.seconds));
  return est;
}

/** Adds a job's estimate to `est.parts`; returns why it cannot be estimated otherwise. */
function jobEstimate(r: RunRow, cell: Cell | undefined, student: { model?: unknown; decode?: unknown } | undefined, b: StudyEstimate['basis'], input: EstimateInput, est: StudyEstimate): string | null {
  if (!cell || !student) return 'its settings are not known here';
  const s = cell.settings as { generator?: { kind?: string; model?: unknown; decode?: Record<string, unknown> }; model?: unknown; pairs?: number };
  const model = cell.kind === 'base' ? s.model : s.generator?.model;
  if (cell.kind === 'generator' && s.generator?.kind !== 'model') return `${s.generator?.kind ?? 'unknown'} generator: nothing measured to scale from`;
  if (canonicalJson(model) !== canonicalJson(student.model)) return "its model is not the students' and it has not run yet";
  if (!b) return 'no student has finished yet';
  const pairs = cell.size ?? input.poolASize ?? null;
  if (pairs === null) return 'the size of pool A is not known here';
  let seconds = b.secondsPerPair * pairs;
  let how = `as a student of ${pairs} pairs`;
  if (cell.kind === 'generator') {
    const dec = (d: unknown) => canonicalJson({ ...(d as object), seed: undefined });
    const n = input.cells && input.poolBSize ? (requestedIndices(input.cells, input.poolBSize).get(cell.id)?.length ?? 0) : null;
    if (n === null || b.secondsPerTestSentence === null) how += ', translating pool B not estimated (sizes unknown)';
    else if (dec(s.generator?.decode) !== dec(student.decode)) how += ', translating pool B not estimated (it decodes unlike the students)';
    else {
      seconds += n * b.secondsPerTestSentence;
      how += ` + translating ${n} pool-B sentences`;
    }
  }
  est.parts.push({ what: r.id, runs: 1, seconds, how });
  return null;
}

/** "1 h 05 min", "12 min", "40 s". */
export function formatHours(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const min = Math.round((seconds - h * 3600) / 60);
  return min === 60 ? `${h + 1} h 00 min` : `${h} h ${String(min).padStart(2, '0')} min`;
}

/** The estimate as lines for `experiment status`. */
export function formatEstimate(e: StudyEstimate): string {
  if (e.done === e.total) return `estimate: all ${e.total} runs are done\n`;
  const lines: string[] = [];
  const b = e.basis;
  const total = e.remainingSeconds === null ? 'cannot be estimated yet' : `takes about ${formatHours(e.remainingSeconds)}${e.notEstimated.length ? ` plus what is not estimated` : ''}`;
  lines.push(`estimate: ${e.done} of ${e.total} runs done; at the measured per-run times the rest ${total}`);
  if (b) {
    const per1000 = (b.secondsPerPair * 1000).toFixed(1);
    lines.push(
      `  measured on ${b.host ?? 'an unknown host'}: ${b.runs} student(s) at n=${b.sizes.join(', ')}: ${per1000} s of training per 1000 pairs + ${b.overheadSeconds.toFixed(0)} s per run${b.secondsPerTestSentence !== null ? ` (translating the test split: ${(b.secondsPerTestSentence * 1000).toFixed(1)} ms per sentence)` : ''}`,
    );
  }
  for (const p of e.parts) lines.push(`  ${p.what}${p.runs > 1 ? ` (${p.runs} left)` : ''}: about ${formatHours(p.seconds)} (${p.how})`);
  if (e.notEstimated.length) {
    const shown = e.notEstimated.slice(0, 5).map((n) => `${n.id} (${n.why})`);
    lines.push(`  not estimated: ${shown.join('; ')}${e.notEstimated.length > 5 ? `; and ${e.notEstimated.length - 5} more` : ''}`);
  }
  if (b && b.sizes.length === 1) lines.push('  (one size measured: training time is assumed proportional to size; early stopping may change that)');
  return lines.join('\n') + '\n';
}
