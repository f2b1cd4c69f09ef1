// The gradient-check registry: see gradcheck.h for what every number means.
#include "testing/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "common/cpu_features.h"
#include "common/error.h"
#include "common/rng.h"
#include "common/threadpool.h"
#include "cpu/activation.h"
#include "cpu/adamw.h"
#include "cpu/attention.h"
#include "cpu/dropout.h"
#include "cpu/embedding.h"
#include "cpu/gemm.h"
#include "cpu/layernorm.h"
#include "cpu/simd_isa.h"
#include "cpu/xent.h"

namespace rg::testing {
namespace {

using namespace rg::cpu;
using Vec = std::vector<float>;
using DVec = std::vector<double>;

constexpr double kFdTol = 1e-3;   // finite differences, fp32 forward
constexpr double kRefTol = 1e-5;  // optimized fp32 vs double-accumulating reference
// Default FD step. Inputs lie on a 2^-12 grid, so every x + k h (k = -3..3) is exact in fp32.
constexpr float kH = 1.0f / 16;

// ---- random inputs ---------------------------------------------------------------------

struct Rand {
  CounterRng r;
  Rand(uint64_t seed, const std::string& name) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a of the check's name
    for (char c : name) h = (h ^ (uint8_t)c) * 1099511628211ull;
    r.seed = seed;
    r.stream = h;
  }
  // Uniform in [lo, hi) rounded to a multiple of 2^-12.
  float u(float lo, float hi) {
    float x = lo + (hi - lo) * r.uniform();
    return std::round(x * 4096.0f) / 4096.0f;
  }
  Vec vec(size_t n, float lo = -1, float hi = 1) {
    Vec v(n);
    for (auto& x : v) x = u(lo, hi);
    return v;
  }
  int below(int n) { return (int)r.below((uint32_t)n); }
};

// ---- error accumulation ----------------------------------------------------------------

struct Acc {
  double max_rel = 0, max_abs = 0;
  long n = 0;
  void add(double a, double b, double floor) {
    double d = std::fabs(a - b);
    if (std::isnan(a) || std::isnan(b)) d = std::numeric_limits<double>::infinity();
    double rel = d / std::max(std::fabs(a) + std::fabs(b), floor);
    if (!(rel <= max_rel)) max_rel = rel;  // NaN-safe
    if (!(d <= max_abs)) max_abs = d;
    ++n;
  }
};

double rms(const DVec& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return a.empty() ? 0 : std::sqrt(s / a.size());
}
// Elements below a tenth of the tensor's rms gradient are judged on that scale: fp32 rounding
// of the outputs limits FD precision to about 1e-7 / h in absolute terms.
double floor_of(const DVec& a) { return std::max(0.1 * rms(a), 1e-7); }

// Compares analytic (a) and numeric (n) gradients of one tensor.
void compare(Acc& acc, const DVec& a, const DVec& n) {
  double fl = floor_of(a);
  for (size_t i = 0; i < a.size(); ++i) acc.add(a[i], n[i], fl);
}
// Optimized (a) vs reference (b) on one output. The floor is the rms of the reference output:
// fp32 sums with cancellation (dot products, softmax gradients) are exact only to ~1e-7 of
// the operands' scale, so elements far below the tensor's scale are judged on that scale.
void compare_ref(Acc& acc, const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (double)b[i] * b[i];
  double fl = std::max(std::sqrt(s / std::max<size_t>(n, 1)), 1e-30);
  for (size_t i = 0; i < n; ++i) acc.add(a[i], b[i], fl);
}
void compare_ref(Acc& acc, const Vec& a, const Vec& b) {
  compare_ref(acc, a.data(), b.data(), std::min(a.size(), b.size()));
}
// Bitwise comparison: abs difference, NaN (or one-sided NaN) counts as infinite.
void compare_bits(Acc& acc, const Vec& a, const Vec& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    bool same = std::memcmp(&a[i], &b[i], sizeof(float)) == 0;
    double d = same ? 0.0 : std::fabs((double)a[i] - b[i]);
    if (!same && !(d > 0)) d = std::numeric_limits<double>::infinity();
    if (!(d <= acc.max_abs)) acc.max_abs = d;
    if (!(d <= acc.max_rel)) acc.max_rel = d;
    ++acc.n;
  }
}

double dot(const Vec& w, const Vec& y) {
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) s += (double)w[i] * y[i];
  return s;
}

// Central difference of loss() with respect to x[idx]: 6-point stencil, truncation error
// O(h^6), so h can be large enough that fp32 rounding of the outputs stays negligible.
template <class F>
DVec numeric_grad(Vec& x, const std::vector<size_t>& idx, F&& loss, float h = kH) {
  DVec g(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) {
    size_t i = idx[k];
    float x0 = x[i];
    double l[6];
    const int steps[6] = {1, -1, 2, -2, 3, -3};
    for (int s = 0; s < 6; ++s) {
      x[i] = x0 + steps[s] * h;
      l[s] = loss();
    }
    x[i] = x0;
    g[k] = (45.0 * (l[0] - l[1]) - 9.0 * (l[2] - l[3]) + (l[4] - l[5])) / (60.0 * h);
  }
  return g;
}
std::vector<size_t> all_idx(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}
template <class F>
DVec numeric_grad(Vec& x, F&& loss, float h = kH) {
  return numeric_grad(x, all_idx(x.size()), loss, h);
}
DVec pick(const Vec& a, const std::vector<size_t>& idx) {
  DVec r(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) r[k] = a[idx[k]];
  return r;
}
Vec pick_f(const Vec& a, const std::vector<size_t>& idx) {
  Vec r(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) r[k] = a[idx[k]];
  return r;
}
DVec to_d(const Vec& a) { return DVec(a.begin(), a.end()); }

CheckResult finish(const char* kernel, const Acc& fd, double tol = kFdTol) {
  CheckResult r;
  r.kernel = kernel;
  r.max_rel = fd.max_rel;
  r.max_abs = fd.max_abs;
  r.checked = fd.n;
  r.tolerance = tol;
  return r;
}
void set_ref(CheckResult& r, const Acc& ref, double tol = kRefTol) {
  r.has_ref = true;
  r.ref_max_rel = ref.max_rel;
  r.ref_tolerance = tol;
}

// ---- layer norm ------------------------------------------------------------------------

