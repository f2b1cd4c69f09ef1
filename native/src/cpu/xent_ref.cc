// Naive label-smoothed cross-entropy (double accumulation), the reference for tests.
#include <cmath>
#include <vector>

#include "cpu/xent.h"

namespace rg::cpu {

void xent_fwd_bwd_ref(const float* logits, const int* targets, int N, int V, float eps,
                      int ignore_index, float grad_scale, float* losses, float* target_logprob,
                      float* dlogits) {
  std::vector<double> g(V);
  for (int i = 0; i < N; ++i) {
    const float* x = logits + (long)i * V;
    int t = targets[i];
    if (t == ignore_index || t < 0) {
      if (losses) losses[i] = 0;
      if (target_logprob) target_logprob[i] = 0;
      if (dlogits)
        for (int v = 0; v < V; ++v) dlogits[(long)i * V + v] = 0;
      continue;
    }
    double mx = -INFINITY;
    for (int v = 0; v < V; ++v) mx = x[v] > mx ? x[v] : mx;
    double se = 0, sx = 0;
    for (int v = 0; v < V; ++v) {
      se += std::exp((double)x[v] - mx);
      sx += x[v];
    }
    double lse = mx + std::log(se);
    double tlp = x[t] - lse;
    // mean_v(-logp[v]) = lse - mean(x)
    double loss = (1.0 - eps) * -tlp + eps * (lse - sx / V);
    if (losses) losses[i] = (float)loss;
    if (target_logprob) target_logprob[i] = (float)tlp;
    if (dlogits) {
      for (int v = 0; v < V; ++v)
        g[v] = std::exp((double)x[v] - lse) - (double)eps / V - (v == t ? 1.0 - eps : 0.0);
      for (int v = 0; v < V; ++v) dlogits[(long)i * V + v] = (float)(grad_scale * g[v]);
    }
  }
}

}  // namespace rg::cpu
