// REGURGITATE_PROFILE=1 wraps the backend and prints, at exit of each model, the time
// spent in every op (after synchronize), so benchmarks can say where time goes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "backend.h"

namespace rg {
namespace {

// One table for the process, printed at exit (models are freed by the GC, maybe never).
std::mutex mu_;
std::map<std::string, std::pair<double, long>> t_;

void print_profile() {
  std::lock_guard<std::mutex> lk(mu_);
  double total = 0;
  for (auto& kv : t_) total += kv.second.first;
  std::fprintf(stderr, "[regurgitate profile] %.3f s in backend ops\n", total);
  std::multimap<double, std::string, std::greater<double>> by;
  for (auto& kv : t_) by.emplace(kv.second.first, kv.first);
  for (auto& kv : by)
    std::fprintf(stderr, "  %-16s %9.3f s %5.1f%%  %8ld calls\n", kv.second.c_str(), kv.first,
                 100.0 * kv.first / (total > 0 ? total : 1), t_[kv.second].second);
}

class ProfilingBackend final : public Backend {
 public:
  explicit ProfilingBackend(std::unique_ptr<Backend> inner) : in_(std::move(inner)) {
    static bool registered = (std::atexit(print_profile), true);
    (void)registered;
  }
  const char* name() const override { return in_->name(); }

 private:
  template <typename F>
  void time(const char* op, F&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    in_->synchronize();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard<std::mutex> lk(mu_);
    auto& e = t_[op];
    e.first += s;
    e.second += 1;
  }