CheckResult check_layernorm(uint64_t seed, bool wrong) {
  Rand R(seed, "layernorm");
  const int rows = 6, cols = 37;
  const float eps = 1e-5f;
  Vec x = R.vec((size_t)rows * cols, -1, 2), g = R.vec(cols, 0.5f, 1.5f), b = R.vec(cols),
      w = R.vec((size_t)rows * cols);
  Vec y(x.size()), mean(rows), rstd(rows);
  auto loss = [&] {
    layernorm_fwd_ref(y.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), rows,
                      cols, eps);
    return dot(w, y);
  };
  // Analytic, accumulating into random initial values (the contract is +=).
  layernorm_fwd(y.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), rows, cols, eps);
  Vec dx0 = R.vec(x.size()), dg0 = R.vec(cols), db0 = R.vec(cols);
  Vec dx = dx0, dg = dg0, db = db0;
  layernorm_bwd(dx.data(), dg.data(), db.data(), w.data(), x.data(), mean.data(), rstd.data(),
                g.data(), rows, cols);
  Vec rdx = dx0, rdg = dg0, rdb = db0;
  layernorm_bwd_ref(rdx.data(), rdg.data(), rdb.data(), w.data(), x.data(), mean.data(),
                    rstd.data(), g.data(), rows, cols);
  auto sub = [](const Vec& a, const Vec& a0) {
    DVec d(a.size());
    for (size_t i = 0; i < a.size(); ++i) d[i] = (double)a[i] - a0[i];
    return d;
  };
  DVec adx = sub(dx, dx0), adg = sub(dg, dg0), adb = sub(db, db0);
  if (wrong)  // negative control: an analytic gradient 1% off must fail the threshold
    for (auto& v : adx) v *= 1.01;
  Acc fd, ref;
  compare(fd, adx, numeric_grad(x, loss, 0.125f));
  compare(fd, adg, numeric_grad(g, loss, 0.125f));
  compare(fd, adb, numeric_grad(b, loss, 0.125f));
  compare_ref(ref, dx, rdx);
  compare_ref(ref, dg, rdg);
  compare_ref(ref, db, rdb);
  CheckResult r = finish(wrong ? "selftest: layernorm_bwd dx scaled by 1.01" : "layernorm_bwd", fd);
  set_ref(r, ref);
  return r;
}

// ---- attention -------------------------------------------------------------------------

// One attention problem in arbitrary (strided, possibly fused) buffers.
struct AttnCase {
  AttnShape s;
  int d;                    // H * dh
  Vec qbuf, kbuf, vbuf;     // q, k, v point into these at offsets qo, ko, vo
  size_t qo = 0, ko = 0, vo = 0;
  bool kv_shared = false;   // k and v live in kbuf (fused kv projection)
  bool qkv_shared = false;  // q, k and v all live in qbuf (fused self-attention projection)
  std::vector<int> k_len;
  size_t out_size;
  Vec w;  // projection of out

  float* Q(Vec& b) { return b.data() + qo; }
  Vec& kb() { return qkv_shared ? qbuf : kbuf; }
  Vec& vb() { return qkv_shared ? qbuf : (kv_shared ? kbuf : vbuf); }
};

// Builds q, k, v buffers for a case; layout: "fused_self", "cross" (q alone, kv fused),
// "cache" (q alone, k and v in caches of max_T rows).
AttnCase make_attn(Rand& R, const std::string& layout, int B, int H, int Tq, int Tk, int dh,
                   bool causal, std::vector<int> k_len, int max_T = 0) {
  AttnCase c;
  int d = H * dh;
  c.d = d;
  AttnShape& s = c.s;
  s.B = B; s.H = H; s.Tq = Tq; s.Tk = Tk; s.dh = dh;
  s.causal = causal;
  s.scale = 1.0f / std::sqrt((float)dh);
  if (layout == "fused_self") {  // [B*T, 3d]: q | k | v
    c.qkv_shared = true;
    s.ldq = s.ldk = s.ldv = 3L * d;
    s.q_bs = s.k_bs = s.v_bs = (long)Tq * 3 * d;
    c.qbuf = R.vec((size_t)B * Tq * 3 * d, -1.5f, 1.5f);
    c.qo = 0; c.ko = d; c.vo = 2 * d;
  } else if (layout == "cross") {  // q [B*Tq, d], kv [B*Tk, 2d]
    c.kv_shared = true;
    s.ldq = d; s.q_bs = (long)Tq * d;
    s.ldk = s.ldv = 2L * d;
    s.k_bs = s.v_bs = (long)Tk * 2 * d;
    c.qbuf = R.vec((size_t)B * Tq * d, -1.5f, 1.5f);
    c.kbuf = R.vec((size_t)B * Tk * 2 * d, -1.5f, 1.5f);
    c.ko = 0; c.vo = d;
  } else {  // cache: q [B, Tq, d]; k, v [B, max_T, d] caches with Tk <= max_T rows filled
    s.ldq = d; s.q_bs = (long)Tq * d;
    s.ldk = s.ldv = d;
    s.k_bs = s.v_bs = (long)max_T * d;
    c.qbuf = R.vec((size_t)B * Tq * d, -1.5f, 1.5f);
    c.kbuf = R.vec((size_t)B * max_T * d, -1.5f, 1.5f);
    c.vbuf = R.vec((size_t)B * max_T * d, -1.5f, 1.5f);
  }
  // out [B*Tq, d + 3] (a row stride wider than the heads, to exercise ldo)
  s.ldo = d + 3;
  s.o_bs = (long)Tq * s.ldo;
  c.out_size = (size_t)B * Tq * s.ldo;
  c.w = R.vec(c.out_size);
  for (size_t i = 0; i < c.out_size; ++i)
    if ((long)(i % s.ldo) >= d) c.w[i] = 0;
  c.k_len = std::move(k_len);
  return c;
}

