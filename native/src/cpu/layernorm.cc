// Layer norm, optimized: rows in parallel with the ISA's row kernels. Backward reduces
// dgamma/dbeta over fixed chunks of kChunk rows (independent of the thread count), each chunk
// a float partial, the partials summed in chunk order in double: deterministic.
#include <vector>

#include "common/threadpool.h"
#include "cpu/layernorm.h"
#include "cpu/parallel_util.h"
#include "cpu/simd_isa.h"

namespace rg::cpu {

static constexpr int kChunk = 32;

void layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                   const float* beta, int rows, int cols, float eps) {
  const IsaKernels& K = isa_kernels();
  parallel_blocks((size_t)rows, 8, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r)
      K.layernorm_fwd_row(y + (long)r * cols, mean + r, rstd + r, x + (long)r * cols, gamma, beta,
                          cols, eps);
  });
}

void layernorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                   const float* mean, const float* rstd, const float* gamma, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  const IsaKernels& K = isa_kernels();
  const size_t chunks = ((size_t)rows + kChunk - 1) / kChunk;
  std::vector<float> part(chunks * 2 * (size_t)cols, 0.0f);
  rg::parallel_chunks(chunks, [&](size_t c) {
    float* pg = part.data() + c * 2 * cols;
    float* pb = pg + cols;
    const int r1 = std::min(rows, (int)(c + 1) * kChunk);
    for (int r = (int)c * kChunk; r < r1; ++r)
      K.layernorm_bwd_row(dx + (long)r * cols, pg, pb, dy + (long)r * cols, x + (long)r * cols,
                          mean[r], rstd[r], gamma, cols);
  });
  // Partials added in chunk order (per column), in double.
  std::vector<double> acc(2 * (size_t)cols, 0.0);
  for (size_t c = 0; c < chunks; ++c) {
    const float* p = part.data() + c * 2 * cols;
    for (int j = 0; j < 2 * cols; ++j) acc[j] += p[j];
  }
  for (int col = 0; col < cols; ++col) {
    dgamma[col] += (float)acc[col];
    dbeta[col] += (float)acc[cols + col];
  }
}

}  // namespace rg::cpu
