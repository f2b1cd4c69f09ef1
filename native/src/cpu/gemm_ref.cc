// Naive GEMM reference: triple loop, double accumulation. Used only by tests and
// benchmarks as the ground truth for rg::cpu::gemm (gemm.cc).
#include "cpu/gemm.h"

namespace rg::cpu {

void gemm_ref(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
              const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int p = 0; p < K; ++p) {
        double a = transA ? A[(long)p * lda + i] : A[(long)i * lda + p];
        double b = transB ? B[(long)j * ldb + p] : B[(long)p * ldb + j];
        acc += a * b;
      }
      float* c = C + (long)i * ldc + j;
      // beta == 0: C is write-only (NaN in C must not propagate).
      *c = beta == 0.0f ? (float)((double)alpha * acc)
                        : (float)((double)alpha * acc + (double)beta * (double)*c);
    }
}

}  // namespace rg::cpu
