// AVX2 + FMA GEMM macro-kernel: a 6 x 16 register tile (12 ymm accumulators, 2 ymm of B
// per step, A broadcast from memory). Only ever called after rg::active_isa() said
// AVX2 and FMA are available. See gemm_kernels.h for the contract.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/gemm_kernels.h"

namespace {

constexpr int MR = RG_SGEMM_AVX2_MR;
constexpr int NR = RG_SGEMM_AVX2_NR;
constexpr int NV = NR / 8;
static_assert(NR % 8 == 0, "NR must be a multiple of 8");

__attribute__((always_inline)) inline __m256i lane_mask(int rem) {
  // Lanes [0, rem) set (rem clamped to [0, 8]).
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), idx);
}

template <int M, bool MASKED>
__attribute__((always_inline)) inline void tile(int n, int kc, const float* __restrict A,
                                                const float* __restrict B, ptrdiff_t ldb,
                                                float* __restrict C, ptrdiff_t ldc, float beta) {
  __m256i mk[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) mk[v] = lane_mask(n - 8 * v);
  __m256 c[M][NV];
#pragma GCC unroll 16
  for (int r = 0; r < M; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) c[r][v] = _mm256_setzero_ps();

  for (int p = 0; p < kc; ++p) {
    __m256 b[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v)
      b[v] = MASKED ? _mm256_maskload_ps(B + 8 * v, mk[v]) : _mm256_loadu_ps(B + 8 * v);
#pragma GCC unroll 16
    for (int r = 0; r < M; ++r) {
      __m256 a = _mm256_broadcast_ss(A + r);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) c[r][v] = _mm256_fmadd_ps(a, b[v], c[r][v]);
    }
    A += MR;
    B += ldb;
  }

  const bool full = n >= NR;
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
  for (int r = 0; r < M; ++r) {
    float* cr = C + r * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      __m256 x = c[r][v];
      if (full) {
        if (beta == 0.0f) {
        } else if (beta == 1.0f) {
          x = _mm256_add_ps(x, _mm256_loadu_ps(cr + 8 * v));
        } else {
          x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8 * v), x);
        }
        _mm256_storeu_ps(cr + 8 * v, x);
      } else {
        if (beta == 0.0f) {
        } else if (beta == 1.0f) {
          x = _mm256_add_ps(x, _mm256_maskload_ps(cr + 8 * v, mk[v]));
        } else {
          x = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8 * v, mk[v]), x);
        }
        _mm256_maskstore_ps(cr + 8 * v, mk[v], x);
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
#undef RG_CASE
    default: tile<MR, MASKED>(n, kc, A, B, ldb, C, ldc, beta); break;
  }
}

}  // namespace

extern "C" void rg_sgemm_macro_avx2(int mc, int nc, int kc, const float* Ap, const float* B,
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
// Small-M A * B^T by dot products (see gemm_kernels.h).

namespace {

constexpr int DMI = 3, DNJ = 4;  // 12 accumulators + 3 rows of A + 1 of B = 16 ymm

__attribute__((always_inline)) inline float hsum(__m256 x) {
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

template <int MI, int NJ>
__attribute__((always_inline)) inline void dot_tile(int K, float alpha, const float* A, ptrdiff_t lda,
                                                    const float* B, ptrdiff_t ldb, float beta, float* C,
                                                    ptrdiff_t ldc) {
  __m256 acc[MI][NJ];
#pragma GCC unroll 8
  for (int i = 0; i < MI; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) acc[i][j] = _mm256_setzero_ps();
  int p = 0;
  for (; p + 8 <= K; p += 8) {
    __m256 a[MI];
#pragma GCC unroll 8
    for (int i = 0; i < MI; ++i) a[i] = _mm256_loadu_ps(A + i * lda + p);
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) {
      __m256 b = _mm256_loadu_ps(B + j * ldb + p);
#pragma GCC unroll 8
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
    }
  }
  if (p < K) {
    const __m256i km = lane_mask(K - p);
    __m256 a[MI];
#pragma GCC unroll 8
    for (int i = 0; i < MI; ++i) a[i] = _mm256_maskload_ps(A + i * lda + p, km);
#pragma GCC unroll 8
    for (int j = 0; j < NJ; ++j) {
      __m256 b = _mm256_maskload_ps(B + j * ldb + p, km);
#pragma GCC unroll 8
      for (int i = 0; i < MI; ++i) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
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
void dot_row_block(int nj, int K, float alpha, const float* A, ptrdiff_t lda, const float* B, ptrdiff_t ldb,
                   float beta, float* C, ptrdiff_t ldc) {
  switch (nj) {
    case 1: dot_tile<MI, 1>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 2: dot_tile<MI, 2>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 3: dot_tile<MI, 3>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    default: dot_tile<MI, DNJ>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
  }
}

}  // namespace

extern "C" void rg_sgemm_nt_dot_avx2(int M, int N, int K, float alpha, const float* A, ptrdiff_t lda,
                                     const float* B, ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc) {
  for (int j = 0; j < N; j += DNJ) {
    const int nj = N - j < DNJ ? N - j : DNJ;
    const float* Bj = B + (ptrdiff_t)j * ldb;
    for (int i = 0; i < M; i += DMI) {
      const float* Ai = A + (ptrdiff_t)i * lda;
      float* Cij = C + (ptrdiff_t)i * ldc + j;
      switch (M - i < DMI ? M - i : DMI) {
        case 1: dot_row_block<1>(nj, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc); break;
        case 2: dot_row_block<2>(nj, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc); break;
        default: dot_row_block<DMI>(nj, K, alpha, Ai, lda, Bj, ldb, beta, Cij, ldc); break;
      }
    }
  }
}