CheckResult check_attention(uint64_t seed, const std::string& name) {
  Rand R(seed, name);
  AttnCase c;
  if (name == "attention_self_causal")  // decoder self-attention, one sentence shorter than T
    c = make_attn(R, "fused_self", 2, 2, 7, 7, 8, true, {7, 4});
  else if (name == "attention_self_padding")  // encoder self-attention
    c = make_attn(R, "fused_self", 2, 2, 6, 6, 8, false, {3, 6});
  else if (name == "attention_cross")
    c = make_attn(R, "cross", 2, 2, 5, 8, 8, false, {8, 3});
  else  // attention_incremental: Tq = 1 against a KV cache, causal
    c = make_attn(R, "cache", 2, 2, 1, 6, 8, true, {6, 6}, 9);
  const AttnShape& s = c.s;
  Vec out(c.out_size, 0.0f);
  auto ptrs = [&](const float*& q, const float*& k, const float*& v) {
    q = c.qbuf.data() + c.qo;
    k = c.kb().data() + c.ko;
    v = c.vb().data() + c.vo;
  };
  auto loss = [&] {
    const float *q, *k, *v;
    ptrs(q, k, v);
    attention_fwd_ref(s, q, k, v, c.k_len.data(), out.data(), nullptr);
    return dot(c.w, out);
  };
  const float *q, *k, *v;
  ptrs(q, k, v);
  Vec probs((size_t)s.B * s.H * s.Tq * s.Tk);
  attention_fwd(s, q, k, v, c.k_len.data(), out.data(), probs.data());
  // Gradients land in buffers shaped like the inputs, prefilled with NaN: attention_bwd
  // overwrites, so any element left unwritten shows up as an infinite error.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto run_bwd = [&](bool ref, Vec& gq, Vec& gk, Vec& gv) {
    gq.assign(c.qbuf.size(), nan);
    gk.assign(c.kbuf.size(), nan);
    gv.assign(c.vbuf.size(), nan);
    float* dq = gq.data() + c.qo;
    float* dk = (c.qkv_shared ? gq : gk).data() + c.ko;
    float* dv = (c.qkv_shared ? gq : c.kv_shared ? gk : gv).data() + c.vo;
    (ref ? attention_bwd_ref : attention_bwd)(s, q, k, v, c.k_len.data(), probs.data(),
                                              c.w.data(), dq, dk, dv);
  };
  Vec gq, gk, gv, rq, rk, rv;
  run_bwd(false, gq, gk, gv);
  run_bwd(true, rq, rk, rv);
  // Elements that belong to the problem (cache rows beyond Tk are not touched).
  auto rows_idx = [&](long bs, long ld, int T, size_t off) {
    std::vector<size_t> idx;
    for (int b = 0; b < s.B; ++b)
      for (int t = 0; t < T; ++t)
        for (int j = 0; j < c.d; ++j) idx.push_back(off + b * bs + t * ld + j);
    return idx;
  };
  Acc fd, ref;
  auto iq = rows_idx(s.q_bs, s.ldq, s.Tq, c.qo);
  auto ik = rows_idx(s.k_bs, s.ldk, s.Tk, c.ko);
  auto iv = rows_idx(s.v_bs, s.ldv, s.Tk, c.vo);
  Vec& kb = c.kb();
  Vec& vb = c.vb();
  Vec& gkb = c.qkv_shared ? gq : gk;
  Vec& gvb = c.qkv_shared ? gq : c.kv_shared ? gk : gv;
  Vec& rkb = c.qkv_shared ? rq : rk;
  Vec& rvb = c.qkv_shared ? rq : c.kv_shared ? rk : rv;
  compare(fd, pick(gq, iq), numeric_grad(c.qbuf, iq, loss, 0.125f));
  compare(fd, pick(gkb, ik), numeric_grad(kb, ik, loss, 0.125f));
  compare(fd, pick(gvb, iv), numeric_grad(vb, iv, loss, 0.125f));
  auto cmp_ref = [&](const Vec& a, const Vec& b, const std::vector<size_t>& idx) {
    Vec pa, pb;
    for (size_t i : idx) pa.push_back(a[i]), pb.push_back(b[i]);
    compare_ref(ref, pa, pb);
  };
  cmp_ref(gq, rq, iq);
  cmp_ref(gkb, rkb, ik);
  cmp_ref(gvb, rvb, iv);
  CheckResult r = finish("attention_bwd", fd);
  set_ref(r, ref);
  return r;
}

// ---- cross-entropy ---------------------------------------------------------------------

CheckResult check_xent(uint64_t seed, bool inplace) {
  Rand R(seed, inplace ? "xent_inplace" : "xent");
  const int N = 7, V = 50, ignore = 0;
  const float eps = 0.1f, gs = 0.37f;
  Vec logits = R.vec((size_t)N * V, -3, 3);
  std::vector<int> t(N);
  for (int i = 0; i < N; ++i) t[i] = 1 + R.below(V - 1);
  t[2] = ignore;  // ignored: the pad id
  t[5] = -1;      // ignored: negative
  Vec losses(N), tlp(N);
  auto loss = [&] {
    xent_fwd_bwd_ref(logits.data(), t.data(), N, V, eps, ignore, 1.0f, losses.data(), nullptr,
                     nullptr);
    double s = 0;
    for (float l : losses) s += l;
    return gs * s;
  };
  Vec dl((size_t)N * V), rdl((size_t)N * V), rl(N), rt(N);
  xent_fwd_bwd(logits.data(), t.data(), N, V, eps, ignore, gs, losses.data(), tlp.data(), dl.data());
  Acc fd, ref;
  if (inplace) {
    // Same call with dlogits aliasing logits must give bitwise the same results.
    Vec buf = logits, l2(N), t2(N);
    xent_fwd_bwd(buf.data(), t.data(), N, V, eps, ignore, gs, l2.data(), t2.data(), buf.data());
    compare_bits(ref, buf, dl);
    compare_bits(ref, l2, losses);
    compare_bits(ref, t2, tlp);
    compare(fd, to_d(buf), numeric_grad(logits, loss, 0.25f));
  } else {
    xent_fwd_bwd_ref(logits.data(), t.data(), N, V, eps, ignore, gs, rl.data(), rt.data(), rdl.data());
    compare_ref(ref, dl, rdl);
    compare_ref(ref, losses, rl);
    compare_ref(ref, tlp, rt);
    compare(fd, to_d(dl), numeric_grad(logits, loss, 0.25f));
  }
  CheckResult r = finish(inplace ? "xent_fwd_bwd (dlogits aliasing logits)" : "xent_fwd_bwd", fd);
  set_ref(r, ref, inplace ? 0.0 : kRefTol);
  return r;
}

// ---- embedding -------------------------------------------------------------------------

