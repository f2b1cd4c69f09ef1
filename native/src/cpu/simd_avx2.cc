// AVX2+FMA row kernels: 8-wide primitives, tails through maskload/maskstore, see rowkernels.inc.
// Includes only <immintrin.h>, <cstdint>, <cmath> and plain headers of ours (no STL, no shared
// inline code).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "cpu/simd_isa.h"

namespace rg::cpu::avx2 {

static inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3365f)), _mm256_set1_ps(88.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static const int32_t kMaskTab[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i tail(long r) { return _mm256_loadu_si256((const __m256i*)(kMaskTab + 8 - r)); }
static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float hmax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
// Masked-out lanes of a tail load: zero, or -inf where a max is taken.
static inline __m256 load_tail(const float* x, __m256i k) { return _mm256_maskload_ps(x, k); }
static inline __m256 load_tail_ninf(const float* x, __m256i k) {
  return _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_maskload_ps(x, k), _mm256_castsi256_ps(k));
}
static inline __m256 keep(__m256 v, __m256i k) { return _mm256_and_ps(v, _mm256_castsi256_ps(k)); }

static inline float P_max(const float* x, long n) {
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
  if (i < n) m1 = _mm256_max_ps(m1, load_tail_ninf(x + i, tail(n - i)));
  return hmax(_mm256_max_ps(m0, m1));
}
static inline void P_max_sum(const float* x, long n, float* mx, float* sum) {
  __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, s0 = _mm256_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    m0 = _mm256_max_ps(m0, a);
    m1 = _mm256_max_ps(m1, b);
    s0 = _mm256_add_ps(s0, a);
    s1 = _mm256_add_ps(s1, b);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 a = _mm256_loadu_ps(x + i);
    m0 = _mm256_max_ps(m0, a);
    s0 = _mm256_add_ps(s0, a);
  }
  if (i < n) {
    __m256i k = tail(n - i);
    m1 = _mm256_max_ps(m1, load_tail_ninf(x + i, k));
    s1 = _mm256_add_ps(s1, load_tail(x + i, k));
  }
  *mx = hmax(_mm256_max_ps(m0, m1));
  *sum = hsum(_mm256_add_ps(s0, s1));
}
static inline float P_sum(const float* x, long n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
  if (i < n) s1 = _mm256_add_ps(s1, load_tail(x + i, tail(n - i)));
  return hsum(_mm256_add_ps(s0, s1));
}
static inline float P_sum_exp(const float* x, long n, float shift) {
  const __m256 sh = _mm256_set1_ps(shift);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)));
    s1 = _mm256_add_ps(s1, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), sh)));
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)));
  if (i < n) {
    __m256i k = tail(n - i);
    s1 = _mm256_add_ps(s1, keep(exp8(_mm256_sub_ps(load_tail(x + i, k), sh)), k));
  }
  return hsum(_mm256_add_ps(s0, s1));
}
static inline float P_exp_store(float* y, const float* x, long n, float shift) {
  const __m256 sh = _mm256_set1_ps(shift);
  __m256 s0 = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh));
    _mm256_storeu_ps(y + i, e);
    s0 = _mm256_add_ps(s0, e);
  }
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 e = keep(exp8(_mm256_sub_ps(load_tail(x + i, k), sh)), k);
    _mm256_maskstore_ps(y + i, k, e);
    s0 = _mm256_add_ps(s0, e);
  }
  return hsum(s0);
}
static inline void P_exp_affine(float* y, const float* x, long n, float shift, float a, float b) {
  const __m256 sh = _mm256_set1_ps(shift), va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  long i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)), vb));
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 e = exp8(_mm256_sub_ps(load_tail(x + i, k), sh));
    _mm256_maskstore_ps(y + i, k, _mm256_fmadd_ps(va, e, vb));
  }
}
static inline float P_dot(const float* a, const float* b, long n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  if (i < n) {
    __m256i k = tail(n - i);
    s1 = _mm256_fmadd_ps(load_tail(a + i, k), load_tail(b + i, k), s1);
  }
  return hsum(_mm256_add_ps(s0, s1));
}
static inline void P_axpy(float* y, float a, const float* x, long n) {
  const __m256 va = _mm256_set1_ps(a);
  long i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) {
    __m256i k = tail(n - i);
    _mm256_maskstore_ps(y + i, k, _mm256_fmadd_ps(va, load_tail(x + i, k), load_tail(y + i, k)));
  }
}
static inline float P_sum_sq_dev(const float* x, long n, float mean) {
  const __m256 mu = _mm256_set1_ps(mean);
  __m256 s0 = _mm256_setzero_ps();
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), mu);
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 d = keep(_mm256_sub_ps(load_tail(x + i, k), mu), k);
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  return hsum(s0);
}
static inline void P_ln_bwd_sums(const float* dy, const float* g, const float* x, float mean,
                                 long n, float* a, float* b) {
  const __m256 mu = _mm256_set1_ps(mean);
  __m256 sa = _mm256_setzero_ps(), sb = sa;
  long i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 t = _mm256_mul_ps(_mm256_loadu_ps(dy + i), _mm256_loadu_ps(g + i));
    sa = _mm256_add_ps(sa, t);
    sb = _mm256_fmadd_ps(t, _mm256_sub_ps(_mm256_loadu_ps(x + i), mu), sb);
  }
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 t = _mm256_mul_ps(load_tail(dy + i, k), load_tail(g + i, k));
    sa = _mm256_add_ps(sa, t);
    sb = _mm256_fmadd_ps(t, _mm256_sub_ps(load_tail(x + i, k), mu), sb);
  }
  *a = hsum(sa);
  *b = hsum(sb);
}
static inline float P_log(float x) { return __builtin_logf(x); }
static inline float P_sqrt(float x) { return __builtin_sqrtf(x); }

