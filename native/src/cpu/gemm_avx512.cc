// AVX-512 GEMM macro-kernel: an MR x NR register tile (default 12 x 32: 24 zmm
// accumulators, 2 zmm of B per step, A broadcast from memory). Only ever called after
// rg::active_isa() said AVX-512 is available. See gemm_kernels.h for the contract.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/gemm_kernels.h"

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
