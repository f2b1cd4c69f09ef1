// AVX-512 GEMM macro-kernel: an MR x NR register tile (default 12 x 32: 24 zmm
// accumulators, 2 zmm of B per step, A broadcast from memory). Only ever called after
// rg::active_isa() said AVX-512 is available. See gemm_kernels.h for the contract.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/gemm_kernels.h"

// GCC 12 reports -Wmaybe-uninitialized inside its own avx512fintrin.h (the
// _mm256_undefined_ps() operand of the 512 -> 256 extract/cast intrinsics): a false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

constexpr int MR = RG_SGEMM_AVX512_MR;
constexpr int NR = RG_SGEMM_AVX512_NR;
constexpr int NV = NR / 16;
static_assert(NR % 16 == 0, "NR must be a multiple of 16");

// C[0:M, 0:n] = A(kc x MR sliver) * B(kc x n) (+ beta C). MASKED: B loads are masked to n.
template <int M, bool MASKED>
__attribute__((always_inline)) inline void tile(int n, int kc, const float* __restrict A,
                                                const float* __restrict B, ptrdiff_t ldb,
                                                float* __restrict C, ptrdiff_t ldc, float beta) {
  __mmask16 mk[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    int rem = n - 16 * v;
    mk[v] = rem >= 16 ? (__mmask16)0xffff : rem <= 0 ? (__mmask16)0 : (__mmask16)((1u << rem) - 1);
  }
  __m512 c[M][NV];
#pragma GCC unroll 32
  for (int r = 0; r < M; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) c[r][v] = _mm512_setzero_ps();

  for (int p = 0; p < kc; ++p) {
    __m512 b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v)
      b[v] = MASKED ? _mm512_maskz_loadu_ps(mk[v], B + 16 * v) : _mm512_loadu_ps(B + 16 * v);
#pragma GCC unroll 32
    for (int r = 0; r < M; ++r) {
      __m512 a = _mm512_set1_ps(A[r]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) c[r][v] = _mm512_fmadd_ps(a, b[v], c[r][v]);
    }
    A += MR;
    B += ldb;
  }

  const bool full = n >= NR;
#pragma GCC unroll 32
  for (int r = 0; r < M; ++r) {
    float* cr = C + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      __m512 x = c[r][v];
      if (full) {
        if (beta == 0.0f) {
        } else if (beta == 1.0f) {
          x = _mm512_add_ps(x, _mm512_loadu_ps(cr + 16 * v));
        } else {
          x = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_loadu_ps(cr + 16 * v), x);
        }
        _mm512_storeu_ps(cr + 16 * v, x);
      } else {
        if (beta == 0.0f) {
        } else if (beta == 1.0f) {
          x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk[v], cr + 16 * v));
        } else {
          x = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mk[v], cr + 16 * v), x);
        }
        _mm512_mask_storeu_ps(cr + 16 * v, mk[v], x);
      }
    }
  }
}

template <bool MASKED>
void tile_m(int m, int n, int kc, const float* A, const float* B, ptrdiff_t ldb, float* C,
            ptrdiff_t ldc, float beta) {
  switch (m) {
#define RG_CASE(k) \
  case k: tile<(k <= MR ? k : MR), MASKED>(n, kc, A, B, ldb, C, ldc, beta); break;
    RG_CASE(1) RG_CASE(2) RG_CASE(3) RG_CASE(4) RG_CASE(5) RG_CASE(6) RG_CASE(7) RG_CASE(8)
    RG_CASE(9) RG_CASE(10) RG_CASE(11) RG_CASE(12) RG_CASE(13) RG_CASE(14) RG_CASE(15)
    RG_CASE(16)
#undef RG_CASE
    default: tile<MR, MASKED>(n, kc, A, B, ldb, C, ldc, beta); break;
  }
}

}  // namespace

