// AdamW, one element at a time, in torch.optim.AdamW's order of operations.
#include <cmath>

#include "cpu/adamw.h"

namespace rg::cpu {

void adamw_update_ref(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                      float weight_decay) {
  // Scalars in double as Python computes them, then rounded to fp32 as torch's CPU kernels do.
  double t = (double)h.step;
  double bc1 = 1.0 - std::pow((double)h.beta1, t);
  double bc2 = 1.0 - std::pow((double)h.beta2, t);
  float decay = (float)(1.0 - (double)h.lr * weight_decay);
  float b1 = h.beta1, b2 = h.beta2;
  float ob1 = (float)(1.0 - (double)h.beta1), ob2 = (float)(1.0 - (double)h.beta2);
  float step_size = (float)((double)h.lr / bc1);
  float bc2_sqrt = (float)std::sqrt(bc2);
  for (size_t i = 0; i < n; ++i) {
    float gi = g[i];
    float pi = p[i] * decay;
    float mi = b1 * m[i] + ob1 * gi;
    float vi = b2 * v[i] + ob2 * gi * gi;
    float denom = std::sqrt(vi) / bc2_sqrt + h.eps;
    p[i] = pi - step_size * mi / denom;
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace rg::cpu
