// AVX-512 row kernels: 16-wide primitives with masked tails, see rowkernels.inc.
// Includes only <immintrin.h>, <cmath> and plain headers of ours (no STL, no shared inline code).
// GCC 12 warns inside its own _mm512_reduce_*_ps (an intentionally undefined operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "cpu/simd_isa.h"

namespace rg::cpu::avx512 {

// exp(x) for x <= 88 (Cephes polynomial, about 1 ulp); inputs below -87.3 give ~1e-38.
static inline __m512 exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3365f)), _mm512_set1_ps(88.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

static inline __mmask16 tail(long r) { return (__mmask16)((1u << r) - 1u); }

static inline float P_max(const float* x, long n) {
  __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
    m1 = _mm512_max_ps(m1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) m0 = _mm512_max_ps(m0, _mm512_loadu_ps(x + i));
  if (i < n) {
    __mmask16 k = tail(n - i);
    m1 = _mm512_mask_max_ps(m1, k, m1, _mm512_maskz_loadu_ps(k, x + i));
  }
  return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}
static inline void P_max_sum(const float* x, long n, float* mx, float* sum) {
  __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0, s0 = _mm512_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    m0 = _mm512_max_ps(m0, a);
    m1 = _mm512_max_ps(m1, b);
    s0 = _mm512_add_ps(s0, a);
    s1 = _mm512_add_ps(s1, b);
  }
  for (; i + 16 <= n; i += 16) {
    __m512 a = _mm512_loadu_ps(x + i);
    m0 = _mm512_max_ps(m0, a);
    s0 = _mm512_add_ps(s0, a);
  }
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 a = _mm512_maskz_loadu_ps(k, x + i);
    m1 = _mm512_mask_max_ps(m1, k, m1, a);
    s1 = _mm512_add_ps(s1, a);
  }
  *mx = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
  *sum = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
static inline float P_sum(const float* x, long n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
  if (i < n) s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps(tail(n - i), x + i));
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
static inline float P_sum_exp(const float* x, long n, float shift) {
  const __m512 sh = _mm512_set1_ps(shift);
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_add_ps(s0, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh)));
    s1 = _mm512_add_ps(s1, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), sh)));
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_add_ps(s0, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh)));
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), sh));
    s1 = _mm512_mask_add_ps(s1, k, s1, e);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
static inline float P_exp_store(float* y, const float* x, long n, float shift) {
  const __m512 sh = _mm512_set1_ps(shift);
  __m512 s0 = _mm512_setzero_ps();
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh));
    _mm512_storeu_ps(y + i, e);
    s0 = _mm512_add_ps(s0, e);
  }
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), sh));
    _mm512_mask_storeu_ps(y + i, k, e);
    s0 = _mm512_mask_add_ps(s0, k, s0, e);
  }
  return _mm512_reduce_add_ps(s0);
}
static inline void P_exp_affine(float* y, const float* x, long n, float shift, float a, float b) {
  const __m512 sh = _mm512_set1_ps(shift), va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  long i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh)), vb));
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), sh));
    _mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(va, e, vb));
  }
}
static inline float P_dot(const float* a, const float* b, long n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  if (i < n) {
    __mmask16 k = tail(n - i);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), s1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
static inline void P_axpy(float* y, float a, const float* x, long n) {
  const __m512 va = _mm512_set1_ps(a);
  long i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  if (i < n) {
    __mmask16 k = tail(n - i);
    _mm512_mask_storeu_ps(y + i, k, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(k, x + i),
                                                     _mm512_maskz_loadu_ps(k, y + i)));
  }
}
static inline float P_sum_sq_dev(const float* x, long n, float mean) {
  const __m512 mu = _mm512_set1_ps(mean);
  __m512 s0 = _mm512_setzero_ps();
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i), mu);
    s0 = _mm512_fmadd_ps(d, d, s0);
  }
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), mu);
    s0 = _mm512_fmadd_ps(d, d, s0);
  }
  return _mm512_reduce_add_ps(s0);
}
static inline void P_ln_bwd_sums(const float* dy, const float* g, const float* x, float mean,
                                 long n, float* a, float* b) {
  const __m512 mu = _mm512_set1_ps(mean);
  __m512 sa = _mm512_setzero_ps(), sb = sa;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 t = _mm512_mul_ps(_mm512_loadu_ps(dy + i), _mm512_loadu_ps(g + i));
    sa = _mm512_add_ps(sa, t);
    sb = _mm512_fmadd_ps(t, _mm512_sub_ps(_mm512_loadu_ps(x + i), mu), sb);
  }
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 t = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + i), _mm512_maskz_loadu_ps(k, g + i));
    sa = _mm512_add_ps(sa, t);
    sb = _mm512_fmadd_ps(t, _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + i), mu), sb);
  }
  *a = _mm512_reduce_add_ps(sa);
  *b = _mm512_reduce_add_ps(sb);
}
static inline float P_log(float x) { return __builtin_logf(x); }
static inline float P_sqrt(float x) { return __builtin_sqrtf(x); }