CheckResult check_embedding(uint64_t seed) {
  Rand R(seed, "embedding");
  const int V = 5, d = 6, T = 4, N = 12, pos0 = 1, max_len = 8;
  const float scale = std::sqrt((float)d);
  Vec E = R.vec((size_t)V * d), w = R.vec((size_t)N * d), pe((size_t)max_len * d);
  sinusoidal_table(pe.data(), max_len, d);
  std::vector<int> ids(N);
  for (int i = 0; i < N; ++i) ids[i] = R.below(V - 1);  // id V-1 never used: its gradient is 0
  ids[3] = ids[0];  // repeated ids for sure
  ids[7] = ids[0];
  Vec out((size_t)N * d);
  auto loss = [&] {
    embed_fwd(out.data(), E.data(), ids.data(), N, T, pos0, d, scale, pe.data());
    return dot(w, out);
  };
  Vec dE0 = R.vec(E.size()), dE = dE0, rdE = dE0;
  embed_bwd(dE.data(), w.data(), ids.data(), N, d, scale);
  embed_bwd_ref(rdE.data(), w.data(), ids.data(), N, d, scale);
  DVec a(E.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = (double)dE[i] - dE0[i];
  Acc fd, ref;
  compare(fd, a, numeric_grad(E, loss));
  // The positions table itself against the formula, in double.
  for (int p = 0; p < max_len; ++p)
    for (int c2 = 0; c2 < d; ++c2) {
      double ang = p / std::pow(10000.0, (double)(c2 & ~1) / d);
      fd.add(pe[(size_t)p * d + c2], (c2 & 1) ? std::cos(ang) : std::sin(ang), 1.0);
    }
  compare_ref(ref, dE, rdE);
  CheckResult r = finish("embed_bwd", fd);
  set_ref(r, ref, 0.0);
  return r;
}

// ---- activations, bias, dropout --------------------------------------------------------

CheckResult check_act(uint64_t seed, Act a) {
  Rand R(seed, a == Act::ReLU ? "relu" : "gelu");
  const size_t n = 200;
  Vec x = R.vec(n, -3, 3), w = R.vec(n);
  if (a == Act::ReLU)  // keep the stencil off the kink
    for (auto& v : x)
      while (std::fabs(v) < 4 * kH) v = R.u(-3, 3);
  Vec y(n), dx(n), ry(n), rdx(n);
  auto loss = [&] {
    act_fwd_ref(a, y.data(), x.data(), n);
    return dot(w, y);
  };
  act_bwd(a, dx.data(), w.data(), x.data(), n);
  Acc fd;
  compare(fd, to_d(dx), numeric_grad(x, loss));
  // Against the scalar reference; in place (dx aliasing dy, y aliasing x) gives the same.
  Acc ref;
  act_bwd_ref(a, rdx.data(), w.data(), x.data(), n);
  compare_ref(ref, dx, rdx);
  Vec d2 = w;
  act_bwd(a, d2.data(), d2.data(), x.data(), n);
  compare_bits(ref, d2, dx);
  act_fwd(a, y.data(), x.data(), n);
  act_fwd_ref(a, ry.data(), x.data(), n);
  compare_ref(ref, y, ry);
  Vec y2 = x;
  act_fwd(a, y2.data(), y2.data(), n);
  compare_bits(ref, y2, y);
  CheckResult r = finish(a == Act::ReLU ? "act_bwd relu" : "act_bwd gelu (erf)", fd);
  set_ref(r, ref);
  return r;
}

CheckResult check_bias_grad(uint64_t seed) {
  Rand R(seed, "bias_grad");
  const int rows = 9, cols = 13;
  Vec y0 = R.vec((size_t)rows * cols), b = R.vec(cols), w = R.vec(y0.size()), y(y0.size());
  auto loss = [&] {
    y = y0;
    bias_add(y.data(), b.data(), rows, cols);
    return dot(w, y);
  };
  Vec db0 = R.vec(cols), db = db0;
  bias_grad(db.data(), w.data(), rows, cols);
  DVec a(cols);
  for (int c = 0; c < cols; ++c) a[c] = (double)db[c] - db0[c];
  Acc fd;
  compare(fd, a, numeric_grad(b, loss));
  return finish("bias_grad", fd);
}

CheckResult check_dropout(uint64_t seed) {
  Rand R(seed, "dropout");
  const size_t n = 1000;
  const float p = 0.3f;
  const uint64_t dseed = R.r.next_u32(), stream = R.r.next_u32();
  Vec x = R.vec(n), w = R.vec(n), y(n), dx(n);
  for (auto& v : x)
    if (v == 0) v = 0.5f;  // so that y != 0 reveals the mask
  auto loss = [&] {
    dropout_fwd(y.data(), x.data(), n, p, dseed, stream);
    return dot(w, y);
  };
  loss();
  Vec yk = y;
  dropout_bwd(dx.data(), w.data(), n, p, dseed, stream);
  Acc fd;
  compare(fd, to_d(dx), numeric_grad(x, loss));
  // Gradient equals mask / (1 - p), the mask being the one forward used.
  Acc mask;
  const float s = 1.0f / (1.0f - p);
  for (size_t i = 0; i < n; ++i) {
    float keep = yk[i] != 0 ? 1.0f : 0.0f;
    mask.add(dx[i], w[i] * keep * s, 1e-6);
    mask.add(yk[i], x[i] * keep * s, 1e-6);
  }
  CheckResult r = finish("dropout_fwd/dropout_bwd", fd);
  set_ref(r, mask, 1e-6);  // "reference" here: mask / (1 - p) applied by hand
  return r;
}

CheckResult check_dropout_rate(uint64_t seed) {
  Rand R(seed, "dropout_rate");
  const size_t n = 1 << 20;
  Vec x(n, 1.0f), y(n);
  CheckResult r;
  r.kernel = "dropout_fwd mask rate";
  std::ostringstream note;
  for (float p : {0.1f, 0.5f}) {
    dropout_fwd(y.data(), x.data(), n, p, R.r.next_u32(), R.r.next_u32());
    size_t dropped = 0;
    for (float v : y) dropped += v == 0;
    double rate = (double)dropped / n, sigma = std::sqrt(p * (1.0 - p) / n);
    // Relative error of the rate, judged against 6 standard deviations.
    r.max_rel = std::max(r.max_rel, std::fabs(rate - p) / p);
    r.max_abs = std::max(r.max_abs, std::fabs(rate - p));
    r.tolerance = std::max(r.tolerance, 6 * sigma / p);
    r.checked += (long)n;
    note << "p=" << p << " rate=" << rate << "; ";
  }
  r.tolerance = 6 * std::sqrt(0.1 * 0.9 / n) / 0.1;  // the stricter bound is p = 0.1's
  r.note = note.str();
  return r;
}

// ---- gemm ------------------------------------------------------------------------------

CheckResult check_gemm(uint64_t seed, bool ta, bool tb) {
  std::string name = std::string("gemm_") + (ta ? "t" : "n") + (tb ? "t" : "n");
  Rand R(seed, name);
  const int M = 5, N = 6, K = 7;
  // Stored shapes, with row strides wider than the rows.
  int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
  int lda = ac + 2, ldb = bc + 1, ldc = N + 3;
  Vec A = R.vec((size_t)ar * lda), B = R.vec((size_t)br * ldb), W((size_t)M * ldc, 0.0f),
      C((size_t)M * ldc);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) W[(size_t)i * ldc + j] = R.u(-1, 1);
  auto loss = [&] {
    gemm_ref(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), ldc);
    return dot(W, C);
  };
  // dop(A) = W op(B)^T [M,K]; stored dA = dop(A) or its transpose.
  // dop(B) = op(A)^T W [K,N]; stored dB likewise.
  auto grads = [&](decltype(&gemm_ref) g, Vec& dA, Vec& dB) {
    dA.assign(A.size(), 0.0f);
    dB.assign(B.size(), 0.0f);
    if (!ta) g(false, !tb, M, K, N, 1.0f, W.data(), ldc, B.data(), ldb, 0.0f, dA.data(), lda);
    else g(tb, true, K, M, N, 1.0f, B.data(), ldb, W.data(), ldc, 0.0f, dA.data(), lda);
    if (!tb) g(!ta, false, K, N, M, 1.0f, A.data(), lda, W.data(), ldc, 0.0f, dB.data(), ldb);
    else g(true, ta, N, K, M, 1.0f, W.data(), ldc, A.data(), lda, 0.0f, dB.data(), ldb);
  };
  Vec dA, dB, rA, rB;
  grads(&gemm, dA, dB);
  grads(&gemm_ref, rA, rB);
  auto idx = [](int rows, int cols, int ld) {
    std::vector<size_t> v;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) v.push_back((size_t)i * ld + j);
    return v;
  };
  auto iA = idx(ar, ac, lda), iB = idx(br, bc, ldb);
  DVec nA = numeric_grad(A, iA, loss), nB = numeric_grad(B, iB, loss);
  Acc fd, ref;
  compare(fd, pick(dA, iA), nA);
  compare(fd, pick(dB, iB), nB);
  compare(fd, pick(rA, iA), nA);
  compare(fd, pick(rB, iB), nB);
  compare_ref(ref, pick_f(dA, iA), pick_f(rA, iA));
  compare_ref(ref, pick_f(dB, iB), pick_f(rB, iB));
  CheckResult r = finish("gemm_ref and gemm (dA, dB)", fd);
  set_ref(r, ref);
  return r;
}


