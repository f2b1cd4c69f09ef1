// Inverted dropout with a counter-based mask recomputed in backward.
#include "common/rng.h"
#include "cpu/dropout.h"

namespace rg::cpu {

void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream) {
  if (p <= 0.0f) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i];
    return;
  }
  float s = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  for (size_t i = 0; i < n; ++i) y[i] = uniform_at(seed, stream, i) >= p ? x[i] * s : 0.0f;
}

void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream) {
  dropout_fwd(dx, dy, n, p, seed, stream);
}

}  // namespace rg::cpu
