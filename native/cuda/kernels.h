// Host launchers of the CUDA kernels: the contract between the kernel files (*.cu, one
// family each) and the CUDA backend (cuda_backend.cc). Every pointer is a device pointer;
// every launcher enqueues on `stream` (nullptr: the default stream), never synchronises,
// and returns the launch error (cudaError_t as int; 0 = success). Semantics are the CPU
// backend's unless said otherwise: see the matching header in native/src/cpu/. This header
// includes no CUDA header, so plain C++ (N-API files, the backend) can call the launchers.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cpu/activation.h"  // rg::cpu::Act
#include "cpu/adamw.h"       // rg::cpu::AdamWHyper
#include "cpu/attention.h"   // rg::cpu::AttnShape
#include "cpu/decode_ops.h"  // rg::cpu::SampleParams

namespace rg::cuda {

using Stream = void*;  // a cudaStream_t
using bf16_t = uint16_t;  // raw bfloat16 bits (the launchers take __nv_bfloat16 data)

// ---- gemm.cu -------------------------------------------------------------------------
// How a GEMM multiplies: FP32 (CUDA cores, fp32 FMA), TF32 (tensor cores, tf32 inputs,
// fp32 accumulation), BF16 (tensor cores, inputs rounded to bf16, fp32 accumulation).
enum class GemmPrecision { FP32 = 0, TF32 = 1, BF16 = 2 };
// C = alpha * op(A) op(B) + beta * C, all fp32 row-major as cpu::gemm (op(A) is M x K,
// op(B) is K x N; transA: A is stored K x M). beta == 0 never reads C (NaN there is
// overwritten). Any M, N, K >= 0 and any leading dimensions.
int gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
         const float* B, int ldb, float beta, float* C, int ldc, GemmPrecision prec,
         Stream stream = nullptr);
// bf16 inputs, fp32 accumulation, bf16 output (beta == 0): the benchmark's cuBLAS peer.
// y = x W^T + b (x [rows, in], W [out, in], b [out] or null; all contiguous): the linear
// layer, with the bias added in the GEMM's epilogue (fp32: a bias pass after the product).
// x16, W16: bf16(x), bf16(W) or null; BF16's convert route then reads them instead of
// rounding x and W (each needs in % 8 == 0 and 16-byte alignment; otherwise ignored).
int linear_fwd(float* y, const float* x, const bf16_t* x16, const float* W, const bf16_t* W16,
               const float* b, int rows, int out, int in, GemmPrecision prec,
               Stream stream = nullptr);
// The linear layer's gradients: dW += dout^T x (dW [out, in]); if din,
// din = dout W (+ din when accumulate). x [rows, in], dout [rows, out], W [out, in], all
// contiguous. BF16 rounds dout once for both products; other precisions run gemm twice.
// db (nullable) += column sums of dout, as bias_grad; with BF16 they are summed while dout
// is rounded (no second pass over dout). x16, W16 as linear_fwd's (W16: for din).
int linear_bwd(float* dW, float* db, float* din, bool accumulate, const float* dout,
               const float* x, const bf16_t* x16, const float* W, const bf16_t* W16, int rows,
               int out, int in, GemmPrecision prec, Stream stream = nullptr);
int gemm_bf16(bool transA, bool transB, int M, int N, int K, const bf16_t* A, int lda,
              const bf16_t* B, int ldb, bf16_t* C, int ldc, Stream stream = nullptr);
// The GEMMs' internal scratch buffers (one per device and stream): the epoch changes
// whenever one is reallocated; while frozen (this thread records a CUDA graph)
// growth fails with cudaErrorStreamCaptureUnsupported. gemm_scratch_release frees the
// stream's buffers (before the stream is destroyed; its work must have finished).
uint64_t gemm_scratch_epoch();
void gemm_scratch_freeze(bool frozen);
void gemm_scratch_release(Stream stream);

// ---- attention.cu ----------------------------------------------------------------------
// Flash-style attention (no [Tq, Tk] matrix in memory), the masks of cpu/attention.h.
// lse [B, H, Tq]: the log-sum-exp of each row's scaled, masked scores (-inf for a row
// that sees no key), saved for backward; nullable when not training. Tq = 1 with a
// KV cache is the incremental (decoding) form.
int attention_fwd(const cpu::AttnShape& s, const float* q, const float* k, const float* v,
                  const int* k_len, float* out, float* lse, Stream stream = nullptr);
// OVERWRITES dq, dk, dv (layouts and strides of q, k, v). `out` is the forward output;
// scratch holds attention_bwd_scratch_bytes(s) bytes.
int attention_bwd(const cpu::AttnShape& s, const float* q, const float* k, const float* v,
                  const int* k_len, const float* out, const float* lse, const float* dout,
                  float* dq, float* dk, float* dv, void* scratch, Stream stream = nullptr);