// ---- AdamW -----------------------------------------------------------------------------

CheckResult check_adamw(uint64_t seed) {
  Rand R(seed, "adamw");
  const size_t n = 257;
  const int steps = 10;
  CheckResult r;
  r.kernel = "adamw_update vs torch.optim.AdamW formula in double";
  Acc acc, ref;
  for (float wd : {0.1f, 0.0f}) {
    Vec p = R.vec(n), m(n, 0.0f), v(n, 0.0f), p0 = p, rp = p, rm = m, rv = v;
    DVec dp(p.begin(), p.end()), dm(n, 0.0), dv(n, 0.0);
    const float lr = 1e-2f, b1 = 0.9f, b2 = 0.98f, eps = 1e-9f;
    for (int t = 1; t <= steps; ++t) {
      Vec g = R.vec(n, -0.5f, 0.5f);
      if (t == 3) g[0] = 0;  // an exactly-zero gradient once
      AdamWHyper h{lr, b1, b2, eps, t};
      adamw_update(p.data(), g.data(), m.data(), v.data(), n, h, wd);
      adamw_update_ref(rp.data(), g.data(), rm.data(), rv.data(), n, h, wd);
      // torch: p.mul_(1 - lr*wd); m.lerp_(g, 1-b1); v.mul_(b2).addcmul_(g, g, 1-b2);
      // p.addcdiv_(m, sqrt(v)/sqrt(bc2) + eps, value=-lr/bc1), all in double here.
      double bc1 = 1 - std::pow((double)b1, t), bc2 = 1 - std::pow((double)b2, t);
      for (size_t i = 0; i < n; ++i) {
        dp[i] *= 1 - (double)lr * wd;
        dm[i] = (double)b1 * dm[i] + (1 - (double)b1) * g[i];
        dv[i] = (double)b2 * dv[i] + (1 - (double)b2) * g[i] * (double)g[i];
        dp[i] -= (lr / bc1) * dm[i] / (std::sqrt(dv[i]) / std::sqrt(bc2) + eps);
      }
      // Compare the total change of p (a wrong update is invisible against p itself), m, v.
      DVec a(n), b(n);
      for (size_t i = 0; i < n; ++i) a[i] = (double)p[i] - p0[i], b[i] = dp[i] - p0[i];
      compare(acc, a, b);
      compare(acc, to_d(m), dm);
      compare(acc, to_d(v), dv);
    }
    compare_bits(ref, p, rp);
    compare_bits(ref, m, rm);
    compare_bits(ref, v, rv);
  }
  r.max_rel = acc.max_rel;
  r.max_abs = acc.max_abs;
  r.checked = acc.n;
  r.tolerance = 1e-3;
  set_ref(r, ref, 0.0);
  return r;
}

// ---- optimized vs reference on the larger shapes ---------------------------------------

// Runs fn once per instruction set the CPU supports (generic, avx2, avx512 row kernels), so
// every variant is compared with the reference whatever the machine's default.
template <class F>
void for_each_isa(F&& fn) {
  struct Reset {
    ~Reset() { set_isa_override(-1); }
  } reset;
  for (int isa = 0; isa <= 2; ++isa) {
    if (isa > (int)active_isa()) break;
    set_isa_override(isa);
    fn();
  }
}

CheckResult vs_ref_result(const char* kernel, const Acc& a, double tol) {
  CheckResult r = finish(kernel, a, tol);
  set_ref(r, a, tol);
  return r;
}

CheckResult check_layernorm_vs_ref(uint64_t seed) {
  Rand R(seed, "layernorm_vs_ref");
  Acc a;
  for_each_isa([&] {
    const int rows = 512, cols = 256;
    const float eps = 1e-5f;
    Vec x = R.vec((size_t)rows * cols, -2, 3), g = R.vec(cols, 0.5f, 1.5f), b = R.vec(cols),
        dy = R.vec(x.size());
    Vec y(x.size()), mean(rows), rstd(rows), ry(x.size()), rmean(rows), rrstd(rows);
    layernorm_fwd(y.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), rows, cols, eps);
    layernorm_fwd_ref(ry.data(), rmean.data(), rrstd.data(), x.data(), g.data(), b.data(), rows,
                      cols, eps);
    compare_ref(a, y, ry);
    compare_ref(a, mean, rmean);
    compare_ref(a, rstd, rrstd);
    Vec dx = R.vec(x.size()), dg = R.vec(cols), db = R.vec(cols), rdx = dx, rdg = dg, rdb = db;
    layernorm_bwd(dx.data(), dg.data(), db.data(), dy.data(), x.data(), rmean.data(), rrstd.data(),
                  g.data(), rows, cols);
    layernorm_bwd_ref(rdx.data(), rdg.data(), rdb.data(), dy.data(), x.data(), rmean.data(),
                      rrstd.data(), g.data(), rows, cols);
    compare_ref(a, dx, rdx);
    compare_ref(a, dg, rdg);
    compare_ref(a, db, rdb);
  });
  return vs_ref_result("layernorm_fwd/bwd vs ref (512 x 256)", a, kRefTol);
}

