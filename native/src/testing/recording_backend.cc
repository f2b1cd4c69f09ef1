// A testing stand-in for CUDA graphs on the CPU: REGURGITATE_TEST_GRAPHS=N wraps the CPU
// backend in one that records ops as closures between graph_begin and graph_end and
// replays them with fresh slot values, with the CUDA backend's slot rules (one slot per
// dropout-op call, xent's grad_scale, embed_fwd's pos0, append_rows' pos) and its
// refusals (nothing returns data to the host while recording). So the model's recorded
// training passes and decoding steps are tested bit for bit in CI, which has no GPU.
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "common/error.h"

namespace rg {
namespace {

struct Recording {
  std::vector<std::function<void()>> ops;
  std::vector<uint64_t> slots;
};

class RecordingBackend final : public Backend {
 public:
  RecordingBackend(std::unique_ptr<Backend> inner, int capacity) : in_(std::move(inner)), cap_(capacity) {}
  ~RecordingBackend() override { delete cur_; }
  const char* name() const override { return in_->name(); }

  // ---- recording ----
  int graph_capacity() const override { return cap_; }
  bool graph_begin() override {
    if (cur_) return false;
    cur_ = new Recording;
    broken_ = false;
    return true;
  }
  void* graph_end(std::vector<uint64_t>* slots) override {
    Recording* r = cur_;
    cur_ = nullptr;
    if (!r || broken_) {
      delete r;
      return nullptr;
    }
    if (slots) *slots = r->slots;
    return r;
  }
  void graph_launch(void* g, const uint64_t* slots, size_t n) override {
    auto* r = static_cast<Recording*>(g);
    if (cur_) fail("EBACKEND", "graph_launch while recording");
    if (n != r->slots.size()) fail("EINVAL", "graph_launch: slot count differs from the recording");
    std::copy(slots, slots + n, r->slots.begin());
    for (auto& op : r->ops) op();
  }
  void graph_release(void* g) override { delete static_cast<Recording*>(g); }

 private:
  // Runs f now, or records it.
  void run(std::function<void()> f) {
    if (cur_) cur_->ops.push_back(std::move(f));
    else f();
  }
  // An op that cannot be recorded (data back to the host, or memory moving): as on CUDA,
  // the recording fails and the caller runs the ops directly.
  void refuse(const char* op) {
    if (!cur_) return;
    broken_ = true;
    fail("EBACKEND", std::string("graph recording: ") + op + " cannot be recorded");
  }
  // The value a replay sees for a per-step value: the slot's, when recorded.
  struct Slot {
    Recording* r;
    size_t i;
    uint64_t v;
    uint64_t get() const { return r ? r->slots[i] : v; }
    int geti() const { return (int)(uint32_t)get(); }
    float getf() const {
      const uint32_t bits = (uint32_t)get();
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return f;
    }
  };
  Slot slot(uint64_t v) {
    if (!cur_) return Slot{nullptr, 0, v};
    cur_->slots.push_back(v);
    return Slot{cur_, cur_->slots.size() - 1, v};
  }
  Slot islot(int v) { return slot((uint64_t)(uint32_t)v); }
  Slot fslot(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return slot((uint64_t)bits);
  }