// erf(x) as a rational function on [-4, 4] (odd numerator of degree 13, even denominator of
// degree 8; the coefficients of Eigen's generic_fast_erf_float), +-1 outside. Max relative
// error about 1e-7.
static inline __m512 erf16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.72614225801306e-10f), _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-1.60960333262415e-02f));
  p = _mm512_mul_ps(x, p);
  __m512 q = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.45660718464996e-05f), _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.42647390514189e-02f));
  return _mm512_div_ps(p, q);
}
static inline __m512 gelu16(__m512 x) {
  const __m512 h = _mm512_set1_ps(0.5f);
  __m512 c = _mm512_fmadd_ps(h, erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f))), h);  // Phi(x)
  return _mm512_mul_ps(x, c);
}
static inline __m512 gelu_grad16(__m512 x, __m512 dy) {
  const __m512 h = _mm512_set1_ps(0.5f);
  __m512 cdf = _mm512_fmadd_ps(h, erf16(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f))), h);
  __m512 pdf = _mm512_mul_ps(_mm512_set1_ps(0.39894228040143268f), exp16(_mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_mul_ps(x, x))));
  return _mm512_mul_ps(dy, _mm512_fmadd_ps(x, pdf, cdf));
}
static void P_gelu_fwd(float* y, const float* x, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, gelu16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    _mm512_mask_storeu_ps(y + i, k, gelu16(v));
  }
}
static void P_gelu_bwd(float* dx, const float* dy, const float* x, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(dx + i, gelu_grad16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(dy + i)));
  if (i < n) {
    __mmask16 k = tail(n - i);
    __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    _mm512_mask_storeu_ps(dx + i, k, gelu_grad16(v, _mm512_maskz_loadu_ps(k, dy + i)));
  }
}

