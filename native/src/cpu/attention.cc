// Attention, optimized: one task per (batch, head) over the thread pool; each task runs the
// ISA's row kernels (rowkernels.inc): dot products over dh, a vectorized exp for the softmax
// over the visible prefix of keys, and axpy updates of out / dq / dk / dv rows, so the head's
// K and V blocks stay in L1. Every output element is written by exactly one task in a fixed
// order: results do not depend on the thread count.
#include <vector>

#include "common/threadpool.h"
#include "cpu/attention.h"
#include "cpu/simd_isa.h"

namespace rg::cpu {

// Task t = (batch b, head h): shape, visible keys, and q/k/v offset to that head.
static AttnHead head_of(const AttnShape& s, const int* k_len, size_t t, const float* q,
                        const float* k, const float* v) {
  const int b = (int)(t / s.H);
  const long hc = (long)(t % s.H) * s.dh;
  AttnHead a{};
  a.q = q + b * s.q_bs + hc;
  a.k = k + b * s.k_bs + hc;
  a.v = v + b * s.v_bs + hc;
  a.ldq = s.ldq;
  a.ldk = s.ldk;
  a.ldv = s.ldv;
  a.ldo = s.ldo;
  a.Tq = s.Tq;
  a.Tk = s.Tk;
  a.dh = s.dh;
  int kl = k_len ? k_len[b] : s.Tk;
  a.klen = kl < 0 ? 0 : kl > s.Tk ? s.Tk : kl;
  a.causal = s.causal ? 1 : 0;
  a.scale = s.scale;
  return a;
}

void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, float* out, float* probs) {
  if (s.B <= 0 || s.H <= 0 || s.Tq <= 0) return;
  const IsaKernels& K = isa_kernels();
  rg::parallel_for((size_t)s.B * s.H, [&](size_t t0, size_t t1) {
    std::vector<float> scratch((size_t)(s.Tk > 0 ? s.Tk : 1));
    for (size_t t = t0; t < t1; ++t) {
      const long b = (long)(t / s.H), hc = (long)(t % s.H) * s.dh;
      AttnHead a = head_of(s, k_len, t, q, k, v);
      a.out = out + b * s.o_bs + hc;
      a.probs_out = probs ? probs + (long)t * s.Tq * s.Tk : nullptr;
      a.scratch = scratch.data();
      K.attn_fwd_head(a);
    }
  });
}

void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, const float* probs, const float* dout, float* dq, float* dk,
                   float* dv) {
  if (s.B <= 0 || s.H <= 0) return;
  const IsaKernels& K = isa_kernels();
  rg::parallel_for((size_t)s.B * s.H, [&](size_t t0, size_t t1) {
    std::vector<float> scratch((size_t)(s.Tk > 0 ? s.Tk : 1));
    for (size_t t = t0; t < t1; ++t) {
      const long b = (long)(t / s.H), hc = (long)(t % s.H) * s.dh;
      AttnHead a = head_of(s, k_len, t, q, k, v);
      a.dout = dout + b * s.o_bs + hc;
      a.probs = probs + (long)t * s.Tq * s.Tk;
      a.dq = dq + b * s.q_bs + hc;
      a.dk = dk + b * s.k_bs + hc;
      a.dv = dv + b * s.v_bs + hc;
      a.scratch = scratch.data();
      K.attn_bwd_head(a);
    }
  });
}

}  // namespace rg::cpu