void attn_vs_ref(Acc& a, AttnCase& c) {
  const AttnShape& s = c.s;
  const float* q = c.qbuf.data() + c.qo;
  const float* k = c.kb().data() + c.ko;
  const float* v = c.vb().data() + c.vo;
  size_t np = (size_t)s.B * s.H * s.Tq * s.Tk;
  Vec out(c.out_size, 0.0f), rout(c.out_size, 0.0f), P(np), rP(np);
  attention_fwd(s, q, k, v, c.k_len.data(), out.data(), P.data());
  attention_fwd_ref(s, q, k, v, c.k_len.data(), rout.data(), rP.data());
  compare_ref(a, out, rout);
  compare_ref(a, P, rP);
  auto bwd = [&](bool ref, Vec& gq, Vec& gk, Vec& gv) {
    gq.assign(c.qbuf.size(), 0.0f);
    gk.assign(c.kbuf.size(), 0.0f);
    gv.assign(c.vbuf.size(), 0.0f);
    float* dq = gq.data() + c.qo;
    float* dk = (c.qkv_shared ? gq : gk).data() + c.ko;
    float* dv = (c.qkv_shared ? gq : c.kv_shared ? gk : gv).data() + c.vo;
    (ref ? attention_bwd_ref : attention_bwd)(s, q, k, v, c.k_len.data(), rP.data(), c.w.data(),
                                              dq, dk, dv);
  };
  Vec gq, gk, gv, rq, rk, rv;
  bwd(false, gq, gk, gv);
  bwd(true, rq, rk, rv);
  compare_ref(a, gq, rq);
  compare_ref(a, gk, rk);
  compare_ref(a, gv, rv);
}

CheckResult check_attention_vs_ref(uint64_t seed) {
  Rand R(seed, "attention_vs_ref");
  Acc a;
  for_each_isa([&] {
    {  // the reference workload's decoder self-attention: T = 32, 4 heads of 64
      AttnCase c = make_attn(R, "fused_self", 4, 4, 32, 32, 64, true, {32, 17, 1, 30});
      attn_vs_ref(a, c);
    }
    {  // encoder self-attention, longer, padded
      AttnCase c = make_attn(R, "fused_self", 2, 4, 67, 67, 64, false, {67, 40});
      attn_vs_ref(a, c);
    }
    {  // cross-attention, Tq != Tk, one sentence with no visible key (outputs 0)
      AttnCase c = make_attn(R, "cross", 3, 2, 21, 35, 32, false, {35, 0, 9});
      attn_vs_ref(a, c);
    }
    {  // incremental decoding against a cache
      AttnCase c = make_attn(R, "cache", 3, 4, 1, 19, 16, true, {19, 19, 12}, 40);
      attn_vs_ref(a, c);
    }
  });
  return vs_ref_result("attention_fwd/bwd vs ref (self T=32,67; cross; cached)", a, kRefTol);
}

CheckResult check_xent_vs_ref(uint64_t seed) {
  Rand R(seed, "xent_vs_ref");
  Acc a;
  for_each_isa([&] {
    const int N = 64, V = 8000, ignore = 0;
    const float eps = 0.1f, gs = 1.0f / 60;
    Vec logits = R.vec((size_t)N * V, -4, 4);
    std::vector<int> t(N);
    for (int i = 0; i < N; ++i) t[i] = 1 + R.below(V - 1);
    t[3] = ignore;
    t[40] = ignore;
    for (int v = 0; v < V; ++v) logits[(size_t)7 * V + v] *= 10;  // a peaked row
    Vec l(N), tl(N), d((size_t)N * V), rl(N), rtl(N), rd((size_t)N * V);
    xent_fwd_bwd(logits.data(), t.data(), N, V, eps, ignore, gs, l.data(), tl.data(), d.data());
    xent_fwd_bwd_ref(logits.data(), t.data(), N, V, eps, ignore, gs, rl.data(), rtl.data(), rd.data());
    compare_ref(a, l, rl);
    compare_ref(a, tl, rtl);
    compare_ref(a, d, rd);
    // log_softmax_rows against the same math in double.
    Vec ls((size_t)N * V), rls((size_t)N * V);
    log_softmax_rows(ls.data(), logits.data(), N, V);
    for (int i = 0; i < N; ++i) {
      const float* x = logits.data() + (size_t)i * V;
      double mx = -INFINITY, se = 0;
      for (int v = 0; v < V; ++v) mx = std::max(mx, (double)x[v]);
      for (int v = 0; v < V; ++v) se += std::exp(x[v] - mx);
      for (int v = 0; v < V; ++v) rls[(size_t)i * V + v] = (float)(x[v] - mx - std::log(se));
    }
    compare_ref(a, ls, rls);
  });
  return vs_ref_result("xent_fwd_bwd and log_softmax_rows vs ref (64 x 8000)", a, kRefTol);
}

CheckResult check_activation_vs_ref(uint64_t seed) {
  Rand R(seed, "activation_vs_ref");
  Acc a;
  for_each_isa([&] {
    const size_t n = 100003;
    Vec x = R.vec(n, -6, 6), dy = R.vec(n), y(n), ry(n), dx(n), rdx(n);
    x[0] = 0;
    x[1] = -10;
    x[2] = 10;
    for (Act act : {Act::ReLU, Act::GELU}) {
      act_fwd(act, y.data(), x.data(), n);
      act_fwd_ref(act, ry.data(), x.data(), n);
      act_bwd(act, dx.data(), dy.data(), x.data(), n);
      act_bwd_ref(act, rdx.data(), dy.data(), x.data(), n);
      if (act == Act::ReLU) {
        compare_bits(a, y, ry);
        compare_bits(a, dx, rdx);
      } else {
        compare_ref(a, y, ry);
        compare_ref(a, dx, rdx);
      }
    }
  });
  return vs_ref_result("act_fwd/act_bwd (vectorized erf GELU, ReLU) vs scalar ref", a, kRefTol);
}

// Dropout masks must be exactly rg::uniform_at's numbers (the CUDA backend draws the same), for
// every ISA, any length, any starting element, and across the 2^32 wrap of the counter's low word.
CheckResult check_dropout_vs_ref(uint64_t seed) {
  Rand R(seed, "dropout_vs_ref");
  Acc a;
  auto ref = [](float* y, const float* x, size_t n, uint64_t first, float p, uint64_t sd, uint64_t st) {
    const float s = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    for (size_t i = 0; i < n; ++i)
      y[i] = p <= 0.0f ? x[i] : uniform_at(sd, st, first + i) >= p ? x[i] * s : 0.0f;
  };
  for_each_isa([&] {
    const size_t n = 100003;
    Vec x = R.vec(n), y(n), want(n), dy = R.vec(n), dx(n), dwant(n);
    for (float p : {0.0f, 0.1f, 0.5f, 0.9f, 1.0f}) {
      uint64_t sd = ((uint64_t)R.r.next_u32() << 32) | R.r.next_u32();
      uint64_t st = ((uint64_t)R.r.next_u32() << 32) | R.r.next_u32();
      dropout_fwd(y.data(), x.data(), n, p, sd, st);
      ref(want.data(), x.data(), n, 0, p, sd, st);
      compare_bits(a, y, want);
      dropout_bwd(dx.data(), dy.data(), n, p, sd, st);
      ref(dwant.data(), dy.data(), n, 0, p, sd, st);
      compare_bits(a, dx, dwant);
      // In place.
      Vec z = x;
      dropout_fwd(z.data(), z.data(), n, p, sd, st);
      compare_bits(a, z, want);
    }
    // The row kernel at arbitrary starting elements, around the counter's 2^32 wrap.
    const IsaKernels& K = isa_kernels();
    for (uint64_t first : {(uint64_t)1, (uint64_t)6, ((uint64_t)1 << 34) - 200, ((uint64_t)1 << 34) - 61,
                           ((uint64_t)5 << 34) + 3}) {
      const size_t m = 517;
      Vec yy(m), ww(m);
      K.dropout(yy.data(), x.data(), (long)m, first, 0.3f, 1.0f / 0.7f, 99, 12345);
      ref(ww.data(), x.data(), m, first, 0.3f, 99, 12345);
      compare_bits(a, yy, ww);
    }
  });
  return vs_ref_result("dropout_fwd/bwd masks vs rg::uniform_at (bitwise, every ISA)", a, 0.0);
}

