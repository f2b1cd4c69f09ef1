// Baseline row kernels (any x86-64 or other CPU): scalar primitives, see rowkernels.inc.
#include <cmath>

#include "common/rng.h"
#include "cpu/simd_isa.h"

namespace rg::cpu::generic {

static inline float P_max(const float* x, long n) {
  float m = -INFINITY;
  for (long i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}
static inline float P_sum(const float* x, long n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) s[l] += x[i + l];
  float t = 0;
  for (; i < n; ++i) t += x[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + t;
}
static inline void P_max_sum(const float* x, long n, float* mx, float* sum) {
  *mx = P_max(x, n);
  *sum = P_sum(x, n);
}
static inline float P_sum_exp(const float* x, long n, float shift) {
  float s = 0;
  for (long i = 0; i < n; ++i) s += std::exp(x[i] - shift);
  return s;
}
static inline float P_exp_store(float* y, const float* x, long n, float shift) {
  float s = 0;
  for (long i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - shift);
    s += y[i];
  }
  return s;
}
static inline void P_exp_affine(float* y, const float* x, long n, float shift, float a, float b) {
  for (long i = 0; i < n; ++i) y[i] = a * std::exp(x[i] - shift) + b;
}
static inline float P_dot(const float* a, const float* b, long n) {
  float s[4] = {0, 0, 0, 0};
  long i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += a[i + l] * b[i + l];
  float t = 0;
  for (; i < n; ++i) t += a[i] * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]) + t;
}
static inline void P_axpy(float* y, float a, const float* x, long n) {
  for (long i = 0; i < n; ++i) y[i] += a * x[i];
}
static inline float P_sum_sq_dev(const float* x, long n, float mean) {
  float s = 0;
  for (long i = 0; i < n; ++i) s += (x[i] - mean) * (x[i] - mean);
  return s;
}
static inline void P_ln_bwd_sums(const float* dy, const float* g, const float* x, float mean,
                                 long n, float* a, float* b) {
  float sa = 0, sb = 0;
  for (long i = 0; i < n; ++i) {
    float t = dy[i] * g[i];
    sa += t;
    sb += t * (x[i] - mean);
  }
  *a = sa;
  *b = sb;
}
static inline float P_log(float x) { return std::log(x); }
static inline float P_sqrt(float x) { return std::sqrt(x); }
// Same expressions as act_fwd_ref / act_bwd_ref (std::erf).
static void P_gelu_fwd(float* y, const float* x, long n) {
  for (long i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
}
static void P_gelu_bwd(float* dx, const float* dy, const float* x, long n) {
  for (long i = 0; i < n; ++i) {
    float xi = x[i];
    float cdf = 0.5f * (1.0f + std::erf(xi * 0.70710678118654752f));
    float pdf = 0.39894228040143268f * std::exp(-0.5f * xi * xi);
    dx[i] = dy[i] * (cdf + xi * pdf);
  }
}

static void P_dropout(float* y, const float* x, long n, uint64_t first, float p, float s,
                      uint64_t seed, uint64_t stream) {
  long i = 0;
  for (; i < n && ((first + i) & 3); ++i) y[i] = uniform_at(seed, stream, first + i) >= p ? x[i] * s : 0.0f;
  for (; i + 4 <= n; i += 4) {
    U32x4 r = philox4x32(seed, stream, (first + i) >> 2);
    for (int l = 0; l < 4; ++l) y[i + l] = u32_to_unit(r.v[l]) >= p ? x[i + l] * s : 0.0f;
  }
  for (; i < n; ++i) y[i] = uniform_at(seed, stream, first + i) >= p ? x[i] * s : 0.0f;
}

#define RG_ISA_NAME "generic"
#include "cpu/rowkernels.inc"

}  // namespace rg::cpu::generic