// erf(x) as a rational function on [-4, 4] (odd numerator of degree 13, even denominator of
// degree 8; the coefficients of Eigen's generic_fast_erf_float), +-1 outside. Max relative
// error about 1e-7.
static inline __m256 erf8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-4.0f)), _mm256_set1_ps(4.0f));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_fmadd_ps(x2, _mm256_set1_ps(-2.72614225801306e-10f), _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(x2, p, _mm256_set1_ps(-1.60960333262415e-02f));
  p = _mm256_mul_ps(x, p);
  __m256 q = _mm256_fmadd_ps(x2, _mm256_set1_ps(-1.45660718464996e-05f), _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(x2, q, _mm256_set1_ps(-1.42647390514189e-02f));
  return _mm256_div_ps(p, q);
}
static inline __m256 gelu8(__m256 x) {
  const __m256 h = _mm256_set1_ps(0.5f);
  __m256 c = _mm256_fmadd_ps(h, erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f))), h);  // Phi(x)
  return _mm256_mul_ps(x, c);
}
static inline __m256 gelu_grad8(__m256 x, __m256 dy) {
  const __m256 h = _mm256_set1_ps(0.5f);
  __m256 cdf = _mm256_fmadd_ps(h, erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f))), h);
  __m256 pdf = _mm256_mul_ps(_mm256_set1_ps(0.39894228040143268f), exp8(_mm256_mul_ps(_mm256_set1_ps(-0.5f), _mm256_mul_ps(x, x))));
  return _mm256_mul_ps(dy, _mm256_fmadd_ps(x, pdf, cdf));
}
static void P_gelu_fwd(float* y, const float* x, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 v = load_tail(x + i, k);
    _mm256_maskstore_ps(y + i, k, gelu8(v));
  }
}
static void P_gelu_bwd(float* dx, const float* dy, const float* x, long n) {
  long i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, gelu_grad8(_mm256_loadu_ps(x + i), _mm256_loadu_ps(dy + i)));
  if (i < n) {
    __m256i k = tail(n - i);
    __m256 v = load_tail(x + i, k);
    _mm256_maskstore_ps(dx + i, k, gelu_grad8(v, load_tail(dy + i, k)));
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
static inline void mulhilo8(__m256i a, __m256i M, __m256i* hi, __m256i* lo) {
  *lo = _mm256_mullo_epi32(a, M);
  __m256i pe = _mm256_mul_epu32(a, M);
  __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), M);
  *hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
}
static void P_dropout(float* y, const float* x, long n, uint64_t first, float p, float s,
                      uint64_t seed, uint64_t stream) {
  long i = 0;
  long lead = (long)((4 - (first & 3)) & 3);
  if (lead > n) lead = n;
  dropout_scalar(y, x, lead, first, p, s, seed, stream);
  i = lead;
  const __m256i M0 = _mm256_set1_epi32((int)0xD2511F53u), M1 = _mm256_set1_epi32((int)0xCD9E8D57u);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i s_lo = _mm256_set1_epi32((int)(uint32_t)stream), s_hi = _mm256_set1_epi32((int)(uint32_t)(stream >> 32));
  const __m256 vp = _mm256_set1_ps(p), vs = _mm256_set1_ps(s), unit = _mm256_set1_ps(1.0f / 16777216.0f);
  for (; i + 32 <= n; i += 32) {
    const uint64_t blk = (first + i) >> 2;
    const uint32_t blo = (uint32_t)blk;
    if (blo > 0xFFFFFFFFu - 7u) {  // the low counter word would wrap inside this group
      dropout_scalar(y + i, x + i, 32, first + i, p, s, seed, stream);
      continue;
    }
    __m256i c0 = _mm256_add_epi32(_mm256_set1_epi32((int)blo), lane);
    __m256i c1 = _mm256_set1_epi32((int)(uint32_t)(blk >> 32)), c2 = s_lo, c3 = s_hi;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      __m256i h0, l0, h1, l1;
      mulhilo8(c0, M0, &h0, &l0);
      mulhilo8(c2, M1, &h1, &l1);
      c0 = _mm256_xor_si256(_mm256_xor_si256(h1, c1), _mm256_set1_epi32((int)k0));
      c1 = l1;
      c2 = _mm256_xor_si256(_mm256_xor_si256(h0, c3), _mm256_set1_epi32((int)k1));
      c3 = l0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    // Transpose to element order: block j gives elements 4j .. 4j+3 = (c0, c1, c2, c3)[j].
    __m256i t0 = _mm256_unpacklo_epi32(c0, c1), t1 = _mm256_unpackhi_epi32(c0, c1);
    __m256i t2 = _mm256_unpacklo_epi32(c2, c3), t3 = _mm256_unpackhi_epi32(c2, c3);
    __m256i o0 = _mm256_unpacklo_epi64(t0, t2), o1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i o2 = _mm256_unpacklo_epi64(t1, t3), o3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i rr[4] = {_mm256_permute2x128_si256(o0, o1, 0x20), _mm256_permute2x128_si256(o2, o3, 0x20),
                     _mm256_permute2x128_si256(o0, o1, 0x31), _mm256_permute2x128_si256(o2, o3, 0x31)};
    for (int q = 0; q < 4; ++q) {
      __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(rr[q], 8)), unit);
      __m256 keep = _mm256_cmp_ps(u, vp, _CMP_GE_OQ);
      _mm256_storeu_ps(y + i + 8 * q, _mm256_and_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * q), vs), keep));
    }
  }
  dropout_scalar(y + i, x + i, n - i, first + i, p, s, seed, stream);
}

#define RG_ISA_NAME "avx2"
#include "cpu/rowkernels.inc"

}  // namespace rg::cpu::avx2
