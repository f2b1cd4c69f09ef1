// GEMM micro/macro-kernels compiled with ISA flags (gemm_avx2.cc, gemm_avx512.cc) and
// their register-tile sizes. This header is included by files built with -mavx512f, so
// it holds plain declarations and constants only: no function bodies, no STL.
#pragma once
#include <cstddef>

// Register tile: MR rows of C (broadcast from packed A) x NR columns (vectors of packed B).
#ifndef RG_SGEMM_AVX512_MR
#define RG_SGEMM_AVX512_MR 12
#endif
#ifndef RG_SGEMM_AVX512_NR
#define RG_SGEMM_AVX512_NR 32  // 2 zmm: 12 x 2 = 24 accumulators
#endif
#define RG_SGEMM_AVX2_MR 6
#define RG_SGEMM_AVX2_NR 16  // 2 ymm: 6 x 2 = 12 accumulators

extern "C" {

// One packed block: Ap holds ceil(mc / MR) slivers of kc x MR floats (sliver i at
// Ap + i*kc*MR, element (row r, step p) at p*MR + r; alpha already applied). B holds
// ceil(nc / NR) slivers of kc x NR columns (sliver j at B + j*bs, step p at row p*ldb).
// b_padded != 0: every sliver is readable to NR columns (packed, zero-padded); otherwise
// only the valid columns are read (masked loads; used when B is read in place).
// Computes C[0:mc, 0:nc] = Ap * B + beta * C; beta == 0 never reads C.
void rg_sgemm_macro_avx512(int mc, int nc, int kc, const float* Ap, const float* B, ptrdiff_t ldb,
                           ptrdiff_t bs, int b_padded, float* C, ptrdiff_t ldc, float beta);
void rg_sgemm_macro_avx2(int mc, int nc, int kc, const float* Ap, const float* B, ptrdiff_t ldb,
                         ptrdiff_t bs, int b_padded, float* C, ptrdiff_t ldc, float beta);

// Packing into the layouts above, for this ISA's MR / NR. A points at op(A)[0, 0] of the
// block (transA: A is stored K x M), B at op(B)[0, 0] (transB: B is stored N x K).
// pack_a multiplies by alpha; pack_b zero-pads the last sliver to NR columns.
void rg_sgemm_pack_a_avx512(int transA, const float* A, ptrdiff_t lda, int mc, int kc, float alpha,
                            float* dst);
void rg_sgemm_pack_b_avx512(int transB, const float* B, ptrdiff_t ldb, int kc, int nc, float* dst);

// Small-M C = alpha * A * B^T + beta * C (A: M x K rows, B: N x K rows, both contiguous
// in K): dot products along K, no packing. Each C element is the same fixed-order sum
// whatever the tiling, so any split of N across threads gives identical bits.
void rg_sgemm_nt_dot_avx512(int M, int N, int K, float alpha, const float* A, ptrdiff_t lda,
                            const float* B, ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc);
// Very small M (1..4), B not transposed: C = alpha * op(A) * B + beta * C as row-axpys
// over wide strips of B (16 zmm of B per step for M = 1), B read in place, no K blocking.
// op(A)[i, p] = A[i * a_rs + p * a_ks]. Any split of N gives identical bits.
void rg_sgemm_small_m_nn_avx512(int M, int N, int K, float alpha, const float* A, ptrdiff_t a_rs,
                                ptrdiff_t a_ks, const float* B, ptrdiff_t ldb, float beta, float* C,
                                ptrdiff_t ldc);
void rg_sgemm_nt_dot_avx2(int M, int N, int K, float alpha, const float* A, ptrdiff_t lda,
                          const float* B, ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc);

}
