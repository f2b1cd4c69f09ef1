// GEMM, fp32, row-major: C[M,N] = alpha * op(A) * op(B) + beta * C.
// op(A) is M x K: A is M x K with row stride lda (transA = false) or K x M (transA = true).
// op(B) is K x N: B is K x N with row stride ldb (transB = false) or N x K (transB = true).
// beta == 0 means C is overwritten (never read, so NaN/garbage in C is ignored).
// Deterministic: every C element is accumulated by one thread in a fixed order, so the
// result does not depend on the thread count (no split-K across threads).
#pragma once

namespace rg::cpu {

// Optimised: packed, cache-blocked, vectorised (run-time ISA), multithreaded.
void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

// Naive reference (triple loop, double accumulation) for tests.
void gemm_ref(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
              const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace rg::cpu
