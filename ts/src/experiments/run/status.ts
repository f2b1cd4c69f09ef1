// `regurgitate experiment status`: the grid as a table (conditions down, sizes across,
// each cell counting its seeds) with the generator jobs above it and failures below;
// or the same data as JSON.
import type { RunRow, StoreStatus } from '../store/store.js';

function cellText(rows: RunRow[]): string {
  const n = (s: RunRow['status']) => rows.filter((r) => r.status === s).length;
  const done = n('done');
  if (done === rows.length) return `${done}/${rows.length} done`;
  const parts = (['running', 'interrupted', 'failed'] as const).filter((s) => n(s) > 0).map((s) => `${n(s)} ${s}`);
  return `${done}/${rows.length}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function jobText(r: RunRow): string {
  if (r.status === 'running') return `running (${where(r)}${r.started ? `, since ${r.started}` : ''})`;
  if (r.status === 'interrupted') return `interrupted (pid ${r.pid} is gone)`;
  return r.status;
}

/** pid N on HOST: a queued study's runs run on the workers' machines. */
function where(r: RunRow): string {
  return `pid ${r.pid}${r.host ? ` on ${r.host}` : ''}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]))).join('   ').trimEnd());
}

/** A readable summary for the terminal. */
export function formatStatus(status: StoreStatus): string {
  const { counts, runs, experiment } = status;
  const lines: string[] = [];
  const head = experiment ? `experiment ${experiment.name} (spec ${experiment.specHash.slice(0, 12)})` : 'experiment (no spec recorded)';
  const summary = (['done', 'running', 'interrupted', 'failed', 'pending'] as const).map((s) => `${counts[s]} ${s}`).join(', ');
  lines.push(`${head}: ${counts.total} runs: ${summary}`);
  const jobs = runs.filter((r) => r.kind !== 'student');
  if (jobs.length) {
    lines.push('', 'jobs');
    lines.push(...table(jobs.map((r) => ['  ' + r.id, jobText(r)])));
  }
  const students = runs.filter((r) => r.kind === 'student');
  if (students.length) {
    const conditions = [...new Set(students.map((r) => r.condition ?? '?'))];
    const sizes = [...new Set(students.map((r) => r.size ?? 0))].sort((a, b) => a - b);
    const rows = [['condition', ...sizes.map((n) => `n=${n}`)]];
    for (const c of conditions) {
      rows.push([c, ...sizes.map((n) => {
        const cell = students.filter((r) => r.condition === c && r.size === n);
        return cell.length ? cellText(cell) : '-';
      })]);
    }
    lines.push('', ...table(rows));
  }
  const running = runs.filter((r) => r.status === 'running');
  if (running.length) {
    lines.push('', 'running');
    lines.push(...table(running.map((r) => ['  ' + r.id, `${where(r)}${r.started ? `, since ${r.started}` : ''}`])));
  }
  const failed = runs.filter((r) => r.status === 'failed');
  if (failed.length) {
    lines.push('', 'failed');
    for (const r of failed) lines.push(`  ${r.id}: ${(r.error ?? '').split('\n')[0]}`);
  }
  const interrupted = runs.filter((r) => r.status === 'interrupted');
  if (interrupted.length) lines.push('', `${interrupted.length} run(s) interrupted (their process is gone); running the experiment again restarts them.`);
  return lines.join('\n') + '\n';
}

/** The status as JSON (one object: experiment, counts, runs; `experiment status` adds its estimate). */
export function statusJson(status: StoreStatus & { estimate?: unknown }): string {
  return JSON.stringify(status, null, 2) + '\n';
}
