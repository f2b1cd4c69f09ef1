// Cross-entropy, optimized: rows in parallel; per row three vectorized passes (max and sum of
// logits; sum of exp; gradient with exp recomputed), see xent_row in rowkernels.inc.
#include "common/threadpool.h"
#include "cpu/simd_isa.h"
#include "cpu/xent.h"

namespace rg::cpu {

void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                  int ignore_index, float grad_scale, float* losses, float* target_logprob,
                  float* dlogits) {
  if (N <= 0) return;
  const IsaKernels& K = isa_kernels();
  rg::parallel_for((size_t)N, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const float* x = logits + (long)i * V;
      float* d = dlogits ? dlogits + (long)i * V : nullptr;
      const int t = targets[i];
      if (t == ignore_index || t < 0) {
        if (losses) losses[i] = 0;
        if (target_logprob) target_logprob[i] = 0;
        if (d)
          for (int v = 0; v < V; ++v) d[v] = 0;
        continue;
      }
      K.xent_row(x, V, t, eps, grad_scale, losses ? losses + i : nullptr,
                 target_logprob ? target_logprob + i : nullptr, d);
    }
  });
}

void log_softmax_rows(float* out, const float* logits, int N, int V) {
  if (N <= 0) return;
  const IsaKernels& K = isa_kernels();
  rg::parallel_for((size_t)N, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) K.log_softmax_row(out + (long)i * V, logits + (long)i * V, V);
  });
}

}  // namespace rg::cpu
