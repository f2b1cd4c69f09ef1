// TEMPORARY (kernels branch): naive gemm_ref and gemm forwarding to it, so the addon links
// before the gemm branch lands. Replace with the gemm branch's files on merge.
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
      *c = beta == 0.0f ? (float)(alpha * acc) : (float)(alpha * acc + (double)beta * *c);
    }
}

void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  gemm_ref(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace rg::cpu
