// The CPU backend: host memory, kernels from cpu/.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "backend.h"
#include "common/bf16.h"
#include "common/error.h"
#include "cpu/adamw.h"
#include "cpu/attention.h"
#include "cpu/decode_ops.h"
#include "cpu/dropout.h"
#include "cpu/embedding.h"
#include "cpu/gemm.h"
#include "cpu/layernorm.h"
#include "cpu/xent.h"

namespace rg {
namespace {

// Tests only: how many bf16 copies the checking CPU backend has verified, by kind.
enum CopyKind { kX16 = 0, kW16 = 1 };
std::atomic<uint64_t> g_copy_checks[2];

// A copy handed to a linear op must be bf16 of its fp32 source at that moment: the GPU
// reads the copy instead of the source, so a stale or foreign copy changes its results
// while the fp32 CPU would never notice.
void check_copy(const char* op, CopyKind kind, const void* copy, const float* src, size_t n) {
  if (!copy) return;
  const uint16_t* c = static_cast<const uint16_t*>(copy);
  for (size_t i = 0; i < n; ++i)
    if (c[i] != bf16_bits(src[i]))
      fail("EINTERNAL", std::string(op) + ": " + (kind == kX16 ? "x16" : "W16") +
                            " is not the bf16 of its source at element " + std::to_string(i) + " of " +
                            std::to_string(n) + " (a stale or foreign copy)");
  ++g_copy_checks[kind];
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(bool bf16_copies = false) : bf16_copies_(bf16_copies) {}
  const char* name() const override { return "cpu"; }
  void* alloc(size_t bytes) override {
    // 64-byte alignment for AVX-512 loads; round size up as aligned_alloc requires.
    void* p = std::aligned_alloc(64, ((bytes + 63) / 64) * 64 + 64);
    if (!p) throw std::bad_alloc();
    return p;
  }
  void release(void* p) override { std::free(p); }
  void upload(void* d, const void* s, size_t n) override { std::memcpy(d, s, n); }
  void download(void* d, const void* s, size_t n) override { std::memcpy(d, s, n); }
  void copy(void* d, const void* s, size_t n) override { std::memmove(d, s, n); }
  void zero(void* p, size_t n) override { std::memset(p, 0, n); }
  void synchronize() override {}

  void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override {
    cpu::gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void sinusoidal_table(float* pe, int max_len, int d) override { cpu::sinusoidal_table(pe, max_len, d); }
  void embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
                 float scale, const float* pe) override {
    cpu::embed_fwd(out, E, ids, N, T, pos0, d, scale, pe);
  }
  void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, int, float scale) override {
    cpu::embed_bwd(dE, dout, ids, N, d, scale);
  }
  void layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* g,
                     const float* b, int rows, int cols, float eps) override {
    cpu::layernorm_fwd(y, mean, rstd, x, g, b, rows, cols, eps);
  }
  void layernorm_bwd(float* dx, float* dg, float* db, const float* dy, const float* x,
                     const float* mean, const float* rstd, const float* g, int rows, int cols) override {
    cpu::layernorm_bwd(dx, dg, db, dy, x, mean, rstd, g, rows, cols);
  }
  void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                     const int* k_len, float* out, float* probs) override {
    cpu::attention_fwd(s, q, k, v, k_len, out, probs);
  }
  void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                     const int* k_len, const float*, const float* probs, const float* dout,
                     float* dq, float* dk, float* dv) override {
    cpu::attention_bwd(s, q, k, v, k_len, probs, dout, dq, dk, dv);
  }
  size_t attention_saved_floats(int B, int H, int Tq, int Tk) override {
    return (size_t)B * H * Tq * Tk;
  }
  void act_fwd(Act a, float* y, const float* x, size_t n) override { cpu::act_fwd(a, y, x, n); }
  void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) override {
    cpu::act_bwd(a, dx, dy, x, n);
  }
  void bias_add(float* y, const float* b, int rows, int cols) override { cpu::bias_add(y, b, rows, cols); }
  void bias_grad(float* db, const float* dy, int rows, int cols) override { cpu::bias_grad(db, dy, rows, cols); }
  void add_inplace(float* y, const float* x, size_t n) override { cpu::add_inplace(y, x, n); }
  void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream) override {
    cpu::dropout_fwd(y, x, n, p, seed, stream);
  }
  void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream) override {
    cpu::dropout_bwd(dx, dy, n, p, seed, stream);
  }
  void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps, int ignore,
                    float gs, float* losses, float* tlp, float* dlogits) override {
    cpu::xent_fwd_bwd(logits, targets, N, V, eps, ignore, gs, losses, tlp, dlogits);
  }
  void log_softmax_rows(float* out, const float* logits, int N, int V) override {
    cpu::log_softmax_rows(out, logits, N, V);
  }
  void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                    float wd) override {
    cpu::adamw_update(p, g, m, v, n, h, wd);
  }
  double sum_squares(const float* x, size_t n) override { return cpu::sum_squares(x, n); }
  void scale_inplace(float* x, size_t n, float s) override { cpu::scale_inplace(x, n, s); }
  // The CPU computes in fp32 and asks for bf16 copies only when a test wants the model's
  // bookkeeping of them exercised (make_cpu_backend_with_bf16_copies): it then checks
  // every copy a linear op is handed against its source, and otherwise ignores them.
  bool wants_bf16_copies() const override { return bf16_copies_; }
  void linear_fwd(float* y, const float* x, const void* x16, const float* W, const void* W16, const float* b,
                  int rows, int out, int in) override {
    if (bf16_copies_) {
      check_copy("linear_fwd", kX16, x16, x, (size_t)rows * in);
      check_copy("linear_fwd", kW16, W16, W, (size_t)out * in);
    }
    Backend::linear_fwd(y, x, x16, W, W16, b, rows, out, in);
  }
  void linear_bwd(float* dW, float* db, float* din, bool acc, const float* dout, const float* x, const void* x16,
                  const float* W, const void* W16, int rows, int out, int in) override {
    if (bf16_copies_) {
      check_copy("linear_bwd", kX16, x16, x, (size_t)rows * in);
      check_copy("linear_bwd", kW16, W16, W, (size_t)out * in);
    }
    Backend::linear_bwd(dW, db, din, acc, dout, x, x16, W, W16, rows, out, in);
  }
  void to_bf16(void* dst, const float* src, size_t n) override {
    uint16_t* d = static_cast<uint16_t*>(dst);
    for (size_t i = 0; i < n; ++i) d[i] = bf16_bits(src[i]);
  }

  // ---- decoding ----
  void copy_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, int rows) override {
    cpu::copy_rows(d, dp, s, sp, row, rows);
  }
  void gather_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, const int* idx,
                   int rows) override {
    cpu::gather_rows(d, dp, s, sp, row, idx, rows, staging_);
  }
  void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) override {
    cpu::check_topk(R, V, k, kTopkMax);
    cpu::topk_rows(x, R, V, k, vals, idx);
  }
  void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u, int* tokens,
                   float* token_lp) override {
    cpu::check_sample(R, V, sp);
    cpu::sample_rows(lp, R, V, sp, u, tokens, token_lp);
  }

 private:
  std::vector<char> staging_;  // gather_rows in place: the moved rows (beam reorders)
  bool bf16_copies_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() {
  return maybe_profile(maybe_record_for_test(std::make_unique<CpuBackend>()));
}
std::unique_ptr<Backend> make_cpu_backend_with_bf16_copies() {
  return maybe_record_for_test(std::make_unique<CpuBackend>(true));
}
void cpu_bf16_copy_checks(uint64_t counts[2]) {
  counts[0] = g_copy_checks[kX16].load();
  counts[1] = g_copy_checks[kW16].load();
}

}  // namespace rg