CheckResult check_embedding_vs_ref(uint64_t seed) {
  Rand R(seed, "embedding_vs_ref");
  const int N = 1024, d = 256, V = 300, T = 32;
  std::vector<int> ids(N);
  for (int i = 0; i < N; ++i) ids[i] = R.below(i % 5 == 0 ? 3 : V);  // many repeats
  Vec dout = R.vec((size_t)N * d), dE = R.vec((size_t)V * d), rdE = dE;
  const float scale = 16.0f;
  embed_bwd(dE.data(), dout.data(), ids.data(), N, d, scale);
  embed_bwd_ref(rdE.data(), dout.data(), ids.data(), N, d, scale);
  Acc a;
  compare_bits(a, dE, rdE);
  // embed_fwd against its definition.
  Vec E = R.vec((size_t)V * d), pe((size_t)64 * d), out((size_t)N * d);
  sinusoidal_table(pe.data(), 64, d);
  embed_fwd(out.data(), E.data(), ids.data(), N, T, 3, d, scale, pe.data());
  Vec want((size_t)N * d);
  for (int i = 0; i < N; ++i)
    for (int c = 0; c < d; ++c)
      want[(size_t)i * d + c] = scale * E[(size_t)ids[i] * d + c] + pe[(size_t)(3 + i % T) * d + c];
  compare_bits(a, out, want);
  return vs_ref_result("embed_bwd and embed_fwd vs ref (bitwise)", a, 0.0);
}

CheckResult check_adamw_vs_ref(uint64_t seed) {
  Rand R(seed, "adamw_vs_ref");
  const size_t n = 100003;
  Vec p = R.vec(n), g = R.vec(n), m = R.vec(n, -0.1f, 0.1f), v = R.vec(n, 0, 0.01f);
  Vec rp = p, rm = m, rv = v;
  Acc a;
  for (int t = 1; t <= 3; ++t) {
    AdamWHyper h{3e-4f, 0.9f, 0.98f, 1e-9f, t};
    adamw_update(p.data(), g.data(), m.data(), v.data(), n, h, 0.01f);
    adamw_update_ref(rp.data(), g.data(), rm.data(), rv.data(), n, h, 0.01f);
  }
  compare_bits(a, p, rp);
  compare_bits(a, m, rm);
  compare_bits(a, v, rv);
  // scale_inplace by its definition.
  Vec sc = g;
  scale_inplace(sc.data(), n, 0.37f);
  Vec want(n);
  for (size_t i = 0; i < n; ++i) want[i] = g[i] * 0.37f;
  compare_bits(a, sc, want);
  return vs_ref_result("adamw_update vs ref (bitwise, 3 steps), scale_inplace", a, 0.0);
}

CheckResult check_sum_squares(uint64_t seed) {
  Rand R(seed, "sum_squares");
  Acc a;
  for (size_t n : {(size_t)0, (size_t)1, (size_t)1000, (size_t)100003, (size_t)1234567}) {
    Vec x = R.vec(n, -3, 3);
    double got = sum_squares(x.data(), n);
    long double want = 0;  // extended precision, one element at a time
    for (float v : x) want += (long double)v * v;
    a.add(got, (double)want, 1e-300);
  }
  return vs_ref_result("sum_squares (chunked double) vs long double loop", a, 1e-12);
}

// ---- determinism: bitwise identical results for 1, 2 and 3 threads --------------------

