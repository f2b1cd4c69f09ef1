// Naive multi-head attention (double accumulation), the reference for tests.
#include <cmath>
#include <vector>

#include "cpu/attention.h"

namespace rg::cpu {

static inline bool visible(const AttnShape& s, const int* k_len, int b, int i, int j) {
  if (k_len && j >= k_len[b]) return false;
  if (s.causal && j > i + (s.Tk - s.Tq)) return false;
  return true;
}

void attention_fwd_ref(const AttnShape& s, const float* q, const float* k, const float* v,
                       const int* k_len, float* out, float* probs) {
  std::vector<double> sc(s.Tk);
  for (int b = 0; b < s.B; ++b)
    for (int h = 0; h < s.H; ++h)
      for (int i = 0; i < s.Tq; ++i) {
        const float* qi = q + b * s.q_bs + i * s.ldq + h * s.dh;
        double mx = -INFINITY;
        for (int j = 0; j < s.Tk; ++j) {
          if (!visible(s, k_len, b, i, j)) continue;
          const float* kj = k + b * s.k_bs + j * s.ldk + h * s.dh;
          double d = 0;
          for (int c = 0; c < s.dh; ++c) d += (double)qi[c] * kj[c];
          sc[j] = d * s.scale;
          if (sc[j] > mx) mx = sc[j];
        }
        double sum = 0;
        for (int j = 0; j < s.Tk; ++j) {
          if (visible(s, k_len, b, i, j)) {
            sc[j] = std::exp(sc[j] - mx);
            sum += sc[j];
          } else {
            sc[j] = 0;
          }
        }
        for (int j = 0; j < s.Tk; ++j) sc[j] = sum > 0 ? sc[j] / sum : 0.0;
        if (probs) {
          float* pr = probs + (((long)b * s.H + h) * s.Tq + i) * s.Tk;
          for (int j = 0; j < s.Tk; ++j) pr[j] = (float)sc[j];
        }
        float* oi = out + b * s.o_bs + i * s.ldo + h * s.dh;
        for (int c = 0; c < s.dh; ++c) {
          double acc = 0;
          for (int j = 0; j < s.Tk; ++j)
            if (sc[j] != 0) acc += sc[j] * v[b * s.v_bs + j * s.ldv + h * s.dh + c];
          oi[c] = (float)acc;
        }
      }
}

void attention_bwd_ref(const AttnShape& s, const float* q, const float* k, const float* v,
                       const int* k_len, const float* probs, const float* dout, float* dq,
                       float* dk, float* dv) {
  const int Tq = s.Tq, Tk = s.Tk, dh = s.dh;
  std::vector<double> dqa((size_t)Tq * dh), dka((size_t)Tk * dh), dva((size_t)Tk * dh),
      ds((size_t)Tq * Tk);
  for (int b = 0; b < s.B; ++b)
    for (int h = 0; h < s.H; ++h) {
      const float* P = probs + ((long)b * s.H + h) * Tq * Tk;
      auto Q = [&](int i, int c) { return (double)q[b * s.q_bs + i * s.ldq + h * dh + c]; };
      auto K = [&](int j, int c) { return (double)k[b * s.k_bs + j * s.ldk + h * dh + c]; };
      auto V = [&](int j, int c) { return (double)v[b * s.v_bs + j * s.ldv + h * dh + c]; };
      auto DO = [&](int i, int c) { return (double)dout[b * s.o_bs + i * s.ldo + h * dh + c]; };
      // dP = dout V^T; dS = P * (dP - rowsum(P * dP)).
      for (int i = 0; i < Tq; ++i) {
        double dot = 0;
        std::vector<double> dp(Tk);
        for (int j = 0; j < Tk; ++j) {
          double d = 0;
          for (int c = 0; c < dh; ++c) d += DO(i, c) * V(j, c);
          dp[j] = d;
          dot += (double)P[(long)i * Tk + j] * d;
        }
        for (int j = 0; j < Tk; ++j) ds[(size_t)i * Tk + j] = P[(long)i * Tk + j] * (dp[j] - dot);
      }
      for (int i = 0; i < Tq; ++i)
        for (int c = 0; c < dh; ++c) {
          double a = 0;
          for (int j = 0; j < Tk; ++j) a += ds[(size_t)i * Tk + j] * K(j, c);
          dqa[(size_t)i * dh + c] = a * s.scale;
        }
      for (int j = 0; j < Tk; ++j)
        for (int c = 0; c < dh; ++c) {
          double a = 0, bv = 0;
          for (int i = 0; i < Tq; ++i) {
            a += ds[(size_t)i * Tk + j] * Q(i, c);
            bv += (double)P[(long)i * Tk + j] * DO(i, c);
          }
          dka[(size_t)j * dh + c] = a * s.scale;
          dva[(size_t)j * dh + c] = bv;
        }
      for (int i = 0; i < Tq; ++i)
        for (int c = 0; c < dh; ++c) dq[b * s.q_bs + i * s.ldq + h * dh + c] = (float)dqa[(size_t)i * dh + c];
      for (int j = 0; j < Tk; ++j)
        for (int c = 0; c < dh; ++c) {
          dk[b * s.k_bs + j * s.ldk + h * dh + c] = (float)dka[(size_t)j * dh + c];
          dv[b * s.v_bs + j * s.ldv + h * dh + c] = (float)dva[(size_t)j * dh + c];
        }
    }
  (void)k_len;
}

}  // namespace rg::cpu