// Scalar Philox4x32-10 (the same algorithm as rg::philox4x32 in common/rng.h, restated here
// because ISA files may not share inline code with baseline code), for tails.
static inline void philox_scalar(uint64_t seed, uint64_t stream, uint64_t index, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)index, c1 = (uint32_t)(index >> 32), c2 = (uint32_t)stream,
           c3 = (uint32_t)(stream >> 32);
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}
static inline void dropout_scalar(float* y, const float* x, long n, uint64_t first, float p,
                                  float s, uint64_t seed, uint64_t stream) {
  for (long i = 0; i < n; ++i) {
    uint32_t r[4];
    philox_scalar(seed, stream, (first + i) >> 2, r);
    float u = (float)(r[(first + i) & 3] >> 8) * (1.0f / 16777216.0f);
    y[i] = u >= p ? x[i] * s : 0.0f;
  }
}
// 32x32 -> 64 multiply of every lane by M: high and low words.
static inline void mulhilo16(__m512i a, __m512i M, __m512i* hi, __m512i* lo) {
  *lo = _mm512_mullo_epi32(a, M);
  __m512i pe = _mm512_mul_epu32(a, M);
  __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), M);
  *hi = _mm512_mask_blend_epi32((__mmask16)0xAAAA, _mm512_srli_epi64(pe, 32), po);
}
static void P_dropout(float* y, const float* x, long n, uint64_t first, float p, float s,
                      uint64_t seed, uint64_t stream) {
  long i = 0;
  long lead = (long)((4 - (first & 3)) & 3);
  if (lead > n) lead = n;
  dropout_scalar(y, x, lead, first, p, s, seed, stream);
  i = lead;
  const __m512i M0 = _mm512_set1_epi32((int)0xD2511F53u), M1 = _mm512_set1_epi32((int)0xCD9E8D57u);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i s_lo = _mm512_set1_epi32((int)(uint32_t)stream), s_hi = _mm512_set1_epi32((int)(uint32_t)(stream >> 32));
  const __m512 vp = _mm512_set1_ps(p), vs = _mm512_set1_ps(s), unit = _mm512_set1_ps(1.0f / 16777216.0f);
  for (; i + 64 <= n; i += 64) {
    const uint64_t blk = (first + i) >> 2;
    const uint32_t blo = (uint32_t)blk;
    if (blo > 0xFFFFFFFFu - 15u) {  // the low counter word would wrap inside this group
      dropout_scalar(y + i, x + i, 64, first + i, p, s, seed, stream);
      continue;
    }
    __m512i c0 = _mm512_add_epi32(_mm512_set1_epi32((int)blo), lane);
    __m512i c1 = _mm512_set1_epi32((int)(uint32_t)(blk >> 32)), c2 = s_lo, c3 = s_hi;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      __m512i h0, l0, h1, l1;
      mulhilo16(c0, M0, &h0, &l0);
      mulhilo16(c2, M1, &h1, &l1);
      c0 = _mm512_xor_si512(_mm512_xor_si512(h1, c1), _mm512_set1_epi32((int)k0));
      c1 = l1;
      c2 = _mm512_xor_si512(_mm512_xor_si512(h0, c3), _mm512_set1_epi32((int)k1));
      c3 = l0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    // Transpose to element order: block j gives elements 4j .. 4j+3 = (c0, c1, c2, c3)[j].
    __m512i t0 = _mm512_unpacklo_epi32(c0, c1), t1 = _mm512_unpackhi_epi32(c0, c1);
    __m512i t2 = _mm512_unpacklo_epi32(c2, c3), t3 = _mm512_unpackhi_epi32(c2, c3);
    __m512i o0 = _mm512_unpacklo_epi64(t0, t2), o1 = _mm512_unpackhi_epi64(t0, t2);
    __m512i o2 = _mm512_unpacklo_epi64(t1, t3), o3 = _mm512_unpackhi_epi64(t1, t3);
    __m512i ablo = _mm512_shuffle_i32x4(o0, o1, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i cdlo = _mm512_shuffle_i32x4(o2, o3, _MM_SHUFFLE(1, 0, 1, 0));
    __m512i abhi = _mm512_shuffle_i32x4(o0, o1, _MM_SHUFFLE(3, 2, 3, 2));
    __m512i cdhi = _mm512_shuffle_i32x4(o2, o3, _MM_SHUFFLE(3, 2, 3, 2));
    __m512i rr[4] = {_mm512_shuffle_i32x4(ablo, cdlo, _MM_SHUFFLE(2, 0, 2, 0)),
                     _mm512_shuffle_i32x4(ablo, cdlo, _MM_SHUFFLE(3, 1, 3, 1)),
                     _mm512_shuffle_i32x4(abhi, cdhi, _MM_SHUFFLE(2, 0, 2, 0)),
                     _mm512_shuffle_i32x4(abhi, cdhi, _MM_SHUFFLE(3, 1, 3, 1))};
    for (int q = 0; q < 4; ++q) {
      __m512 u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(rr[q], 8)), unit);
      __mmask16 keep = _mm512_cmp_ps_mask(u, vp, _CMP_GE_OQ);
      _mm512_storeu_ps(y + i + 16 * q, _mm512_maskz_mul_ps(keep, _mm512_loadu_ps(x + i + 16 * q), vs));
    }
  }
  dropout_scalar(y + i, x + i, n - i, first + i, p, s, seed, stream);
}

#define RG_ISA_NAME "avx512"
#include "cpu/rowkernels.inc"

}  // namespace rg::cpu::avx512
