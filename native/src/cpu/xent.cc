#include <cmath>

#include "cpu/xent.h"

namespace rg::cpu {

void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                  int ignore_index, float grad_scale, float* losses, float* target_logprob,
                  float* dlogits) {
  xent_fwd_bwd_ref(logits, targets, N, V, eps, ignore_index, grad_scale, losses, target_logprob,
                   dlogits);
}

void log_softmax_rows(float* out, const float* logits, int N, int V) {
  for (int i = 0; i < N; ++i) {
    const float* x = logits + (long)i * V;
    float* o = out + (long)i * V;
    float mx = -INFINITY;
    for (int v = 0; v < V; ++v) mx = x[v] > mx ? x[v] : mx;
    double se = 0;
    for (int v = 0; v < V; ++v) se += std::exp((double)x[v] - mx);
    float lse = (float)(mx + std::log(se));
    for (int v = 0; v < V; ++v) o[v] = x[v] - lse;
  }
}

}  // namespace rg::cpu
