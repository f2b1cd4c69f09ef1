// A cell's records made where the results store is not: a queue worker collects what the
// handler records and the coordinator, the store's one writer, replays it.
import type { RunRecorder } from '../kinds/types.js';

export type RecordCall =
  | { m: 'metric'; id: string; name: string; value: number; signature: string | null }
  | { m: 'timing'; id: string; phase: string; seconds: number }
  | { m: 'artifact'; id: string; kind: string; path: string };

export class RecordingStore implements RunRecorder {
  readonly calls: RecordCall[] = [];

  recordMetric(id: string, name: string, value: number, signature: string | null = null): void {
    this.calls.push({ m: 'metric', id, name, value, signature });
  }

  recordTiming(id: string, phase: string, seconds: number): void {
    this.calls.push({ m: 'timing', id, phase, seconds });
  }

  recordArtifact(id: string, kind: string, path: string): void {
    this.calls.push({ m: 'artifact', id, kind, path });
  }
}

/** Writes recorded calls into a store (the store checks every name and value again). */
export function replay(calls: readonly RecordCall[], store: RunRecorder): void {
  for (const c of calls) {
    if (c.m === 'metric') store.recordMetric(c.id, c.name, c.value, c.signature);
    else if (c.m === 'timing') store.recordTiming(c.id, c.phase, c.seconds);
    else store.recordArtifact(c.id, c.kind, c.path);
  }
}
