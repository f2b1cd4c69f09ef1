// The whole native surface, typed in one place. The addon is loaded by ./load.ts;
// everything here is what C++ (native/src/napi/*) exports. Option objects passed to
// native code are already validated by the engine/ layer: native code checks again
// (never trust the boundary) but its messages are terser.

export interface SystemInfo {
  cpuModel: string;
  cpuFeatures: string[];
  isa: 'avx512' | 'avx2' | 'generic';
  threads: number;
  hardwareThreads: number;
  compiler: string;
  napiVersion: number;
}

/** The model configuration, as stored in config.json (snake_case, see docs/model.md). */
export interface NativeModelConfig {
  vocab_size: number;
  d_model: number;
  n_heads: number;
  d_ff: number;
  encoder_layers: number;
  decoder_layers: number;
  max_len: number;
  dropout: number;
  label_smoothing: number;
  activation: 'relu' | 'gelu';
  ln_eps: number;
  pad_id: number;
  bos_id: number;
  eos_id: number;
}

/** A tokenized parallel corpus: sentence i of src is src[srcOffsets[i] .. srcOffsets[i+1]). */
export interface NativePairs {
  src: Int32Array;
  srcOffsets: Int32Array; // length n + 1, starts at 0, non-decreasing
  tgt: Int32Array;
  tgtOffsets: Int32Array;
}

export interface NativeTrainOptions {
  seed: number;
  maxTokens: number; // token budget per batch (source + target tokens incl. padding)
  maxSentences: number; // cap on sentence pairs per batch
  maxSteps: number; // 0 = no step cap
  maxEpochs: number; // 0 = no epoch cap (needs maxSteps)
  lr: number; // peak learning rate
  warmupSteps: number;
  schedule: 'inverse_sqrt' | 'cosine' | 'constant';
  minLr: number; // cosine floor
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
  clipNorm: number; // 0 = no clipping
  validEvery: number; // steps between dev-loss evaluations; 0 = never
  patience: number; // early stopping after this many evaluations without improvement; 0 = off
  progressEvery: number; // steps between progress callbacks
  checkpointDir: string; // '' = no checkpoints
  checkpointEvery: number; // steps between checkpoints; 0 = off (one is written at the end)
  checkpointSeconds: number; // seconds of training between checkpoints (default 20); 0 = off
  resume: boolean; // continue from checkpointDir/latest if present
  restoreBest: boolean; // after training, load the parameters with the best dev loss
  stopAfterSteps: number; // testing aid: stop (as if killed) after this many steps in this call; 0 = off
}

export interface NativeTrainProgress {
  step: number;
  epoch: number;
  loss: number; // mean token loss since the last report
  lr: number;
  tokensPerSec: number;
  elapsedSec: number;
  validLoss?: number; // present on evaluation steps
  bestValidLoss?: number;
}

export interface NativeTrainResult {
  steps: number;
  epochs: number;
  lastLoss: number;
  bestValidLoss: number | null;
  bestStep: number | null;
  stoppedEarly: boolean;
  cancelled: boolean;
  interrupted: boolean; // stopAfterSteps reached
  seconds: number;
}

export interface NativeDecodeOptions {
  method: 'greedy' | 'beam' | 'sample';
  beamSize: number;
  lengthPenalty: number; // GNMT-style alpha; 0 = raw sum of log-probabilities
  temperature: number;
  topK: number; // 0 = off
  topP: number; // 1 = off
  maxLenA: number; // output length limit = maxLenA * srcLen + maxLenB (capped by max_len)
  maxLenB: number;
  seed: number;
  batchSize: number; // sentences per decoding batch
}

export interface NativeDecodeResult {
  ids: Int32Array; // hypotheses without BOS/EOS, concatenated
  offsets: Int32Array; // n + 1
  logprobs: Float64Array; // per sentence: sum of token log-probabilities incl. EOS
}

export interface NativeParamInfo {
  name: string;
  shape: number[];
  offset: number; // in floats, into the contiguous buffer
}

export interface NativeLossAndGrads {
  loss: number; // mean over non-pad label tokens
  tokens: number;
  grads: Float32Array; // same layout as the parameter buffer
}

/** Counts of recorded op sequences (CUDA graphs) for one kind of work. */
export interface NativeGraphCounts {
  captured: number; // recordings made
  replayed: number; // passes (or decoding steps) run as one graph launch
  direct: number; // ones run op by op while graphs were on
  failed: number; // recordings that failed (those ran op by op)
  dropped: number; // recordings dropped because memory moved
}

/**
 * How training passes ran (CUDA: recorded once per batch shape as a CUDA graph, then
 * replayed), and in `decode` how decoding steps ran (one recording per decoding batch,
 * replayed for every position); docs/cuda.md. capacity 0: the backend records nothing
 * (CPU, or REGURGITATE_CUDA_GRAPHS=0), and everything runs op by op.
 */
