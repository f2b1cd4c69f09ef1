// stdout and stderr that may be closed by the reader: `regurgitate ... | head -1`.
//
// Node ignores SIGPIPE, so writing to a pipe whose reader has gone fails with EPIPE,
// reported as an 'error' event on the stream; with no listener that is an unhandled
// error (a stack trace and status 1), after the work is done. installOutputHandlers()
// (main.ts, once) listens on both streams: EPIPE marks the stream closed and later
// output to it is dropped, quietly, and the command ends with its own status (0 when
// the work is done), as `head` users expect. Commands that only stream output
// (tokenizer encode, decode) stop early when stdoutClosed(). Any other write error
// (a full disk behind `> file`) is reported on the other stream and makes the status 1.

let outClosed = false;
let errClosed = false;
let failure: string | null = null;
let installed = false;

const isPipeGone = (e: NodeJS.ErrnoException) => e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' || e.code === 'ECONNRESET';

function handler(which: 'stdout' | 'stderr') {
  return (e: NodeJS.ErrnoException) => {
    if (which === 'stdout') outClosed = true;
    else errClosed = true;
    if (isPipeGone(e)) return;
    failure ??= `cannot write to ${which}: ${e.message}`;
    const other = which === 'stdout' ? process.stderr : process.stdout;
    if (!(which === 'stdout' ? errClosed : outClosed)) {
      try {
        other.write(`regurgitate: ${failure}\n`);
      } catch {
        // nowhere left to say it
      }
    }
  };
}

/** Listens for write errors on stdout and stderr (once per process). */
export function installOutputHandlers(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', handler('stdout'));
  process.stderr.on('error', handler('stderr'));
}

/** Whether stdout's reader has gone (EPIPE): further output is dropped. */
export function stdoutClosed(): boolean {
  return outClosed || process.stdout.destroyed;
}

/** A write error other than a closed pipe (the output is incomplete), or null. */
export function outputFailure(): string | null {
  return failure;
}
