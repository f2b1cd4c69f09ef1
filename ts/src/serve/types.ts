// The contract between `regurgitate serve` and whatever translates: a batch of source
// sentences in, one translation per sentence out, aligned by index.

export interface TranslatedText {
  /** The translation, one line. */
  text: string;
  /** Sum of token log-probabilities (natural log), when known. */
  logprob?: number;
  /** Token counts of the source and of the translation, when known (for `usage`). */
  sourceTokens?: number;
  tokens?: number;
}

export interface Translator {
  /** Translates every text; result[i] translates texts[i]. Called with up to maxBatch texts. */
  translate(texts: string[]): Promise<TranslatedText[]>;
}

export interface ServerOptions {
  translator: Translator;
  /** The model id reported by /v1/models and in every completion. */
  modelName: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
  /** Most sentences per translator call (default 32). */
  maxBatch?: number;
  /** How long the first request of a batch waits for others, in ms (default 5). */
  batchWindowMs?: number;
  /** Time allowed to receive a request body, in ms (default 10000); slower clients get 408. */
  bodyTimeoutMs?: number;
  /** Receives one line per request and per batch (default: nothing is logged). */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8000 (the OpenAI base URL is `${url}/v1`). */
  url: string;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. Idempotent. */
  close(): Promise<void>;
}