extern "C" void rg_sgemm_macro_avx512(int mc, int nc, int kc, const float* Ap, const float* B,
                                      ptrdiff_t ldb, ptrdiff_t bs, int b_padded, float* C,
                                      ptrdiff_t ldc, float beta) {
  for (int j = 0; j < nc; j += NR) {
    const int n = nc - j < NR ? nc - j : NR;
    const float* Bj = B + (j / NR) * bs;
    const bool masked = !b_padded && n < NR;
    for (int i = 0; i < mc; i += MR) {
      const int m = mc - i < MR ? mc - i : MR;
      const float* Ai = Ap + (ptrdiff_t)(i / MR) * kc * MR;
      float* Cij = C + i * ldc + j;
      if (masked)
        tile_m<true>(m, n, kc, Ai, Bj, ldb, Cij, ldc, beta);
      else if (m == MR)
        tile<MR, false>(n, kc, Ai, Bj, ldb, Cij, ldc, beta);
      else
        tile_m<false>(m, n, kc, Ai, Bj, ldb, Cij, ldc, beta);
    }
  }
}

// ---------------------------------------------------------------------------------
// Packing.

namespace {

// In-register 16 x 16 transpose: r[i] (row i) becomes column i.
__attribute__((always_inline)) inline void transpose16(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  __m512 u[16];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {  // u[4i + j], lane L: column 4L + j of rows 4i..4i+3
    u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {  // 4 x 4 transpose of 128-bit lanes of u[j], u[4+j], ...
    __m512 s0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44);
    __m512 s1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
    __m512 s2 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
    __m512 s3 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
    r[j] = _mm512_shuffle_f32x4(s0, s2, 0x88);
    r[4 + j] = _mm512_shuffle_f32x4(s0, s2, 0xDD);
    r[8 + j] = _mm512_shuffle_f32x4(s1, s3, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
  }
}

inline __mmask16 first_lanes(int n) {
  return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

static_assert(MR <= 16, "pack_a assumes MR <= 16");

}  // namespace

extern "C" void rg_sgemm_pack_a_avx512(int transA, const float* A, ptrdiff_t lda, int mc, int kc,
                                       float alpha, float* dst) {
  const __m512 va = _mm512_set1_ps(alpha);
  const bool scale = alpha != 1.0f;
  const __mmask16 mr_mask = first_lanes(MR);
  for (int i = 0; i < mc; i += MR, dst += (ptrdiff_t)kc * MR) {
    const int m = mc - i < MR ? mc - i : MR;
    if (!transA) {  // MR rows contiguous in K: 16 x 16 transposes
      const float* src = A + (ptrdiff_t)i * lda;
      for (int p0 = 0; p0 < kc; p0 += 16) {
        const int kk = kc - p0 < 16 ? kc - p0 : 16;
        const __mmask16 km = first_lanes(kk);
        __m512 r[16];
#pragma GCC unroll 16
        for (int q = 0; q < 16; ++q) {
          if (q < m) {
            r[q] = _mm512_maskz_loadu_ps(km, src + q * lda + p0);
            if (scale) r[q] = _mm512_mul_ps(r[q], va);
          } else {
            r[q] = _mm512_setzero_ps();
          }
        }
        transpose16(r);
        float* d = dst + (ptrdiff_t)p0 * MR;
        if (kk == 16) {
#pragma GCC unroll 16
          for (int q = 0; q < 16; ++q) _mm512_mask_storeu_ps(d + q * MR, mr_mask, r[q]);
        } else {
          for (int q = 0; q < kk; ++q) _mm512_mask_storeu_ps(d + q * MR, mr_mask, r[q]);
        }
      }
    } else {  // op(A)[i + r, p] = A[p * lda + i + r]: contiguous in M
      const __mmask16 lm = first_lanes(m);
      for (int p = 0; p < kc; ++p) {
        __m512 v = _mm512_maskz_loadu_ps(lm, A + (ptrdiff_t)p * lda + i);
        if (scale) v = _mm512_mul_ps(v, va);
        _mm512_mask_storeu_ps(dst + (ptrdiff_t)p * MR, mr_mask, v);
      }
    }
  }
}

extern "C" void rg_sgemm_pack_b_avx512(int transB, const float* B, ptrdiff_t ldb, int kc, int nc,
                                       float* dst) {
  for (int j = 0; j < nc; j += NR, dst += (ptrdiff_t)kc * NR) {
    const int n = nc - j < NR ? nc - j : NR;
    if (!transB) {
      __mmask16 mk[NV];
      for (int v = 0; v < NV; ++v) mk[v] = first_lanes(n - 16 * v);
      for (int p = 0; p < kc; ++p) {
        const float* src = B + (ptrdiff_t)p * ldb + j;
        float* d = dst + (ptrdiff_t)p * NR;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) _mm512_storeu_ps(d + 16 * v, _mm512_maskz_loadu_ps(mk[v], src + 16 * v));
      }
    } else {  // op(B)[p, j + c] = B[(j + c) * ldb + p]: 16 x 16 transposes
      for (int v = 0; v < NV; ++v) {
        const int rows = n - 16 * v < 0 ? 0 : n - 16 * v > 16 ? 16 : n - 16 * v;
        float* dv = dst + 16 * v;
        if (rows == 0) {
          for (int p = 0; p < kc; ++p) _mm512_storeu_ps(dv + (ptrdiff_t)p * NR, _mm512_setzero_ps());
          continue;
        }
        const float* src = B + (ptrdiff_t)(j + 16 * v) * ldb;
        for (int p0 = 0; p0 < kc; p0 += 16) {
          const int kk = kc - p0 < 16 ? kc - p0 : 16;
          const __mmask16 km = first_lanes(kk);
          __m512 r[16];
#pragma GCC unroll 16
          for (int q = 0; q < 16; ++q)
            r[q] = q < rows ? _mm512_maskz_loadu_ps(km, src + q * ldb + p0) : _mm512_setzero_ps();
          transpose16(r);
          float* d = dv + (ptrdiff_t)p0 * NR;
          if (kk == 16) {
#pragma GCC unroll 16
            for (int q = 0; q < 16; ++q) _mm512_storeu_ps(d + q * NR, r[q]);
          } else {
            for (int q = 0; q < kk; ++q) _mm512_storeu_ps(d + q * NR, r[q]);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// Small-M A * B^T by dot products.

namespace {

constexpr int DMI = 4, DNJ = 6;  // 24 accumulators + 4 rows of A + 1 of B

// Sum of the 16 lanes in a fixed order.
__attribute__((always_inline)) inline float hsum(__m512 x) {
  __m256 h = _mm256_add_ps(_mm512_castps512_ps256(x), _mm512_extractf32x8_ps(x, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

template <int MI, int NJ>
__attribute__((always_inline)) inline void dot_tile(int K, float alpha, const float* A, ptrdiff_t lda,
                                                    const float* B, ptrdiff_t ldb, float beta, float* C,
                                                    ptrdiff_t ldc) {
  __m512 acc[MI][NJ];
#pragma GCC unroll 8
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) acc[i][j] = _mm512_setzero_ps();
  int p = 0;
  for (; p + 16 <= K; p += 16) {
    __m512 a[MI];
#pragma GCC unroll 8
    for (int i = 0; i < MI; ++i) a[i] = _mm512_loadu_ps(A + i * lda + p);
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) {
      __m512 b = _mm512_loadu_ps(B + j * ldb + p);
#pragma GCC unroll 8
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm512_fmadd_ps(a[i], b, acc[i][j]);
    }
  }
  if (p < K) {
    const __mmask16 km = first_lanes(K - p);
    __m512 a[MI];
#pragma GCC unroll 8
    for (int i = 0; i < MI; ++i) a[i] = _mm512_maskz_loadu_ps(km, A + i * lda + p);
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) {
      __m512 b = _mm512_maskz_loadu_ps(km, B + j * ldb + p);
#pragma GCC unroll 8
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm512_fmadd_ps(a[i], b, acc[i][j]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) {
      const float s = alpha * hsum(acc[i][j]);
      float* c = C + i * ldc + j;
      *c = beta == 0.0f ? s : s + beta * *c;
    }
}

template <int MI>
void dot_row_block(int N, int K, float alpha, const float* A, ptrdiff_t lda, const float* B, ptrdiff_t ldb,
                   float beta, float* C, ptrdiff_t ldc, int j) {
  switch (N - j < DNJ ? N - j : DNJ) {
    case 1: dot_tile<MI, 1>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 2: dot_tile<MI, 2>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 3: dot_tile<MI, 3>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 4: dot_tile<MI, 4>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 5: dot_tile<MI, 5>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    default: dot_tile<MI, DNJ>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
  }
}

}  // namespace

extern "C" void rg_sgemm_nt_dot_avx512(int M, int N, int K, float alpha, const float* A, ptrdiff_t lda,
                                       const float* B, ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc) {
  for (int j = 0; j < N; j += DNJ) {  // DNJ rows of B stay in L1 while all of A passes
    const float* Bj = B + (ptrdiff_t)j * ldb;
    for (int i = 0; i < M; i += DMI) {
      const float* Ai = A + (ptrdiff_t)i * lda;
      float* Cij = C + (ptrdiff_t)i * ldc + j;
      switch (M - i < DMI ? M - i : DMI) {
        case 1: dot_row_block<1>(N, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc, j); break;
        case 2: dot_row_block<2>(N, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc, j); break;
        case 3: dot_row_block<3>(N, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc, j); break;
        default: dot_row_block<DMI>(N, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc, j); break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------
// Very small M, B in place: wide row-axpy strips.

namespace {

template <int M, int NV, bool FULL>
__attribute__((always_inline)) inline void axpy_strip(int n, int K, float alpha, const float* A, ptrdiff_t a_rs,
                                                      ptrdiff_t a_ks, const float* B, ptrdiff_t ldb, float beta,
                                                      float* C, ptrdiff_t ldc) {
  __mmask16 mk[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) mk[v] = first_lanes(n - 16 * v);
  __m512 acc[M][NV];
#pragma GCC unroll 4
  for (int r = 0; r < M; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int p = 0; p < K; ++p) {
    __m512 a[M];
#pragma GCC unroll 4
    for (int r = 0; r < M; ++r) a[r] = _mm512_set1_ps(A[r * a_rs + p * a_ks]);
    const float* b = B + (ptrdiff_t)p * ldb;
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      const __m512 bv = FULL ? _mm512_loadu_ps(b + 16 * v) : _mm512_maskz_loadu_ps(mk[v], b + 16 * v);
#pragma GCC unroll 4
      for (int r = 0; r < M; ++r) acc[r][v] = _mm512_fmadd_ps(a[r], bv, acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 4
  for (int r = 0; r < M; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      float* c = C + r * ldc + 16 * v;
      __m512 x = _mm512_mul_ps(va, acc[r][v]);
      if (beta != 0.0f) x = _mm512_fmadd_ps(vb, FULL ? _mm512_loadu_ps(c) : _mm512_maskz_loadu_ps(mk[v], c), x);
      if (FULL)
        _mm512_storeu_ps(c, x);
      else
        _mm512_mask_storeu_ps(c, mk[v], x);
    }
}

template <int M, int NV>
void axpy_rows(int N, int K, float alpha, const float* A, ptrdiff_t a_rs, ptrdiff_t a_ks, const float* B,
               ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc) {
  constexpr int W = 16 * NV;
  int j = 0;
  for (; j + W <= N; j += W) axpy_strip<M, NV, true>(W, K, alpha, A, a_rs, a_ks, B + j, ldb, beta, C + j, ldc);
  if (j < N) axpy_strip<M, NV, false>(N - j, K, alpha, A, a_rs, a_ks, B + j, ldb, beta, C + j, ldc);
}

}  // namespace

extern "C" void rg_sgemm_small_m_nn_avx512(int M, int N, int K, float alpha, const float* A, ptrdiff_t a_rs,
                                           ptrdiff_t a_ks, const float* B, ptrdiff_t ldb, float beta, float* C,
                                           ptrdiff_t ldc) {
  switch (M) {
    case 1: axpy_rows<1, 16>(N, K, alpha, A, a_rs, a_ks, B, ldb, beta, C, ldc); break;
    case 2: axpy_rows<2, 8>(N, K, alpha, A, a_rs, a_ks, B, ldb, beta, C, ldc); break;
    case 3: axpy_rows<3, 5>(N, K, alpha, A, a_rs, a_ks, B, ldb, beta, C, ldc); break;
    default: axpy_rows<4, 4>(N, K, alpha, A, a_rs, a_ks, B, ldb, beta, C, ldc); break;
  }
}
