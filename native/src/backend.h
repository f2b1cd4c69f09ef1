// The seam between the model and the hardware: every op the model needs, over raw
// buffers owned by the backend. The CPU backend (cpu/) and the CUDA backend
// (native/cuda/) implement it; model/, train/ and decoding only ever talk to this.
// All tensors are fp32 and row-major unless said otherwise; int tensors are int32.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/activation.h"
#include "cpu/attention.h"
#include "cpu/adamw.h"
#include "cpu/decode_ops.h"

namespace rg {

using cpu::Act;
using cpu::AdamWHyper;
using cpu::AttnShape;

// A tensor inside a parameter buffer, for clip_adamw.
struct ParamSpan {
  size_t offset = 0, size = 0;
  bool decay = false;  // weight decay applies
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // Memory. Buffers from alloc() are only touched through this interface.
  virtual void* alloc(size_t bytes) = 0;
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* src, size_t bytes) = 0;    // host -> backend
  virtual void download(void* dst, const void* src, size_t bytes) = 0;  // backend -> host
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;      // backend -> backend
  virtual void zero(void* p, size_t bytes) = 0;
  virtual void synchronize() = 0;

  // Semantics of each op: see the matching header in cpu/.
  virtual void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                    int lda, const float* B, int ldb, float beta, float* C, int ldc) = 0;
  virtual void sinusoidal_table(float* pe, int max_len, int d) = 0;
  virtual void embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
                         float scale, const float* pe) = 0;
  // V: the vocabulary size (ids lie in [0, V); backends that bucket by id need it).
  virtual void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, int V,
                         float scale) = 0;
  virtual void layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                             const float* beta, int rows, int cols, float eps) = 0;
  virtual void layernorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                             const float* mean, const float* rstd, const float* gamma, int rows,
                             int cols) = 0;
  virtual void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                             const int* k_len, float* out, float* probs) = 0;
  // `out` is attention_fwd's output (flash-style backends need it; the CPU does not).
  virtual void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                             const int* k_len, const float* out, const float* probs,
                             const float* dout, float* dq, float* dk, float* dv) = 0;
  // Floats attention_fwd saves per call for backward (CPU: the probabilities [B,H,Tq,Tk];
  // CUDA: the log-sum-exp of each row, [B,H,Tq]).
  virtual size_t attention_saved_floats(int B, int H, int Tq, int Tk) = 0;
  virtual void act_fwd(Act a, float* y, const float* x, size_t n) = 0;
  virtual void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) = 0;
  virtual void bias_add(float* y, const float* b, int rows, int cols) = 0;
  virtual void bias_grad(float* db, const float* dy, int rows, int cols) = 0;
  virtual void add_inplace(float* y, const float* x, size_t n) = 0;
  virtual void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed,
                           uint64_t stream) = 0;
  virtual void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed,
                           uint64_t stream) = 0;
  virtual void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                            int ignore_index, float grad_scale, float* losses,
                            float* target_logprob, float* dlogits) = 0;
  virtual void log_softmax_rows(float* out, const float* logits, int N, int V) = 0;
  virtual void adamw_update(float* p, const float* g, float* m, float* v, size_t n,
                            const AdamWHyper& h, float weight_decay) = 0;
  virtual double sum_squares(const float* x, size_t n) = 0;
  virtual void scale_inplace(float* x, size_t n, float s) = 0;

  // ---- recorded op sequences (CUDA graphs; model/pass_graphs.h drives them) ----
  // A backend that can record the ops issued between graph_begin and graph_end and replay
  // them with one launch says how many recordings it keeps (graph_capacity() > 0); the
  // defaults record nothing. While recording, ops run nothing: they are only recorded.
  // Values that change between replays are "slots": every op given a per-step value (the
  // dropout ops' stream id; xent_fwd_bwd's grad_scale, as float bits in the low 32;
  // embed_fwd's pos0 and append_rows' pos, as ints in the low 32) takes the next slot and
  // records the value it was given; each replay supplies fresh values in that order.
  // Nothing may return data to the host while recording (no download).
  virtual int graph_capacity() const { return 0; }
  // Starts recording; false when this backend cannot (then nothing changed).
  virtual bool graph_begin() { return false; }
  // Stops recording. The recording, or null when it failed (an op could not be recorded:
  // none of the recorded ops ran, so the caller issues them again). slots: the recorded
  // slot values, in order. Also the way out after an exception while recording.
  virtual void* graph_end(std::vector<uint64_t>* slots) { (void)slots; return nullptr; }
  virtual void graph_launch(void* graph, const uint64_t* slots, size_t n) { (void)graph; (void)slots; (void)n; }
  virtual void graph_release(void* graph) { (void)graph; }
  // Changes whenever memory the backend owns internally (scratch) moves: a recording made
  // under another epoch refers to freed memory and must not be replayed.
  virtual uint64_t memory_epoch() const { return 0; }

  // ---- fused training ops ----
  // Each equals the composition of the ops above written in its comment; the defaults
  // (backend_fused.cc) are exactly that composition. A backend overrides one to make
  // fewer passes over memory (the CUDA backend: one kernel instead of two or three).
  // p <= 0 means no dropout (the dropout step is then the identity).
  //
  // bf16 copies: a backend whose GEMMs round their operands to bf16 says so with
  // wants_bf16_copies(); the model then keeps a bf16 copy (raw bits, [rows, cols]
  // contiguous, made by to_bf16 rounding) of each activation that feeds a linear layer.
  // The producing op writes it (y16) and the linear ops may read it (x16) instead of
  // rounding x again, in the forward and again in the backward. Likewise the model keeps
  // a bf16 copy P16 of its whole parameter buffer (same layout), which the optimizer
  // (clip_adamw) writes with the fp32 update, and the linear ops may read a weight's slice
  // of it (W16) instead of rounding W. Nullable everywhere; a backend that computes in
  // fp32 ignores x16 and W16 (they are only ever bf16(x) and bf16(W)).
  virtual bool wants_bf16_copies() const { return false; }
  // dst[i] = bf16 bits of src[i], round to nearest even (__float2bfloat16_rn).
  virtual void to_bf16(void* dst, const float* src, size_t n) = 0;

  // y[rows, out] = x[rows, in] W^T + b, W [out, in]: gemm, then bias_add (b nullable).
  virtual void linear_fwd(float* y, const float* x, const void* x16, const float* W,
                          const void* W16, const float* b, int rows, int out, int in);
  // The linear layer's backward: dW += dout^T x (gemm), db += column sums of dout
  // (bias_grad; db nullable), din = dout W, or din += dout W when accumulate (gemm; din
  // nullable). x [rows, in], dout [rows, out], W [out, in].
  virtual void linear_bwd(float* dW, float* db, float* din, bool accumulate, const float* dout,
                          const float* x, const void* x16, const float* W, const void* W16,
                          int rows, int out, int in);
  // h = res + dropout(h) (h in place), then y = layernorm(h) with its mean and rstd:
  // dropout_fwd(h, h), add_inplace(h, res), layernorm_fwd(y, mean, rstd, h, ...), and
  // y16 = to_bf16(y) when y16 is given.
  virtual void dropout_add_layernorm(float* h, const float* res, float p, uint64_t seed,
                                     uint64_t stream, float* y, void* y16, float* mean,
                                     float* rstd, const float* gamma, const float* beta,
                                     int rows, int cols, float eps);
  // layernorm_bwd(dx, dgamma, dbeta, dy, ...) (accumulating into dx), then
  // ddrop = dropout_bwd(dx): the gradient of the dropped residual branch that made x.
  // ddrop may alias dy or dx.
  virtual void layernorm_bwd_dropout(float* dx, float* dgamma, float* dbeta, const float* dy,
                                     const float* x, const float* mean, const float* rstd,
                                     const float* gamma, int rows, int cols, float* ddrop,
                                     float p, uint64_t seed, uint64_t stream);
  // y = dropout(act(x)): act_fwd, then dropout_fwd in place (and y16 = to_bf16(y)).
  virtual void act_dropout_fwd(Act a, float* y, void* y16, const float* x, size_t n, float p,
                               uint64_t seed, uint64_t stream);
  // dx = act'(x) * dropout_bwd(dy): dropout_bwd, then act_bwd (dx may alias dy).
  virtual void act_dropout_bwd(Act a, float* dx, const float* dy, const float* x, size_t n,
                               float p, uint64_t seed, uint64_t stream);
  // One optimizer step over a parameter buffer: the global gradient norm
  // sqrt(sum_squares(G)); if clip_norm > 0 and clip_norm / (norm + 1e-6) < 1, G is scaled
  // by that factor (scale_inplace, as float); then adamw_update on every span (weight
  // decay where span.decay). Elements outside the spans are not touched. P16 (nullable):
  // P's bf16 copy, where every updated element also gets to_bf16 of its new value.
  virtual void clip_adamw(float* P, void* P16, float* G, float* M, float* V, size_t total,
                          const ParamSpan* spans, int n_spans, const AdamWHyper& h,
                          float weight_decay, double clip_norm);

  // ---- decoding ----
  // Ops that keep incremental decoding's per-step work on the backend (model/decode_step.cc):
  // cache writes and beam reorders in one call each, a per-row top-k and per-row sampling
  // draws, so searches download R*k candidates or R tokens instead of R*V log-probabilities
  // (cpu/decode_ops.h).

  // A cache append: copy_rows into position `pos` of each row's sequence, dst + r*dst_pitch
  // + pos*pos_bytes <- src + r*src_pitch. pos is a per-step value (a slot while recording);
  // the default is that copy_rows.
  virtual void append_rows(void* dst, size_t dst_pitch, size_t pos_bytes, int pos, const void* src,
                           size_t src_pitch, size_t row_bytes, int rows);
  // Strided copy of `rows` rows of `row_bytes` bytes: dst + r*dst_pitch <- src + r*src_pitch
  // (pitches in bytes). Source and destination must not overlap.
  virtual void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                         size_t row_bytes, int rows) = 0;
  // Row gather: dst + r*dst_pitch <- src + idx[r]*src_pitch for r < rows, row_bytes each.
  // idx: `rows` ints in backend memory, each in [0, rows of src). In place (dst == src and
  // equal pitches) is allowed: every row is read before any is written, as if through a
  // copy; rows with idx[r] == r are then left alone. Any other overlap is not allowed.
  virtual void gather_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch,
                           size_t row_bytes, const int* idx, int rows) = 0;
  // Per row of x [R, V]: the k best entries, best first, into vals [R, k] and idx [R, k]
  // (backend memory). Order: greater value first, equal values (-0 == +0) by lower index,
  // NaN after everything (-inf included), NaNs by index. 1 <= k <= min(V, kTopkMax).
  static constexpr int kTopkMax = 64;
  virtual void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) = 0;
  // Sampling: per row r of lp [R, V] (log-probabilities), one token drawn with the uniform
  // u[r] into tokens[r], and lp[r][tokens[r]] into token_lp[r] (u, tokens, token_lp: R
  // each, backend memory). The draw (sp: cpu/decode_ops.h; check_sample's limits):
  //   1. candidates: the ids not in sp.excluded whose lp is finite; none: sp.fallback;
  //   2. top_k > 0: only the top_k best candidates (greater lp first, ties to the lower
  //      id; -0 == +0), all when there are fewer;
  //   3. weights w = exp(((double)lp - (double)mx) * (1.0 / (double)temperature)), mx the
  //      best candidate's lp; total = their sum;
  //   4. top_p < 1: only the smallest best-first prefix (same order) whose mass reaches
  //      (double)top_p * total (all, if rounding leaves it short); total = its mass;
  //   5. the first kept id, in increasing id order, whose cumulative weight exceeds
  //      (double)u[r] * total (none, by rounding at the top: the last kept id).
  // u[r] < 0 or NaN: no draw, tokens[r] = sp.fallback (a row forced to end, or finished).
  // The CPU sums in id order (step 4's prefix best first). Other backends may sum in
  // another order and evaluate exp to within an ulp, so their token may differ from the
  // CPU's only where u[r] * total (step 5) or top_p * total (step 4) lies within a
  // relative 1e-9 of a cumulative sum.
  using SampleParams = cpu::SampleParams;
  virtual void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u,
                           int* tokens, float* token_lp) = 0;
};

