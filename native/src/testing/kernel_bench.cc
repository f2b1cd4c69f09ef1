#include "testing/kernel_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "common/threadpool.h"
#include "cpu/activation.h"
#include "cpu/adamw.h"
#include "cpu/attention.h"
#include "cpu/dropout.h"
#include "cpu/embedding.h"
#include "cpu/layernorm.h"
#include "cpu/xent.h"

namespace rg::testing {
namespace {

using namespace rg::cpu;
using Vec = std::vector<float>;

constexpr int kN = 8192, kD = 256, kH = 4, kT = 32, kFF = 1024, kV = 8000;

Vec rand_vec(size_t n, uint64_t stream, float lo = -1, float hi = 1) {
  Vec v(n);
  rg::parallel_for(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) v[i] = lo + (hi - lo) * uniform_at(7, stream, i);
  });
  return v;
}

double best_ms(int iters, const std::function<void()>& fn) {
  double best = 1e300;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

struct Case {
  const char* name;
  const char* shape;
  std::function<void(int, BenchResult&)> run;
};

AttnShape self_shape() {
  AttnShape s;
  s.B = kN / kT; s.H = kH; s.Tq = kT; s.Tk = kT; s.dh = kD / kH;
  s.ldq = s.ldk = s.ldv = 3L * kD;
  s.q_bs = s.k_bs = s.v_bs = (long)kT * 3 * kD;
  s.ldo = kD; s.o_bs = (long)kT * kD;
  s.causal = true;
  s.scale = 1.0f / std::sqrt((float)s.dh);
  return s;
}
std::vector<int> lens() {
  std::vector<int> l(kN / kT);
  for (size_t b = 0; b < l.size(); ++b) l[b] = 8 + (int)(b * 7 % 25);
  return l;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"xent", "[8192, 8000], eps 0.1", [](int it, BenchResult& r) {
         Vec x = rand_vec((size_t)kN * kV, 1, -4, 4), d((size_t)kN * kV), l(kN);
         std::vector<int> t(kN);
         for (int i = 0; i < kN; ++i) t[i] = (i * 7919) % kV;
         r.opt_ms = best_ms(it, [&] { xent_fwd_bwd(x.data(), t.data(), kN, kV, 0.1f, 0, 1.0f / kN, l.data(), nullptr, d.data()); });
         r.ref_ms = best_ms(1, [&] { xent_fwd_bwd_ref(x.data(), t.data(), kN, kV, 0.1f, 0, 1.0f / kN, l.data(), nullptr, d.data()); });
       }},
      {"xent_inplace", "[8192, 8000], eps 0.1, dlogits aliasing logits", [](int it, BenchResult& r) {
         Vec x = rand_vec((size_t)kN * kV, 1, -4, 4), l(kN);
         std::vector<int> t(kN);
         for (int i = 0; i < kN; ++i) t[i] = (i * 7919) % kV;
         // Repeated in place on its own output (gradients are valid logits too): same cost.
         r.opt_ms = best_ms(it, [&] { xent_fwd_bwd(x.data(), t.data(), kN, kV, 0.1f, 0, 1.0f / kN, l.data(), nullptr, x.data()); });
         r.ref_ms = best_ms(1, [&] { xent_fwd_bwd_ref(x.data(), t.data(), kN, kV, 0.1f, 0, 1.0f / kN, l.data(), nullptr, x.data()); });
       }},
      {"attention_fwd", "self, causal, B 256, H 4, T 32, dh 64", [](int it, BenchResult& r) {
         AttnShape s = self_shape();
         Vec qkv = rand_vec((size_t)kN * 3 * kD, 2), out((size_t)kN * kD), P((size_t)s.B * s.H * kT * kT);
         auto kl = lens();
         const float* q = qkv.data();
         r.opt_ms = best_ms(it, [&] { attention_fwd(s, q, q + kD, q + 2 * kD, kl.data(), out.data(), P.data()); });
         r.ref_ms = best_ms(1, [&] { attention_fwd_ref(s, q, q + kD, q + 2 * kD, kl.data(), out.data(), P.data()); });
       }},
      {"attention_bwd", "self, causal, B 256, H 4, T 32, dh 64", [](int it, BenchResult& r) {
         AttnShape s = self_shape();
         Vec qkv = rand_vec((size_t)kN * 3 * kD, 2), out((size_t)kN * kD), P((size_t)s.B * s.H * kT * kT),
             dout = rand_vec((size_t)kN * kD, 3), g((size_t)kN * 3 * kD);
         auto kl = lens();
         const float* q = qkv.data();
         attention_fwd(s, q, q + kD, q + 2 * kD, kl.data(), out.data(), P.data());
         float* dq = g.data();
         r.opt_ms = best_ms(it, [&] { attention_bwd(s, q, q + kD, q + 2 * kD, kl.data(), P.data(), dout.data(), dq, dq + kD, dq + 2 * kD); });
         r.ref_ms = best_ms(1, [&] { attention_bwd_ref(s, q, q + kD, q + 2 * kD, kl.data(), P.data(), dout.data(), dq, dq + kD, dq + 2 * kD); });
       }},
      {"layernorm_fwd", "[8192, 256]", [](int it, BenchResult& r) {
         Vec x = rand_vec((size_t)kN * kD, 4), g = rand_vec(kD, 5), b = rand_vec(kD, 6), y(x.size()), m(kN), rs(kN);
         r.opt_ms = best_ms(it, [&] { layernorm_fwd(y.data(), m.data(), rs.data(), x.data(), g.data(), b.data(), kN, kD, 1e-5f); });
         r.ref_ms = best_ms(it, [&] { layernorm_fwd_ref(y.data(), m.data(), rs.data(), x.data(), g.data(), b.data(), kN, kD, 1e-5f); });
       }},
      {"layernorm_bwd", "[8192, 256]", [](int it, BenchResult& r) {
         Vec x = rand_vec((size_t)kN * kD, 4), g = rand_vec(kD, 5), b = rand_vec(kD, 6), y(x.size()), m(kN), rs(kN),
             dy = rand_vec(x.size(), 7), dx(x.size()), dg(kD), db(kD);
         layernorm_fwd(y.data(), m.data(), rs.data(), x.data(), g.data(), b.data(), kN, kD, 1e-5f);
         r.opt_ms = best_ms(it, [&] { layernorm_bwd(dx.data(), dg.data(), db.data(), dy.data(), x.data(), m.data(), rs.data(), g.data(), kN, kD); });
         r.ref_ms = best_ms(it, [&] { layernorm_bwd_ref(dx.data(), dg.data(), db.data(), dy.data(), x.data(), m.data(), rs.data(), g.data(), kN, kD); });
       }},
      {"embed_bwd", "N 8192, d 256, V 8000", [](int it, BenchResult& r) {
         Vec dout = rand_vec((size_t)kN * kD, 8), dE((size_t)kV * kD);
         std::vector<int> ids(kN);
         for (int i = 0; i < kN; ++i) ids[i] = (i * 131) % kV;
         r.opt_ms = best_ms(it, [&] { embed_bwd(dE.data(), dout.data(), ids.data(), kN, kD, 16.0f); });
         r.ref_ms = best_ms(it, [&] { embed_bwd_ref(dE.data(), dout.data(), ids.data(), kN, kD, 16.0f); });
       }},
      {"adamw", "8M parameters", [](int it, BenchResult& r) {
         const size_t n = 8u << 20;
         Vec p = rand_vec(n, 9), g = rand_vec(n, 10), m(n), v(n);
         AdamWHyper h{1e-3f, 0.9f, 0.98f, 1e-9f, 1};
         r.opt_ms = best_ms(it, [&] { adamw_update(p.data(), g.data(), m.data(), v.data(), n, h, 0.01f); });
         r.ref_ms = best_ms(it, [&] { adamw_update_ref(p.data(), g.data(), m.data(), v.data(), n, h, 0.01f); });
       }},
      {"gelu_fwd", "[8192, 1024]", [](int it, BenchResult& r) {
         const size_t n = (size_t)kN * kFF;
         Vec x = rand_vec(n, 11, -3, 3), y(n);
         r.opt_ms = best_ms(it, [&] { act_fwd(Act::GELU, y.data(), x.data(), n); });
         r.ref_ms = best_ms(it, [&] { act_fwd_ref(Act::GELU, y.data(), x.data(), n); });
       }},
      {"gelu_bwd", "[8192, 1024]", [](int it, BenchResult& r) {
         const size_t n = (size_t)kN * kFF;
         Vec x = rand_vec(n, 11, -3, 3), dy = rand_vec(n, 14), dx(n);
         r.opt_ms = best_ms(it, [&] { act_bwd(Act::GELU, dx.data(), dy.data(), x.data(), n); });
         r.ref_ms = best_ms(it, [&] { act_bwd_ref(Act::GELU, dx.data(), dy.data(), x.data(), n); });
       }},
      {"bias_grad", "[8192, 1024] (ref: naive column sums)", [](int it, BenchResult& r) {
         Vec dy = rand_vec((size_t)kN * kFF, 12), db(kFF);
         r.opt_ms = best_ms(it, [&] { bias_grad(db.data(), dy.data(), kN, kFF); });
         r.ref_ms = best_ms(it, [&] {
           for (int i = 0; i < kN; ++i)
             for (int c = 0; c < kFF; ++c) db[c] += dy[(size_t)i * kFF + c];
         });
       }},
      {"dropout_fwd", "[8192, 1024] p 0.1 (ref: uniform_at per element, one thread)", [](int it, BenchResult& r) {
         const size_t n = (size_t)kN * kFF;
         Vec x = rand_vec(n, 13), y(n);
         r.opt_ms = best_ms(it, [&] { dropout_fwd(y.data(), x.data(), n, 0.1f, 1, 2); });
         r.ref_ms = best_ms(it, [&] {
           for (size_t i = 0; i < n; ++i) y[i] = uniform_at(1, 2, i) >= 0.1f ? x[i] * (1.0f / 0.9f) : 0.0f;
         });
       }},
  };
  return c;
}

}  // namespace

std::vector<std::string> kernel_bench_names() {
  std::vector<std::string> n;
  for (auto& c : cases()) n.push_back(c.name);
  return n;
}

BenchResult kernel_bench(const std::string& name, int iters) {
  for (auto& c : cases())
    if (name == c.name) {
      BenchResult r;
      r.kernel = c.name;
      r.shape = c.shape;
      r.threads = num_threads();
      c.run(std::max(1, iters), r);
      return r;
    }
  std::string valid;
  for (auto& c : cases()) valid += (valid.empty() ? "" : ", ") + std::string(c.name);
  fail("EINVAL", "unknown kernel bench '" + name + "'; valid names: " + valid);
}

}  // namespace rg::testing
