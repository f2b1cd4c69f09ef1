// The CUDA backend: rg::Backend over device memory, every op a kernel launch from
// kernels.h on one stream, so ops run in order without host synchronisation; only
// download() and sum_squares() (which return data to the host) wait for the stream.
// Precision of the GEMMs: bf16 tensor cores by default ("cuda"), or "cuda:tf32" /
// "cuda:fp32" (the mode the model-level tests compare with the CPU engine).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"
#include "common/error.h"
#include "cpu/decode_ops.h"
#include "cpu/embedding.h"
#include "graph_recorder.h"
#include "kernels.h"

namespace rg {
namespace {

[[noreturn]] void cuda_fail(const char* what, int err) {
  const cudaError_t e = (cudaError_t)err;
  fail(e == cudaErrorMemoryAllocation ? "ENOMEM" : "EBACKEND",
       std::string("CUDA ") + what + " failed: " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}
inline void ck(const char* what, int err) {
  if (err != 0) cuda_fail(what, err);
}
inline void ck(const char* what, cudaError_t err) { ck(what, (int)err); }

class CudaBackend final : public Backend {
 public:
  CudaBackend(int device, cuda::GemmPrecision prec, const std::string& name, int graph_capacity)
      : device_(device), prec_(prec), name_(name), graph_cap_(graph_capacity) {
    ck("cudaSetDevice", cudaSetDevice(device_));
    ck("cudaStreamCreate", cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    ck("cudaMalloc", cudaMalloc((void**)&result_, sizeof(double)));
  }
  ~CudaBackend() override {
    cudaSetDevice(device_);
    if (stream_) cudaStreamSynchronize(stream_);
    if (stream_) cuda::gemm_scratch_release(stream_);  // the GEMMs' scratch for this stream
    if (scratch_) cudaFree(scratch_);
    if (chunks_dev_) cudaFree(chunks_dev_);
    if (result_) cudaFree(result_);
    if (stream_) cudaStreamDestroy(stream_);
  }
  const char* name() const override { return name_.c_str(); }

  void* alloc(size_t bytes) override {
    bind();
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e != cudaSuccess) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      fail("ENOMEM", "CUDA out of memory allocating " + std::to_string(bytes >> 20) + " MiB (" +
                         std::to_string(free_b >> 20) + " of " + std::to_string(total_b >> 20) +
                         " MiB free): use smaller batches (max tokens)");
    }
    return p;
  }
  void release(void* p) override {
    if (!p) return;
    bind();
    cudaStreamSynchronize(stream_);  // a kernel may still read it
    cudaFree(p);
  }
  void upload(void* d, const void* s, size_t n) override {
    if (!n) return;
    bind();
    ck("upload", cudaMemcpyAsync(d, s, n, cudaMemcpyHostToDevice, stream_));
    // Pageable host memory: the copy is staged before the call returns, but sync anyway
    // so the caller may reuse or free `s` at once whatever the driver does.
    ck("upload", cudaStreamSynchronize(stream_));
  }
  void download(void* d, const void* s, size_t n) override {
    if (!n) return;
    bind();
    ck("download", cudaMemcpyAsync(d, s, n, cudaMemcpyDeviceToHost, stream_));
    ck("download", cudaStreamSynchronize(stream_));
  }
  void copy(void* d, const void* s, size_t n) override {
    if (!n || d == s) return;
    ck("copy", cudaMemcpyAsync(d, s, n, cudaMemcpyDeviceToDevice, stream_));
  }
  void zero(void* p, size_t n) override {
    if (n) ck("memset", cudaMemsetAsync(p, 0, n, stream_));
  }
  void synchronize() override { ck("synchronize", cudaStreamSynchronize(stream_)); }

  void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override {
    ck("gemm", cuda::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, prec_, stream_));
  }
  void sinusoidal_table(float* pe, int max_len, int d) override {
    // Computed on the host in double exactly as the CPU does, so positions match bit for bit.
    std::vector<float> h((size_t)max_len * d);
    cpu::sinusoidal_table(h.data(), max_len, d);
    upload(pe, h.data(), h.size() * sizeof(float));
  }
  void embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
                 float scale, const float* pe) override {
    ck("embed_fwd", cuda::embed_fwd(out, E, ids, N, T, pos0, d, scale, pe, stream_, rec_.int_slot(pos0)));
  }
  void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, int V,
                 float scale) override {
    void* s = scratch(cuda::embed_bwd_scratch_bytes(N, V));
    ck("embed_bwd", cuda::embed_bwd(dE, dout, ids, N, d, V, scale, s, stream_));
  }
  void layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* g,
                     const float* b, int rows, int cols, float eps) override {
    ck("layernorm_fwd", cuda::layernorm_fwd(y, mean, rstd, x, g, b, rows, cols, eps, stream_));
  }
  void layernorm_bwd(float* dx, float* dg, float* db, const float* dy, const float* x,
                     const float* mean, const float* rstd, const float* g, int rows, int cols) override {
    void* s = scratch(cuda::layernorm_bwd_scratch_bytes(rows, cols));
    ck("layernorm_bwd", cuda::layernorm_bwd(dx, dg, db, dy, x, mean, rstd, g, rows, cols, s, stream_));
  }
  void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                     const int* k_len, float* out, float* lse) override {
    cuda::attention_set_precision(prec_ == cuda::GemmPrecision::BF16);  // per backend, set per call
    ck("attention_fwd", cuda::attention_fwd(s, q, k, v, k_len, out, lse, stream_));
  }
  void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                     const int* k_len, const float* out, const float* lse, const float* dout,
                     float* dq, float* dk, float* dv) override {
    cuda::attention_set_precision(prec_ == cuda::GemmPrecision::BF16);
    void* sc = scratch(cuda::attention_bwd_scratch_bytes(s));
    ck("attention_bwd", cuda::attention_bwd(s, q, k, v, k_len, out, lse, dout, dq, dk, dv, sc, stream_));
  }
  // Flash-style: only the log-sum-exp of each query row is kept for backward.
  size_t attention_saved_floats(int B, int H, int Tq, int) override { return (size_t)B * H * Tq; }
  void act_fwd(Act a, float* y, const float* x, size_t n) override {
    ck("act_fwd", cuda::act_fwd(a, y, x, n, stream_));
  }
  void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) override {
    ck("act_bwd", cuda::act_bwd(a, dx, dy, x, n, stream_));
  }
  void bias_add(float* y, const float* b, int rows, int cols) override {
    ck("bias_add", cuda::bias_add(y, b, rows, cols, stream_));
  }
  void bias_grad(float* db, const float* dy, int rows, int cols) override {
    void* s = scratch(cuda::bias_grad_scratch_bytes(rows, cols));
    ck("bias_grad", cuda::bias_grad(db, dy, rows, cols, s, stream_));
  }
  void add_inplace(float* y, const float* x, size_t n) override {
    ck("add_inplace", cuda::add_inplace(y, x, n, stream_));
  }
  void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream) override {
    ck("dropout_fwd", cuda::dropout_fwd(y, x, n, p, seed, stream, stream_, rec_.slot(stream)));
  }
  void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream) override {
    ck("dropout_bwd", cuda::dropout_bwd(dx, dy, n, p, seed, stream, stream_, rec_.slot(stream)));
  }
  void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps, int ignore,
                    float gs, float* losses, float* tlp, float* dlogits) override {
    ck("xent", cuda::xent_fwd_bwd(logits, targets, N, V, eps, ignore, gs, losses, tlp, dlogits, stream_,
                                  rec_.float_slot(gs)));
  }
  void log_softmax_rows(float* out, const float* logits, int N, int V) override {
    ck("log_softmax_rows", cuda::log_softmax_rows(out, logits, N, V, stream_));
  }
  void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                    float wd) override {
    ck("adamw", cuda::adamw_update(p, g, m, v, n, h, wd, stream_));
  }
  double sum_squares(const float* x, size_t n) override {
    void* s = scratch(cuda::sum_squares_scratch_bytes(n));
    ck("sum_squares", cuda::sum_squares(x, n, result_, s, stream_));
    double r = 0;
    download(&r, result_, sizeof r);
    return r;
  }
  void scale_inplace(float* x, size_t n, float s) override {
    ck("scale_inplace", cuda::scale_inplace(x, n, s, stream_));
  }

  // ---- fused training ops: one kernel each (see backend.h for what they equal) ----
  // bf16 GEMMs round their operands: keeping a bf16 copy of each activation that feeds one
  // saves rounding it twice (forward and backward).
  bool wants_bf16_copies() const override { return prec_ == cuda::GemmPrecision::BF16; }
  void to_bf16(void* dst, const float* src, size_t n) override {
    ck("to_bf16", cuda::to_bf16(static_cast<cuda::bf16_t*>(dst), src, n, stream_));
  }
  void linear_fwd(float* y, const float* x, const void* x16, const float* W, const void* W16,
                  const float* b, int rows, int out, int in) override {
    ck("linear_fwd", cuda::linear_fwd(y, x, static_cast<const cuda::bf16_t*>(x16), W,
                                      static_cast<const cuda::bf16_t*>(W16), b, rows, out, in,
                                      prec_, stream_));
  }
  void linear_bwd(float* dW, float* db, float* din, bool acc, const float* dout, const float* x,
                  const void* x16, const float* W, const void* W16, int rows, int out,
                  int in) override {
    ck("linear_bwd", cuda::linear_bwd(dW, db, din, acc, dout, x, static_cast<const cuda::bf16_t*>(x16),
                                      W, static_cast<const cuda::bf16_t*>(W16), rows, out, in, prec_,
                                      stream_));
  }
  void dropout_add_layernorm(float* h, const float* res, float p, uint64_t seed, uint64_t sid,
                             float* y, void* y16, float* mean, float* rstd, const float* g,
                             const float* b, int rows, int cols, float eps) override {
    ck("dropout_add_layernorm",
       cuda::dropout_add_layernorm(h, res, p, seed, sid, y, static_cast<cuda::bf16_t*>(y16), mean, rstd,
                                   g, b, rows, cols, eps, stream_, rec_.slot(sid)));
  }
  void layernorm_bwd_dropout(float* dx, float* dg, float* db, const float* dy, const float* x,
                             const float* mean, const float* rstd, const float* g, int rows,
                             int cols, float* ddrop, float p, uint64_t seed, uint64_t sid) override {
    void* s = scratch(cuda::layernorm_bwd_scratch_bytes(rows, cols));
    ck("layernorm_bwd_dropout", cuda::layernorm_bwd_dropout(dx, dg, db, dy, x, mean, rstd, g, rows, cols,
                                                            ddrop, p, seed, sid, s, stream_,
                                                            rec_.slot(sid)));
  }
  void act_dropout_fwd(Act a, float* y, void* y16, const float* x, size_t n, float p,
                       uint64_t seed, uint64_t sid) override {
    ck("act_dropout_fwd",
       cuda::act_dropout_fwd(a, y, static_cast<cuda::bf16_t*>(y16), x, n, p, seed, sid, stream_,
                             rec_.slot(sid)));
  }
  void act_dropout_bwd(Act a, float* dx, const float* dy, const float* x, size_t n, float p,
                       uint64_t seed, uint64_t sid) override {
    ck("act_dropout_bwd", cuda::act_dropout_bwd(a, dx, dy, x, n, p, seed, sid, stream_, rec_.slot(sid)));
  }
  // The norm stays on the device (result_): no host round trip between backward and update.
  void clip_adamw(float* P, void* P16, float* G, float* M, float* V, size_t total,
                  const ParamSpan* spans, int n_spans, const AdamWHyper& h, float wd,
                  double clip_norm) override {
    const int nc = chunks_for(spans, n_spans, total);
    const double* sumsq = nullptr;
    if (clip_norm > 0) {
      void* s = scratch(cuda::sum_squares_scratch_bytes(total));
      ck("sum_squares", cuda::sum_squares(G, total, result_, s, stream_));
      sumsq = result_;
    }
    ck("clip_adamw", cuda::clip_adamw(P, static_cast<cuda::bf16_t*>(P16), G, M, V, chunks_dev_, nc, h,
                                      wd, sumsq, clip_norm, stream_));
  }

  // ---- recorded op sequences: CUDA graphs (graph_recorder.h) ----
  int graph_capacity() const override { return graph_cap_; }
  bool graph_begin() override {
    if (graph_cap_ <= 0) return false;
    bind();
    return rec_.begin(stream_);
  }
  void* graph_end(std::vector<uint64_t>* slots) override { return rec_.end(slots); }
  void graph_launch(void* g, const uint64_t* slots, size_t n) override {
    bind();
    ck("cudaGraphLaunch", rec_.launch(g, slots, n, stream_));
  }
  void graph_release(void* g) override {
    bind();
    rec_.release(g);
  }
  uint64_t memory_epoch() const override { return scratch_epoch_ + cuda::gemm_scratch_epoch(); }

  // ---- decoding ----
  void append_rows(void* d, size_t dp, size_t pos_bytes, int pos, const void* s, size_t sp, size_t row,
                   int rows) override {
    ck("append_rows", cuda::append_rows(d, dp, pos_bytes, pos, s, sp, row, rows, stream_, rec_.int_slot(pos)));
  }
  void copy_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, int rows) override {
    if (!row || rows <= 0) return;
    // One row: any pitch (cudaMemcpy2D wants pitches >= the row).
    if (rows == 1) return ck("copy_rows", cudaMemcpyAsync(d, s, row, cudaMemcpyDeviceToDevice, stream_));
    ck("copy_rows", cudaMemcpy2DAsync(d, dp, s, sp, row, (size_t)rows, cudaMemcpyDeviceToDevice, stream_));
  }
  void gather_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, const int* idx,
                   int rows) override {
    if (!row || rows <= 0) return;
    const bool in_place = d == s;
    if (in_place && dp != sp) fail("EINVAL", "gather_rows: in place needs equal pitches");
    // Sized by the pitch, not the row: a beam search reorders its KV cache in place with a
    // row that grows every step, and a scratch that grew with it would move (and drop the
    // step's CUDA graph) again and again.
    void* sc = in_place ? scratch(cuda::gather_rows_scratch_bytes(std::max(dp, row), rows, true)) : nullptr;
    ck("gather_rows", cuda::gather_rows(d, dp, s, sp, row, idx, rows, sc, stream_));
  }
  void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) override {
    static_assert(cuda::kTopkMaxK == Backend::kTopkMax, "one top-k limit for every backend");
    cpu::check_topk(R, V, k, kTopkMax);
    ck("topk_rows", cuda::topk_rows(x, R, V, k, vals, idx, stream_));
  }
  void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u, int* tokens,
                   float* token_lp) override {
    cpu::check_sample(R, V, sp);
    ck("sample_rows", cuda::sample_rows(lp, R, V, sp, u, tokens, token_lp, stream_));
  }

 private:
  void bind() { cudaSetDevice(device_); }
  // One grow-only scratch buffer shared by the ops that need temporary memory: ops run in
  // stream order, so one op's scratch is free again when the next op starts.
  void* scratch(size_t bytes) {
    if (bytes <= scratch_bytes_) return scratch_;
    // Growing frees memory a recording may already refer to (and may not run while
    // capturing): the recording fails and the caller runs these ops directly.
    if (rec_.recording()) fail("EBACKEND", "CUDA graph capture: scratch must grow; running directly");
    ++scratch_epoch_;
    if (scratch_) {
      ck("synchronize", cudaStreamSynchronize(stream_));
      cudaFree(scratch_);
      scratch_ = nullptr;
      scratch_bytes_ = 0;
    }
    const size_t want = bytes + bytes / 4;  // headroom: fewer regrowths as batches vary
    scratch_ = alloc(want);
    scratch_bytes_ = want;
    return scratch_;
  }

  // The device table of clip_adamw's chunks (at most kAdamChunk elements each), rebuilt
  // only when the spans change (once per model in practice). The gaps of [0, total) between
  // the spans get chunks too (update 0): clipping scales all of G, as scale_inplace does in
  // the reference, while AdamW runs on the spans only.
  static constexpr size_t kAdamChunk = 32768;
  int chunks_for(const ParamSpan* spans, int n, size_t total) {
    const bool same = chunks_dev_ && total == chunks_total_ && (size_t)n == spans_.size() &&
                      std::equal(spans, spans + n, spans_.begin(), [](const ParamSpan& a, const ParamSpan& b) {
                        return a.offset == b.offset && a.size == b.size && a.decay == b.decay;
                      });
    if (same) return (int)chunks_host_.size();
    std::vector<cuda::AdamChunk> c;
    auto add = [&](size_t off, size_t size, int decay, int update) {
      for (size_t o = 0; o < size; o += kAdamChunk)
        c.push_back(cuda::AdamChunk{off + o, std::min(kAdamChunk, size - o), decay, update});
    };
    for (const ParamSpan* sp = spans; sp != spans + n; ++sp) add(sp->offset, sp->size, sp->decay ? 1 : 0, 1);
    // The gaps: [0, total) less the union of the spans.
    std::vector<std::pair<size_t, size_t>> cover;
    for (const ParamSpan* sp = spans; sp != spans + n; ++sp)
      if (sp->size) cover.emplace_back(sp->offset, sp->offset + sp->size);
    std::sort(cover.begin(), cover.end());
    size_t at = 0;
    for (const auto& [b, e] : cover) {
      if (b > at) add(at, std::min(b, total) - std::min(at, total), 0, 0);
      at = std::max(at, e);
    }
    if (at < total) add(at, total - at, 0, 0);
    if (c.size() > 0x7fffffffu) fail("EINVAL", "clip_adamw: too many parameter chunks");
    if (chunks_dev_) release(chunks_dev_);
    chunks_dev_ = static_cast<cuda::AdamChunk*>(alloc(std::max<size_t>(1, c.size()) * sizeof(cuda::AdamChunk)));
    chunks_host_ = c;
    upload(chunks_dev_, chunks_host_.data(), c.size() * sizeof(cuda::AdamChunk));
    spans_.assign(spans, spans + n);
    chunks_total_ = total;
    return (int)c.size();
  }

  int device_;
  cuda::GemmPrecision prec_;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  double* result_ = nullptr;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  uint64_t scratch_epoch_ = 0;
  int graph_cap_ = 0;
  cuda::GraphRecorder rec_;
  std::vector<ParamSpan> spans_;
  std::vector<cuda::AdamChunk> chunks_host_;
  cuda::AdamChunk* chunks_dev_ = nullptr;
  size_t chunks_total_ = 0;
};

