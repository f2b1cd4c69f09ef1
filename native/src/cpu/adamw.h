// AdamW exactly as torch.optim.AdamW (decoupled weight decay) and global-norm clipping.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rg::cpu {

struct AdamWHyper {
  float lr, beta1, beta2, eps;
  int64_t step;  // 1-based, after increment
};
// p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                  float weight_decay);
void adamw_update_ref(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                      float weight_decay);

// Sum of squares in double, fixed chunking (deterministic for any thread count).
double sum_squares(const float* x, size_t n);
void scale_inplace(float* x, size_t n, float s);

}  // namespace rg::cpu
