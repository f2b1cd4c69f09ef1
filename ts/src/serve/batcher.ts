// Gathers single-sentence requests into translator calls. The first request of a batch
// waits up to batchWindowMs for company; a full batch (maxBatch) goes at once. One call
// runs at a time (the model would run them one after another anyway): requests that
// arrive meanwhile queue up and form the next batch as soon as it ends, so under load
// batches grow by themselves.
import type { TranslatedText, Translator } from './types.js';

interface Pending {
  text: string;
  resolve: (t: TranslatedText) => void;
  reject: (e: unknown) => void;
}

export class Batcher {
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly translator: Translator,
    private readonly maxBatch: number,
    private readonly windowMs: number,
    private readonly log?: (line: string) => void,
  ) {}

  translate(text: string): Promise<TranslatedText> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ text, resolve, reject });
      if (this.#running) return; // the running batch flushes when it ends
      if (this.#queue.length >= this.maxBatch) void this.#flush();
      else this.#timer ??= setTimeout(() => void this.#flush(), this.windowMs);
    });
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#running || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.maxBatch);
    this.#running = true;
    const t0 = performance.now();
    try {
      const texts = batch.map((p) => p.text);
      const out = await Promise.resolve().then(() => this.translator.translate(texts));
      if (!Array.isArray(out) || out.length !== batch.length)
        throw new Error(`the translator returned ${Array.isArray(out) ? out.length : typeof out} results for ${batch.length} texts`);
      out.forEach((o, i) => {
        if (typeof o?.text !== 'string') batch[i].reject(new Error(`the translator's result ${i} has no text`));
        else batch[i].resolve(o);
      });
      this.log?.(`batch of ${batch.length} translated in ${(performance.now() - t0).toFixed(1)} ms`);
    } catch (e) {
      this.log?.(`batch of ${batch.length} failed: ${e instanceof Error ? e.message : String(e)}`);
      for (const p of batch) p.reject(e);
    } finally {
      this.#running = false;
      // Whoever queued meanwhile has waited at least one batch: go at once.
      if (this.#queue.length > 0) void this.#flush();
    }
  }
}