std::vector<Vec> run_all_optimized(uint64_t seed, bool with_gemm) {
  Rand R(seed, "determinism");
  std::vector<Vec> outs;
  if (with_gemm) {
    const int M = 67, N = 93, K = 130;
    Vec A = R.vec((size_t)M * K), B = R.vec((size_t)K * N), C((size_t)M * N);
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        gemm(ta, tb, M, N, K, 1.0f, A.data(), ta ? M : K, B.data(), tb ? K : N, 0.0f, C.data(), N);
        outs.push_back(C);
      }
    return outs;
  }
  {  // layer norm
    const int rows = 333, cols = 256;
    Vec x = R.vec((size_t)rows * cols, -2, 3), g = R.vec(cols), b = R.vec(cols), dy = R.vec(x.size());
    Vec y(x.size()), mean(rows), rstd(rows), dx(x.size(), 0.5f), dg(cols, 0.25f), db(cols, 0.0f);
    layernorm_fwd(y.data(), mean.data(), rstd.data(), x.data(), g.data(), b.data(), rows, cols, 1e-5f);
    layernorm_bwd(dx.data(), dg.data(), db.data(), dy.data(), x.data(), mean.data(), rstd.data(),
                  g.data(), rows, cols);
    for (Vec* o : {&y, &mean, &rstd, &dx, &dg, &db}) outs.push_back(*o);
  }
  {  // attention
    AttnCase c = make_attn(R, "fused_self", 3, 4, 29, 29, 16, true, {29, 11, 20});
    const AttnShape& s = c.s;
    const float* q = c.qbuf.data();
    Vec out(c.out_size, 0.0f), P((size_t)s.B * s.H * s.Tq * s.Tk), gq(c.qbuf.size(), 0.0f);
    attention_fwd(s, q, q + c.ko, q + c.vo, c.k_len.data(), out.data(), P.data());
    attention_bwd(s, q, q + c.ko, q + c.vo, c.k_len.data(), P.data(), c.w.data(), gq.data(),
                  gq.data() + c.ko, gq.data() + c.vo);
    for (Vec* o : {&out, &P, &gq}) outs.push_back(*o);
  }
  {  // cross-entropy
    const int N = 45, V = 3001;
    Vec logits = R.vec((size_t)N * V, -4, 4), l(N), tl(N), d((size_t)N * V), ls((size_t)N * V);
    std::vector<int> t(N);
    for (int i = 0; i < N; ++i) t[i] = R.below(V);
    xent_fwd_bwd(logits.data(), t.data(), N, V, 0.1f, 0, 0.01f, l.data(), tl.data(), d.data());
    log_softmax_rows(ls.data(), logits.data(), N, V);
    for (Vec* o : {&l, &tl, &d, &ls}) outs.push_back(*o);
  }
  {  // embedding
    const int N = 700, d = 96, V = 50;
    std::vector<int> ids(N);
    for (int i = 0; i < N; ++i) ids[i] = R.below(V);
    Vec dout = R.vec((size_t)N * d), dE((size_t)V * d, 0.125f), E = R.vec((size_t)V * d),
        pe((size_t)40 * d), out((size_t)N * d);
    sinusoidal_table(pe.data(), 40, d);
    embed_fwd(out.data(), E.data(), ids.data(), N, 35, 0, d, 9.8f, pe.data());
    embed_bwd(dE.data(), dout.data(), ids.data(), N, d, 9.8f);
    for (Vec* o : {&pe, &out, &dE}) outs.push_back(*o);
  }
  {  // element-wise, bias, dropout, optimizer
    const int rows = 1031, cols = 40;
    const size_t n = (size_t)rows * cols;
    Vec x = R.vec(n, -3, 3), dy = R.vec(n), b = R.vec(cols), y(n), dx(n), db(cols, 1.0f);
    for (Act a : {Act::ReLU, Act::GELU}) {
      act_fwd(a, y.data(), x.data(), n);
      act_bwd(a, dx.data(), dy.data(), x.data(), n);
      outs.push_back(y);
      outs.push_back(dx);
    }
    y = x;
    bias_add(y.data(), b.data(), rows, cols);
    bias_grad(db.data(), dy.data(), rows, cols);
    add_inplace(y.data(), dy.data(), n);
    outs.push_back(y);
    outs.push_back(db);
    dropout_fwd(y.data(), x.data(), n, 0.1f, 7, 11);
    dropout_bwd(dx.data(), dy.data(), n, 0.1f, 7, 11);
    outs.push_back(y);
    outs.push_back(dx);
    Vec p = x, m(n, 0.0f), v(n, 0.0f);
    adamw_update(p.data(), dy.data(), m.data(), v.data(), n, AdamWHyper{1e-3f, 0.9f, 0.98f, 1e-9f, 1}, 0.01f);
    outs.push_back(p);
    double ss = sum_squares(x.data(), n);
    Vec ssv(2);
    std::memcpy(ssv.data(), &ss, sizeof ss);
    outs.push_back(ssv);
    scale_inplace(p.data(), n, 0.3f);
    outs.push_back(p);
  }
  return outs;
}

CheckResult check_determinism(uint64_t seed, bool with_gemm) {
  const int saved = num_threads();
  struct Restore {
    int n;
    ~Restore() { set_num_threads(n); }
  } restore{saved};
  Acc a;
  for_each_isa([&] {
    std::vector<std::vector<Vec>> runs;
    for (int t : {1, 2, 3}) {
      set_num_threads(t);
      runs.push_back(run_all_optimized(seed, with_gemm));
    }
    for (size_t r = 1; r < runs.size(); ++r)
      for (size_t i = 0; i < runs[0].size(); ++i) compare_bits(a, runs[r][i], runs[0][i]);
  });
  return finish(with_gemm ? "gemm with 1, 2, 3 threads (bitwise)"
                          : "all optimized non-GEMM kernels, every ISA, 1, 2, 3 threads (bitwise)",
                a, 0.0);
}

// ---- registry --------------------------------------------------------------------------

using CheckFn = std::function<CheckResult(uint64_t)>;

const std::vector<std::pair<std::string, CheckFn>>& registry() {
  static const std::vector<std::pair<std::string, CheckFn>> r = {
      {"layernorm", [](uint64_t s) { return check_layernorm(s, false); }},
      {"attention_self_causal", [](uint64_t s) { return check_attention(s, "attention_self_causal"); }},
      {"attention_self_padding", [](uint64_t s) { return check_attention(s, "attention_self_padding"); }},
      {"attention_cross", [](uint64_t s) { return check_attention(s, "attention_cross"); }},
      {"attention_incremental", [](uint64_t s) { return check_attention(s, "attention_incremental"); }},
      {"xent", [](uint64_t s) { return check_xent(s, false); }},
      {"xent_inplace", [](uint64_t s) { return check_xent(s, true); }},
      {"embedding", check_embedding},
      {"relu", [](uint64_t s) { return check_act(s, Act::ReLU); }},
      {"gelu", [](uint64_t s) { return check_act(s, Act::GELU); }},
      {"bias_grad", check_bias_grad},
      {"dropout", check_dropout},
      {"dropout_rate", check_dropout_rate},
      {"gemm_nn", [](uint64_t s) { return check_gemm(s, false, false); }},
      {"gemm_nt", [](uint64_t s) { return check_gemm(s, false, true); }},
      {"gemm_tn", [](uint64_t s) { return check_gemm(s, true, false); }},
      {"gemm_tt", [](uint64_t s) { return check_gemm(s, true, true); }},
      {"adamw", check_adamw},
      {"layernorm_vs_ref", check_layernorm_vs_ref},
      {"attention_vs_ref", check_attention_vs_ref},
      {"xent_vs_ref", check_xent_vs_ref},
      {"activation_vs_ref", check_activation_vs_ref},
      {"dropout_vs_ref", check_dropout_vs_ref},
      {"embedding_vs_ref", check_embedding_vs_ref},
      {"adamw_vs_ref", check_adamw_vs_ref},
      {"sum_squares", check_sum_squares},
      {"determinism", [](uint64_t s) { return check_determinism(s, false); }},
      {"determinism_gemm", [](uint64_t s) { return check_determinism(s, true); }},
      // Negative control: its analytic gradient is 1% off, so it must FAIL its tolerance.
      {"selftest_wrong_grad", [](uint64_t s) { return check_layernorm(s, true); }},
  };
  return r;
}

}  // namespace

std::vector<std::string> gradcheck_names() {
  std::vector<std::string> n;
  for (auto& e : registry()) n.push_back(e.first);
  return n;
}

bool gradcheck_exists(const std::string& name) {
  for (auto& e : registry())
    if (e.first == name) return true;
  return false;
}

CheckResult run_gradcheck(const std::string& name, uint64_t seed) {
  for (auto& e : registry())
    if (e.first == name) return e.second(seed);
  std::string valid;
  for (auto& e : registry()) valid += (valid.empty() ? "" : ", ") + e.first;
  fail("EINVAL", "unknown gradcheck '" + name + "'; valid names: " + valid);
}

}  // namespace rg::testing