 public:
  void* alloc(size_t b) override { return in_->alloc(b); }
  void release(void* p) override { in_->release(p); }
  void upload(void* d, const void* s, size_t n) override { time("upload", [&] { in_->upload(d, s, n); }); }
  void download(void* d, const void* s, size_t n) override { time("download", [&] { in_->download(d, s, n); }); }
  void copy(void* d, const void* s, size_t n) override { time("copy", [&] { in_->copy(d, s, n); }); }
  void zero(void* p, size_t n) override { time("zero", [&] { in_->zero(p, n); }); }
  void synchronize() override { in_->synchronize(); }
  void gemm(bool ta, bool tb, int M, int N, int K, float al, const float* A, int lda, const float* B, int ldb,
            float be, float* C, int ldc) override {
    const char* op = ta ? "gemm_TN" : tb ? "gemm_NT" : "gemm_NN";
    time(op, [&] { in_->gemm(ta, tb, M, N, K, al, A, lda, B, ldb, be, C, ldc); });
  }
  void sinusoidal_table(float* pe, int L, int d) override { in_->sinusoidal_table(pe, L, d); }
  void embed_fwd(float* o, const float* E, const int* ids, int N, int T, int p0, int d, float s, const float* pe) override {
    time("embed_fwd", [&] { in_->embed_fwd(o, E, ids, N, T, p0, d, s, pe); });
  }
  void embed_bwd(float* dE, const float* dO, const int* ids, int N, int d, int V, float s) override {
    time("embed_bwd", [&] { in_->embed_bwd(dE, dO, ids, N, d, V, s); });
  }
  void layernorm_fwd(float* y, float* m, float* r, const float* x, const float* g, const float* b, int R, int C, float e) override {
    time("layernorm_fwd", [&] { in_->layernorm_fwd(y, m, r, x, g, b, R, C, e); });
  }
  void layernorm_bwd(float* dx, float* dg, float* db, const float* dy, const float* x, const float* m, const float* r,
                     const float* g, int R, int C) override {
    time("layernorm_bwd", [&] { in_->layernorm_bwd(dx, dg, db, dy, x, m, r, g, R, C); });
  }
  void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v, const int* kl, float* o, float* p) override {
    time("attention_fwd", [&] { in_->attention_fwd(s, q, k, v, kl, o, p); });
  }
  void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v, const int* kl,
                     const float* o, const float* p, const float* dO, float* dq, float* dk, float* dv) override {
    time("attention_bwd", [&] { in_->attention_bwd(s, q, k, v, kl, o, p, dO, dq, dk, dv); });
  }
  size_t attention_saved_floats(int B, int H, int Tq, int Tk) override { return in_->attention_saved_floats(B, H, Tq, Tk); }
  void act_fwd(Act a, float* y, const float* x, size_t n) override { time("act_fwd", [&] { in_->act_fwd(a, y, x, n); }); }
  void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) override {
    time("act_bwd", [&] { in_->act_bwd(a, dx, dy, x, n); });
  }
  void bias_add(float* y, const float* b, int R, int C) override { time("bias_add", [&] { in_->bias_add(y, b, R, C); }); }
  void bias_grad(float* db, const float* dy, int R, int C) override { time("bias_grad", [&] { in_->bias_grad(db, dy, R, C); }); }
  void add_inplace(float* y, const float* x, size_t n) override { time("add_inplace", [&] { in_->add_inplace(y, x, n); }); }
  void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t s, uint64_t st) override {
    time("dropout_fwd", [&] { in_->dropout_fwd(y, x, n, p, s, st); });
  }
  void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t s, uint64_t st) override {
    time("dropout_bwd", [&] { in_->dropout_bwd(dx, dy, n, p, s, st); });
  }
  void xent_fwd_bwd(const float* l, const int* t, int N, int V, float e, int ig, float gs, float* lo, float* tl, float* dl) override {
    time("xent", [&] { in_->xent_fwd_bwd(l, t, N, V, e, ig, gs, lo, tl, dl); });
  }
  void log_softmax_rows(float* o, const float* l, int N, int V) override { time("log_softmax", [&] { in_->log_softmax_rows(o, l, N, V); }); }
  void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h, float wd) override {
    time("adamw", [&] { in_->adamw_update(p, g, m, v, n, h, wd); });
  }
  double sum_squares(const float* x, size_t n) override {
    double r = 0;
    time("sum_squares", [&] { r = in_->sum_squares(x, n); });
    return r;
  }
  void scale_inplace(float* x, size_t n, float s) override { time("scale", [&] { in_->scale_inplace(x, n, s); }); }

  // Fused ops: timed whole, and forwarded so the inner backend's own fusion runs.
  bool wants_bf16_copies() const override { return in_->wants_bf16_copies(); }
  void to_bf16(void* d, const float* s, size_t n) override { time("to_bf16", [&] { in_->to_bf16(d, s, n); }); }
  void linear_fwd(float* y, const float* x, const void* x16, const float* W, const void* W16, const float* b,
                  int R, int O, int I) override {
    time("linear_fwd", [&] { in_->linear_fwd(y, x, x16, W, W16, b, R, O, I); });
  }
  void linear_bwd(float* dW, float* db, float* din, bool acc, const float* dout, const float* x, const void* x16,
                  const float* W, const void* W16, int R, int O, int I) override {
    time("linear_bwd", [&] { in_->linear_bwd(dW, db, din, acc, dout, x, x16, W, W16, R, O, I); });
  }
  void dropout_add_layernorm(float* h, const float* res, float p, uint64_t s, uint64_t st, float* y, void* y16,
                             float* m, float* r, const float* g, const float* b, int R, int C, float e) override {
    time("drop_add_ln", [&] { in_->dropout_add_layernorm(h, res, p, s, st, y, y16, m, r, g, b, R, C, e); });
  }
  void layernorm_bwd_dropout(float* dx, float* dg, float* db, const float* dy, const float* x, const float* m,
                             const float* r, const float* g, int R, int C, float* dd, float p, uint64_t s,
                             uint64_t st) override {
    time("ln_bwd_drop", [&] { in_->layernorm_bwd_dropout(dx, dg, db, dy, x, m, r, g, R, C, dd, p, s, st); });
  }
  void act_dropout_fwd(Act a, float* y, void* y16, const float* x, size_t n, float p, uint64_t s,
                       uint64_t st) override {
    time("act_drop_fwd", [&] { in_->act_dropout_fwd(a, y, y16, x, n, p, s, st); });
  }
  void act_dropout_bwd(Act a, float* dx, const float* dy, const float* x, size_t n, float p, uint64_t s,
                       uint64_t st) override {
    time("act_drop_bwd", [&] { in_->act_dropout_bwd(a, dx, dy, x, n, p, s, st); });
  }
  void clip_adamw(float* P, void* P16, float* G, float* M, float* V, size_t n, const ParamSpan* sp, int ns,
                  const AdamWHyper& h, float wd, double clip) override {
    time("clip_adamw", [&] { in_->clip_adamw(P, P16, G, M, V, n, sp, ns, h, wd, clip); });
  }

  // ---- decoding ----
  void copy_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, int rows) override {
    time("copy_rows", [&] { in_->copy_rows(d, dp, s, sp, row, rows); });
  }
  void gather_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, const int* idx, int rows) override {
    time("gather_rows", [&] { in_->gather_rows(d, dp, s, sp, row, idx, rows); });
  }
  void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) override {
    time("topk_rows", [&] { in_->topk_rows(x, R, V, k, vals, idx); });
  }
  void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u, int* tokens,
                   float* token_lp) override {
    time("sample_rows", [&] { in_->sample_rows(lp, R, V, sp, u, tokens, token_lp); });
  }

 private:
  std::unique_ptr<Backend> in_;
};

}  // namespace

std::unique_ptr<Backend> maybe_profile(std::unique_ptr<Backend> b) {
  const char* e = std::getenv("REGURGITATE_PROFILE");
  if (e && *e && std::string(e) != "0") return std::make_unique<ProfilingBackend>(std::move(b));
  return b;
}

}  // namespace rg
