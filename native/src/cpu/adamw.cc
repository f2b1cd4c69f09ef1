#include "cpu/adamw.h"

namespace rg::cpu {

void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                  float weight_decay) {
  adamw_update_ref(p, g, m, v, n, h, weight_decay);
}

double sum_squares(const float* x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += (double)x[i] * x[i];
  return s;
}

void scale_inplace(float* x, size_t n, float s) {
  for (size_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace rg::cpu