size_t attention_bwd_scratch_bytes(const cpu::AttnShape& s);
// Whether attention uses bf16 tensor cores for QK^T and PV (fp32 softmax and accumulators)
// or fp32 throughout (the default). Per thread: the backend sets it on each call, on the
// calling thread.
void attention_set_precision(bool bf16);
// bf16 only: the probabilities P and dS enter their products as bf16 hi + lo parts (true,
// the default: ~16 significant bits, more MMAs) or rounded to bf16 as FlashAttention does
// (false). Process-wide; starts as REGURGITATE_ATTN_SPLIT says ("0": false).
void attention_set_split(bool split);
bool attention_split();

// ---- layernorm.cu ----------------------------------------------------------------------
int layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                  const float* beta, int rows, int cols, float eps, Stream stream = nullptr);
// ACCUMULATES into dx, dgamma, dbeta, deterministically (fixed partial sums, no atomics).
int layernorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                  const float* mean, const float* rstd, const float* gamma, int rows, int cols,
                  void* scratch, Stream stream = nullptr);
size_t layernorm_bwd_scratch_bytes(int rows, int cols);
// The fused forms of backend.h (same scratch as layernorm_bwd): h = res + dropout(h), then
// layernorm_fwd of h; layernorm_bwd, then ddrop = dropout_bwd(dx) (ddrop may alias dy or dx;
// dx must not alias dy).
// y16 (nullable): also bf16(y).
int dropout_add_layernorm(float* h, const float* res, float p, uint64_t seed, uint64_t stream_id,
                          float* y, bf16_t* y16, float* mean, float* rstd, const float* gamma,
                          const float* beta, int rows, int cols, float eps,
                          Stream stream = nullptr, const uint64_t* sid_slot = nullptr);
int layernorm_bwd_dropout(float* dx, float* dgamma, float* dbeta, const float* dy,
                          const float* x, const float* mean, const float* rstd,
                          const float* gamma, int rows, int cols, float* ddrop, float p,
                          uint64_t seed, uint64_t stream_id, void* scratch,
                          Stream stream = nullptr, const uint64_t* sid_slot = nullptr);

// ---- xent.cu ---------------------------------------------------------------------------
int xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                 int ignore_index, float grad_scale, float* losses, float* target_logprob,
                 float* dlogits, Stream stream = nullptr, const float* grad_scale_slot = nullptr);
int log_softmax_rows(float* out, const float* logits, int N, int V, Stream stream = nullptr);

// ---- embedding.cu ----------------------------------------------------------------------
// pos0_slot (a CUDA graph's slot) overrides pos0.
int embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
              float scale, const float* pe, Stream stream = nullptr, const int* pos0_slot = nullptr);
// ACCUMULATES dE[ids[i]] += scale * dout[i], deterministically: each row's contributions
// are summed in increasing i (no float atomics). V bounds the ids (0 <= id < V).
int embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, int V, float scale,
              void* scratch, Stream stream = nullptr);
size_t embed_bwd_scratch_bytes(int N, int V);

// ---- elementwise.cu --------------------------------------------------------------------
int act_fwd(cpu::Act a, float* y, const float* x, size_t n, Stream stream = nullptr);
int act_bwd(cpu::Act a, float* dx, const float* dy, const float* x, size_t n,
            Stream stream = nullptr);
int bias_add(float* y, const float* b, int rows, int cols, Stream stream = nullptr);
// ACCUMULATES column sums into db, deterministically.
int bias_grad(float* db, const float* dy, int rows, int cols, void* scratch,
              Stream stream = nullptr);
size_t bias_grad_scratch_bytes(int rows, int cols);
// bias_grad in two halves, for a kernel that reads dy anyway and forms the partial sums on
// the way (gemm.cu's linear_bwd, while it rounds dout to bf16): part[chunk][c] is the sum
// of column c over rows [chunk * kBiasChunkRows, + kBiasChunkRows), formed as bias_grad
// forms it (thread ty of kBiasTileRows adds rows ty, ty + kBiasTileRows, ... in order, then
// the kBiasTileRows sums are added in order), so db comes out bit-identical.
constexpr int kBiasChunkRows = 64, kBiasTileRows = 8;
int bias_grad_finish(float* db, const float* part, int chunks, int cols, Stream stream = nullptr);
int add_inplace(float* y, const float* x, size_t n, Stream stream = nullptr);
// dst[i] = bf16(src[i]), round to nearest even.
int to_bf16(bf16_t* dst, const float* src, size_t n, Stream stream = nullptr);
int scale_inplace(float* x, size_t n, float s, Stream stream = nullptr);
// *result (a device double) = sum of x[i]^2 in double, deterministic (fixed blocks).
int sum_squares(const float* x, size_t n, double* result, void* scratch, Stream stream = nullptr);
size_t sum_squares_scratch_bytes(size_t n);