 public:
  void* alloc(size_t b) override {
    refuse("alloc");
    return in_->alloc(b);
  }
  void release(void* p) override {
    refuse("release");
    in_->release(p);
  }
  void upload(void* d, const void* s, size_t n) override {
    refuse("upload");
    in_->upload(d, s, n);
  }
  void download(void* d, const void* s, size_t n) override {
    refuse("download");
    in_->download(d, s, n);
  }
  void copy(void* d, const void* s, size_t n) override { run([=] { in_->copy(d, s, n); }); }
  void zero(void* p, size_t n) override { run([=] { in_->zero(p, n); }); }
  void synchronize() override {
    refuse("synchronize");
    in_->synchronize();
  }
  void gemm(bool ta, bool tb, int M, int N, int K, float al, const float* A, int lda, const float* B, int ldb,
            float be, float* C, int ldc) override {
    run([=] { in_->gemm(ta, tb, M, N, K, al, A, lda, B, ldb, be, C, ldc); });
  }
  void sinusoidal_table(float* pe, int L, int d) override {
    refuse("sinusoidal_table");
    in_->sinusoidal_table(pe, L, d);
  }
  void embed_fwd(float* o, const float* E, const int* ids, int N, int T, int p0, int d, float s,
                 const float* pe) override {
    const Slot sl = islot(p0);
    run([=] { in_->embed_fwd(o, E, ids, N, T, sl.geti(), d, s, pe); });
  }
  void embed_bwd(float* dE, const float* dO, const int* ids, int N, int d, int V, float s) override {
    run([=] { in_->embed_bwd(dE, dO, ids, N, d, V, s); });
  }
  void layernorm_fwd(float* y, float* m, float* r, const float* x, const float* g, const float* b, int R,
                     int C, float e) override {
    run([=] { in_->layernorm_fwd(y, m, r, x, g, b, R, C, e); });
  }
  void layernorm_bwd(float* dx, float* dg, float* db, const float* dy, const float* x, const float* m,
                     const float* r, const float* g, int R, int C) override {
    run([=] { in_->layernorm_bwd(dx, dg, db, dy, x, m, r, g, R, C); });
  }
  void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v, const int* kl,
                     float* o, float* p) override {
    run([=] { in_->attention_fwd(s, q, k, v, kl, o, p); });
  }
  void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v, const int* kl,
                     const float* o, const float* p, const float* dO, float* dq, float* dk, float* dv) override {
    run([=] { in_->attention_bwd(s, q, k, v, kl, o, p, dO, dq, dk, dv); });
  }
  size_t attention_saved_floats(int B, int H, int Tq, int Tk) override {
    return in_->attention_saved_floats(B, H, Tq, Tk);
  }
  void act_fwd(Act a, float* y, const float* x, size_t n) override { run([=] { in_->act_fwd(a, y, x, n); }); }
  void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) override {
    run([=] { in_->act_bwd(a, dx, dy, x, n); });
  }
  void bias_add(float* y, const float* b, int R, int C) override { run([=] { in_->bias_add(y, b, R, C); }); }
  void bias_grad(float* db, const float* dy, int R, int C) override { run([=] { in_->bias_grad(db, dy, R, C); }); }
  void add_inplace(float* y, const float* x, size_t n) override { run([=] { in_->add_inplace(y, x, n); }); }
  void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t s, uint64_t st) override {
    const Slot sl = slot(st);
    run([=] { in_->dropout_fwd(y, x, n, p, s, sl.get()); });
  }
  void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t s, uint64_t st) override {
    const Slot sl = slot(st);
    run([=] { in_->dropout_bwd(dx, dy, n, p, s, sl.get()); });
  }
  void xent_fwd_bwd(const float* l, const int* t, int N, int V, float e, int ig, float gs, float* lo, float* tl,
                    float* dl) override {
    const Slot sl = fslot(gs);
    run([=] { in_->xent_fwd_bwd(l, t, N, V, e, ig, sl.getf(), lo, tl, dl); });
  }
  void log_softmax_rows(float* o, const float* l, int N, int V) override {
    run([=] { in_->log_softmax_rows(o, l, N, V); });
  }
  void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h, float wd) override {
    run([=] { in_->adamw_update(p, g, m, v, n, h, wd); });
  }
  double sum_squares(const float* x, size_t n) override {
    refuse("sum_squares");
    return in_->sum_squares(x, n);
  }
  void scale_inplace(float* x, size_t n, float s) override { run([=] { in_->scale_inplace(x, n, s); }); }

  // Fused ops: recorded whole (one slot per call, as the CUDA backend), run by the inner
  // backend's own versions.
  bool wants_bf16_copies() const override { return in_->wants_bf16_copies(); }
  void to_bf16(void* d, const float* s, size_t n) override { run([=] { in_->to_bf16(d, s, n); }); }
  void linear_fwd(float* y, const float* x, const void* x16, const float* W, const void* W16, const float* b,
                  int R, int O, int I) override {
    run([=] { in_->linear_fwd(y, x, x16, W, W16, b, R, O, I); });
  }
  void linear_bwd(float* dW, float* db, float* din, bool acc, const float* dout, const float* x, const void* x16,
                  const float* W, const void* W16, int R, int O, int I) override {
    run([=] { in_->linear_bwd(dW, db, din, acc, dout, x, x16, W, W16, R, O, I); });
  }
  void dropout_add_layernorm(float* h, const float* res, float p, uint64_t s, uint64_t st, float* y, void* y16,
                             float* m, float* r, const float* g, const float* b, int R, int C, float e) override {
    const Slot sl = slot(st);
    run([=] { in_->dropout_add_layernorm(h, res, p, s, sl.get(), y, y16, m, r, g, b, R, C, e); });
  }
  void layernorm_bwd_dropout(float* dx, float* dg, float* db, const float* dy, const float* x, const float* m,
                             const float* r, const float* g, int R, int C, float* dd, float p, uint64_t s,
                             uint64_t st) override {
    const Slot sl = slot(st);
    run([=] { in_->layernorm_bwd_dropout(dx, dg, db, dy, x, m, r, g, R, C, dd, p, s, sl.get()); });
  }
  void act_dropout_fwd(Act a, float* y, void* y16, const float* x, size_t n, float p, uint64_t s,
                       uint64_t st) override {
    const Slot sl = slot(st);
    run([=] { in_->act_dropout_fwd(a, y, y16, x, n, p, s, sl.get()); });
  }
  void act_dropout_bwd(Act a, float* dx, const float* dy, const float* x, size_t n, float p, uint64_t s,
                       uint64_t st) override {
    const Slot sl = slot(st);
    run([=] { in_->act_dropout_bwd(a, dx, dy, x, n, p, s, sl.get()); });
  }
  void clip_adamw(float* P, void* P16, float* G, float* M, float* V, size_t n, const ParamSpan* sp, int ns,
                  const AdamWHyper& h, float wd, double clip) override {
    refuse("clip_adamw");  // it reads the gradient norm back (as the CPU backend does)
    in_->clip_adamw(P, P16, G, M, V, n, sp, ns, h, wd, clip);
  }

  // ---- decoding: the step's cache append is recorded; the rest runs between steps ----
  void append_rows(void* d, size_t dp, size_t pos_bytes, int pos, const void* s, size_t sp, size_t row,
                   int rows) override {
    const Slot sl = islot(pos);
    run([=] { in_->append_rows(d, dp, pos_bytes, sl.geti(), s, sp, row, rows); });
  }
  void copy_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, int rows) override {
    refuse("copy_rows");
    in_->copy_rows(d, dp, s, sp, row, rows);
  }
  void gather_rows(void* d, size_t dp, const void* s, size_t sp, size_t row, const int* idx, int rows) override {
    refuse("gather_rows");
    in_->gather_rows(d, dp, s, sp, row, idx, rows);
  }
  void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) override {
    refuse("topk_rows");
    in_->topk_rows(x, R, V, k, vals, idx);
  }
  void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u, int* tokens,
                   float* token_lp) override {
    refuse("sample_rows");
    in_->sample_rows(lp, R, V, sp, u, tokens, token_lp);
  }

 private:
  std::unique_ptr<Backend> in_;
  int cap_;
  Recording* cur_ = nullptr;
  bool broken_ = false;
};

}  // namespace

std::unique_ptr<Backend> maybe_record_for_test(std::unique_ptr<Backend> b) {
  const char* e = std::getenv("REGURGITATE_TEST_GRAPHS");
  if (!e || !*e) return b;
  const int cap = std::atoi(e);
  if (cap <= 0) return b;
  return std::make_unique<RecordingBackend>(std::move(b), cap);
}

}  // namespace rg
