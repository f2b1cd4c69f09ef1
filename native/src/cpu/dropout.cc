// Inverted dropout with a counter-based mask recomputed in backward. The ISA kernels run
// Philox4x32-10 on 8 or 16 counters at once (each gives the uniforms of four consecutive
// elements); blocks of elements run in parallel. The numbers are exactly rg::uniform_at's.
#include "common/rng.h"
#include "cpu/dropout.h"
#include "cpu/parallel_util.h"
#include "cpu/simd_isa.h"

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
  const IsaKernels& K = isa_kernels();
  // Grain is a multiple of 64, so every block starts on a vector group of Philox blocks.
  parallel_blocks(n, 8192, [&](size_t b, size_t e) {
    K.dropout(y + b, x + b, (long)(e - b), b, p, s, seed, stream);
  });
}

void dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream) {
  apply_mask(y, x, n, p, seed, stream);
}

void dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed, uint64_t stream) {
  apply_mask(dx, dy, n, p, seed, stream);
}

}  // namespace rg::cpu