// ---- adamw.cu --------------------------------------------------------------------------
// AdamW (torch.optim.AdamW, decoupled weight decay) on fp32 master weights, one thread
// per element, in the CPU reference's order of operations with non-contracted (_rn)
// arithmetic, so results equal cpu::adamw_update_ref bit for bit.
int adamw_update(float* p, const float* g, float* m, float* v, size_t n,
                 const cpu::AdamWHyper& h, float weight_decay, Stream stream = nullptr);
// A piece of a parameter buffer for clip_adamw: one block's work (size <= a few 10^4).
struct AdamChunk {
  size_t offset, size;
  int decay;   // weight decay applies
  int update;  // 1: AdamW runs here; 0: a gap between tensors, where only G is clipped
};
// Backend::clip_adamw on the device: AdamW over every chunk with update set (the same
// arithmetic as adamw_update), after scaling G (in every chunk, update or not) by
// clip_norm / (sqrt(*sumsq) + 1e-6) where that is < 1
// (sumsq: a device double, sum_squares of G; nullptr or clip_norm <= 0: no clipping).
// chunks is a device array. P16 (nullable): P's bf16 copy, each updated element's written
// in the same pass (round to nearest even).
int clip_adamw(float* P, bf16_t* P16, float* G, float* M, float* V, const AdamChunk* chunks,
               int n_chunks, const cpu::AdamWHyper& h, float weight_decay, const double* sumsq,
               double clip_norm, Stream stream = nullptr);

// ---- act_dropout.cu ---------------------------------------------------------------------
// y = dropout(act(x)); dx = act'(x) * dropout_bwd(dy) (dx may alias dy). Masks as dropout.cu.
int act_dropout_fwd(cpu::Act a, float* y, bf16_t* y16, const float* x, size_t n, float p,
                    uint64_t seed, uint64_t stream_id, Stream stream = nullptr,
                    const uint64_t* sid_slot = nullptr);
int act_dropout_bwd(cpu::Act a, float* dx, const float* dy, const float* x, size_t n, float p,
                    uint64_t seed, uint64_t stream_id, Stream stream = nullptr,
                    const uint64_t* sid_slot = nullptr);

// ---- dropout.cu ------------------------------------------------------------------------
// Inverted dropout: y[i] = uniform_at(seed, stream_id, i) >= p ? x[i] / (1 - p) : 0, with
// the same Philox4x32-10 counters as the CPU (common/rng.h), so masks are identical.
// Backward is the same call on (dx, dy). y may equal x.
// sid_slot (here and in the fused dropout ops above): non-null inside a captured CUDA graph,
// where the kernel reads the stream id from that device word (set before each replay).
int dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream_id,
                Stream stream = nullptr, const uint64_t* sid_slot = nullptr);
int dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream_id,
                Stream stream = nullptr, const uint64_t* sid_slot = nullptr);

// ---- decode.cu -------------------------------------------------------------------------
// Row gather (rg::Backend::gather_rows): dst + r*dst_pitch <- src + idx[r]*src_pitch, row_bytes
// each; idx: `rows` device ints. dst == src (equal pitches) is in place: the moved rows
// (idx[r] != r) are staged in scratch, gather_rows_scratch_bytes(row_bytes, rows, true)
// bytes; other overlaps are not allowed. Scratch is unused (nullable) otherwise.
int gather_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                const int* idx, int rows, void* scratch, Stream stream = nullptr);
size_t gather_rows_scratch_bytes(size_t row_bytes, int rows, bool in_place);
// KV-cache append (rg::Backend::append_rows): dst + r*dst_pitch + pos*pos_bytes <-
// src + r*src_pitch, row_bytes each; pos_slot (a CUDA graph's slot) overrides pos.
int append_rows(void* dst, size_t dst_pitch, size_t pos_bytes, int pos, const void* src, size_t src_pitch,
                size_t row_bytes, int rows, Stream stream = nullptr, const int* pos_slot = nullptr);
// Per row of x [R, V], the k best (value, index) into vals/idx [R, k], in cpu::topk_rows'
// order (greater first, ties to the lower index, NaN last): identical outputs.
// 1 <= k <= min(V, kTopkMaxK), else cudaErrorInvalidValue.
constexpr int kTopkMaxK = 64;
int topk_rows(const float* x, int R, int V, int k, float* vals, int* idx, Stream stream = nullptr);

// ---- sample.cu -------------------------------------------------------------------------
// One sampling draw per row of lp [R, V] (rg::Backend::sample_rows): u [R] uniforms,
// tokens and token_lp [R] out. The same tokens as cpu::sample_rows except where a draw
// lies within a relative ~1e-12 of a CDF or top-p boundary (see sample.cu). Arguments
// cpu::check_sample rejects give cudaErrorInvalidValue (excluded ids are not checked).
int sample_rows(const float* lp, int R, int V, const cpu::SampleParams& sp, const float* u, int* tokens,
                float* token_lp, Stream stream = nullptr);

}  // namespace rg::cuda