export interface NativeGraphStats extends NativeGraphCounts {
  capacity: number; // recordings the backend keeps per model
  decode: NativeGraphCounts;
}

export interface NativeModel {
  readonly config: NativeModelConfig;
  numParams(): number;
  graphStats(): NativeGraphStats;
  paramInfo(): NativeParamInfo[];
  getParams(): Float32Array; // a copy
  setParams(p: Float32Array): void;
  /** One forward+backward on one batch (all pairs of `data`), no update. For tests. */
  lossAndGrads(data: NativePairs, opts: { dropoutSeed: number; step: number; train: boolean }): NativeLossAndGrads;
  train(
    train: NativePairs,
    valid: NativePairs | null,
    opts: NativeTrainOptions,
    onProgress: (p: NativeTrainProgress) => void,
  ): Promise<NativeTrainResult>;
  /**
   * Stops the running job. A pending train() resolves with `cancelled: true`; a pending
   * decode() or score() rejects with ECANCELED, even if its worker had already finished.
   */
  cancel(): void;
  decode(src: Int32Array, srcOffsets: Int32Array, opts: NativeDecodeOptions): Promise<NativeDecodeResult>;
  /** Forced decoding: per-pair sum of target log-probabilities (incl. EOS). */
  score(data: NativePairs, batchSize: number): Promise<Float64Array>;
  /** Writes dir/model.safetensors and dir/config.json atomically. */
  save(dir: string): void;
}

export interface NativeModelCtor {
  /** device: 'cpu' (default), or in the CUDA module 'cuda', 'cuda:bf16', 'cuda:tf32', 'cuda:fp32'. */
  new (configJson: string, seed: number, device?: string): NativeModel;
  /** Reads dir/config.json and dir/model.safetensors. */
  load(dir: string, device?: string): NativeModel;
}

export interface GradcheckResult {
  name: string; // the check's name, as passed
  kernel: string;
  maxRelError: number;
  maxAbsError: number;
  checked: number;
  refMaxRelError?: number; // optimized vs naive reference
  tolerance: number; // the check passes when maxRelError <= tolerance
  refTolerance?: number; // ...and refMaxRelError <= refTolerance
  note?: string;
}

export interface KernelBenchResult {
  kernel: string;
  shape: string;
  optMs: number; // best of iters
  refMs: number; // naive reference
  speedup: number;
  threads: number;
}

/** One option's bounds in native code's table (native/src/common/option_ranges.h). */
export interface NativeOptionRange {
  min: number;
  max: number; // Infinity: any finite number
  integer: boolean;
  minOpen: boolean;
  maxOpen: boolean;
}

export interface NativeOptionRanges {
  train: Record<string, NativeOptionRange>;
  decode: Record<string, NativeOptionRange>;
  score: Record<string, NativeOptionRange>;
  maxBeamRows: number;
}

export interface GemmOptions {
  alpha?: number; // default 1
  beta?: number; // default 0 (C is then never read)
  C?: Float32Array; // initial C (copied; at least (M-1)*ldc + N long)
  lda?: number; // row strides; default tightly packed
  ldb?: number;
  ldc?: number;
}

export interface NativeAddon {
  systemInfo(): SystemInfo;
  /**
   * Worker threads from the next parallel region on (0 = the default); returns that count.
   * Safe while work runs: a running kernel finishes on the old workers.
   */
  setThreads(n: number): number;
  /** The ranges every training, decoding and scoring option is read and checked with. */
  optionRanges(): NativeOptionRanges;
  /**
   * C = alpha * op(A) * op(B) + beta * C with the optimized kernel (row-major; op(A) is
   * MxK, op(B) is KxN). Returns a new array (a copy of opts.C when given, else M*ldc zeros).
   * Without explicit lda/ldb the arrays must be exactly M*K and K*N long.
   */
  gemm(
    A: Float32Array,
    B: Float32Array,
    M: number,
    N: number,
    K: number,
    transA: boolean,
    transB: boolean,
    opts?: GemmOptions,
  ): Float32Array;
  /** The naive reference (double accumulation), same arguments as gemm. */
  gemmRef(
    A: Float32Array,
    B: Float32Array,
    M: number,
    N: number,
    K: number,
    transA: boolean,
    transB: boolean,
    opts?: GemmOptions,
  ): Float32Array;
  /** Times the optimized GEMM at MxNxK; returns GFLOP/s (best of `iters`, after a warm-up). */
  benchGemm(
    M: number,
    N: number,
    K: number,
    iters: number,
    opts?: { transA?: boolean; transB?: boolean; beta?: number },
  ): { gflops: number; seconds: number; isa: string };
  /** Names of every gradcheck, and running one. */
  gradcheckNames(): string[];
  gradcheck(name: string, seed: number): GradcheckResult;
  /** Optimized vs naive kernels at the reference workload's shapes (slow: benchmarks only). */
  kernelBenchNames(): string[];
  kernelBench(name: string, iters?: number): KernelBenchResult;
  Model: NativeModelCtor;
}
