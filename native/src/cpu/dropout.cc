// Inverted dropout with a counter-based mask recomputed in backward. One Philox block gives
// the uniforms of four consecutive elements; blocks of elements run in parallel.
#include "common/rng.h"
#include "cpu/dropout.h"
#include "common/cpu_features.h"
#include "cpu/dropout_isa.h"
#include "cpu/parallel_util.h"

namespace rg::cpu {

static void apply_mask(float* y, const float* x, size_t n, float p, uint64_t seed,
                       uint64_t stream) {
  if (p <= 0.0f) {
    if (y != x)
      parallel_blocks(n, 65536, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) y[i] = x[i];
      });
    return;
  }
  const float s = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  // Grain is a multiple of 4, so every block starts on a Philox block boundary.
  if (active_isa() == Isa::Avx512) {
    parallel_blocks(n, 8192, [&](size_t b, size_t e) { dropout_range_avx512(y, x, b, e, p, s, seed, stream); });
    return;
  }
  parallel_blocks(n, 8192, [&](size_t b, size_t e) {
    size_t i = b;
    for (; i + 4 <= e; i += 4) {
      U32x4 r = philox4x32(seed, stream, i >> 2);
      for (int l = 0; l < 4; ++l) y[i + l] = u32_to_unit(r.v[l]) >= p ? x[i + l] * s : 0.0f;
    }
    for (; i < e; ++i) y[i] = uniform_at(seed, stream, i) >= p ? x[i] * s : 0.0f;
  });
}

void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream) {
  apply_mask(y, x, n, p, seed, stream);
}

void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream) {
  apply_mask(dx, dy, n, p, seed, stream);
}

}  // namespace rg::cpu
