// SIGINT and SIGTERM: one policy for every command.
//
// While a command does work worth stopping cleanly (training, preparing a corpus,
// translating, a study, a server), it holds a stop scope (stopScope()). The first
// signal aborts the scope's AbortSignal and prints the scope's message; the command
// winds down (training keeps a checkpoint, temporary files are removed, a server
// finishes the requests in flight) and exits with 128 + the signal's number: 130 for
// SIGINT, 143 for SIGTERM (serve and worker: 0, a signal being how they are stopped). A
// second signal, or a command still running GRACE_MS after the first, exits at once
// with the same status (worker waits for its jobs: only a second signal quits).
//
// Where no scope is held (short commands, and the phases between scopes) no handler is
// installed at all: the signal's default action ends the process at once, even when
// the event loop is busy, and the shell reports the same 130 / 143. So a signal is
// never ignored: it either stops a scope cleanly within seconds or ends the process.

/** The exit status after a signal: 128 + its number. */
export const SIGNAL_STATUS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignalName = keyof typeof SIGNAL_STATUS;

/** How long a command may take to stop cleanly after the first signal (default). */
export const GRACE_MS = 10_000;

export interface StopScope {
  /** Aborted at the first SIGINT or SIGTERM (its reason is the signal's name). */
  readonly signal: AbortSignal;
  /** The exit status to return once stopped: 130 (SIGINT), 143 (SIGTERM); null while no signal came. */
  readonly status: number | null;
  /** Ends the scope (in a finally block); the last one removes the handlers. */
  close(): void;
}

export interface StopScopeOptions {
  /** Printed on stderr at the first signal, after `SIGNAL: ` (e.g. 'stopping after this step ...'). */
  message?: string;
  /** Called at the first signal, after the signal is aborted (a server closes here). */
  onStop?: (signal: StopSignalName) => void;
  /**
   * The most time the clean stop may take (default GRACE_MS). Infinity: as long as it
   * takes (`worker`, which finishes the jobs it took; a second signal still quits).
   */
  graceMs?: number;
}

interface Scope {
  ctl: AbortController;
  o: StopScopeOptions;
}

const scopes = new Set<Scope>();
let received: StopSignalName | null = null;
let installed = false;

function exitNow(sig: StopSignalName, why: string): never {
  try {
    process.stderr.write(`\nregurgitate: ${why}: exiting now (status ${SIGNAL_STATUS[sig]})\n`);
  } catch {
    // stderr is gone: exit all the same
  }
  process.exit(SIGNAL_STATUS[sig]);
}

function stopOne(s: Scope, sig: StopSignalName): void {
  if (s.ctl.signal.aborted) return;
  s.ctl.abort(sig);
  if (s.o.message) process.stderr.write(`\n${sig}: ${s.o.message}\n`);
  s.o.onStop?.(sig);
}

function onSignal(sig: StopSignalName): void {
  if (received !== null) exitNow(sig, `${sig} again`);
  received = sig;
  const grace = Math.min(...[...scopes].map((s) => s.o.graceMs ?? GRACE_MS));
  for (const s of scopes) stopOne(s, sig);
  if (!Number.isFinite(grace)) return;
  const t = setTimeout(() => exitNow(sig, `still running ${Math.round(grace / 1000)} s after ${sig}`), grace);
  t.unref();
}

const onInt = () => onSignal('SIGINT');
const onTerm = () => onSignal('SIGTERM');

/** Starts a stop scope: from now until close(), SIGINT and SIGTERM stop the work cleanly. */
export function stopScope(o: StopScopeOptions = {}): StopScope {
  const s: Scope = { ctl: new AbortController(), o };
  scopes.add(s);
  if (!installed) {
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    installed = true;
  }
  if (received !== null) stopOne(s, received);
  return {
    signal: s.ctl.signal,
    get status() {
      return received === null ? null : SIGNAL_STATUS[received];
    },
    close() {
      scopes.delete(s);
      if (scopes.size === 0 && installed) {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        installed = false;
      }
    },
  };
}

/** The signal received during a scope, if any. */
export function receivedSignal(): StopSignalName | null {
  return received;
}

/** The exit status of the signal received during a scope (130, 143), or null. */
export function signalStatus(): number | null {
  return received === null ? null : SIGNAL_STATUS[received];
}