std::unique_ptr<Backend> make_cpu_backend();
// Tests only: the CPU backend, but asking the model for bf16 copies (wants_bf16_copies),
// so the copies' bookkeeping is exercised without a GPU. It computes in fp32 as always,
// but first checks that every copy a linear op is handed equals bf16 of its source
// (EINTERNAL otherwise); cpu_bf16_copy_checks counts the copies checked so far in this
// process: [0] activations (x16), [1] weights (W16). REGURGITATE_TEST_GRAPHS applies.
std::unique_ptr<Backend> make_cpu_backend_with_bf16_copies();
void cpu_bf16_copy_checks(uint64_t counts[2]);
// The backend for a device string: "cpu", or in the CUDA module also "cuda" (GEMMs in
// bf16 on tensor cores), "cuda:tf32", "cuda:fp32" (napi/device_cpu.cc, cuda/device.cc).
std::unique_ptr<Backend> make_backend(const std::string& device);
// Wraps b in a per-op timer when REGURGITATE_PROFILE is set (printed to stderr at exit).
std::unique_ptr<Backend> maybe_profile(std::unique_ptr<Backend> b);
// Testing only (testing/recording_backend.cc): REGURGITATE_TEST_GRAPHS=N makes the CPU
// backend record and replay op sequences as CUDA graphs would, keeping N recordings.
std::unique_ptr<Backend> maybe_record_for_test(std::unique_ptr<Backend> b);

}  // namespace rg