// REGURGITATE_CUDA_GRAPHS: how many training-step shapes a model keeps as CUDA graphs
// (unset: 128; 0 or "off": none, every op is launched directly). Each holds one launch per
// op of the step plus a few KiB of device memory.
int graph_capacity_from_env() {
  const char* v = std::getenv("REGURGITATE_CUDA_GRAPHS");
  if (!v || !*v) return 128;
  if (std::strcmp(v, "off") == 0 || std::strcmp(v, "false") == 0) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 100000)
    fail("EINVAL", std::string("REGURGITATE_CUDA_GRAPHS must be a count of graphs (0 or 'off': none), not '") + v + "'");
  return (int)n;
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const std::string& device) {
  cuda::GemmPrecision prec = cuda::GemmPrecision::BF16;
  if (device == "cuda" || device == "cuda:bf16") prec = cuda::GemmPrecision::BF16;
  else if (device == "cuda:tf32") prec = cuda::GemmPrecision::TF32;
  else if (device == "cuda:fp32") prec = cuda::GemmPrecision::FP32;
  else fail("EINVAL", "unknown device '" + device + "' (known: cpu, cuda, cuda:bf16, cuda:tf32, cuda:fp32)");
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    fail("EBACKEND", std::string("CUDA unavailable: ") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
  }
  if (count == 0) fail("EBACKEND", "CUDA unavailable: no CUDA device");
  return maybe_profile(std::make_unique<CudaBackend>(0, prec, device, graph_capacity_from_env()));
}

}  // namespace rg
