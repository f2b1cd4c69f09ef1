// Element-wise kernels: activations, bias, residual adds; blocks of elements in parallel.
// bias_grad reduces over fixed chunks of rows (independent of the thread count).
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu/activation.h"
#include "cpu/parallel_util.h"
#include "cpu/simd_isa.h"

namespace rg::cpu {

static constexpr size_t kGrain = 16384;

void act_fwd_ref(Act a, float* y, const float* x, size_t n) {
  if (a == Act::ReLU) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  } else {
    for (size_t i = 0; i < n; ++i)
      y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
  }
}

void act_bwd_ref(Act a, float* dx, const float* dy, const float* x, size_t n) {
  if (a == Act::ReLU) {
    for (size_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
  } else {
    for (size_t i = 0; i < n; ++i) {
      float xi = x[i];
      float cdf = 0.5f * (1.0f + std::erf(xi * 0.70710678118654752f));
      float pdf = 0.39894228040143268f * std::exp(-0.5f * xi * xi);
      dx[i] = dy[i] * (cdf + xi * pdf);
    }
  }
}

// ReLU: blocks of elements in parallel. GELU: the ISA's vectorized erf/exp (simd_isa.h).
void act_fwd(Act a, float* y, const float* x, size_t n) {
  if (a == Act::ReLU) {
    parallel_blocks(n, kGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    });
  } else {
    const IsaKernels& K = isa_kernels();
    parallel_blocks(n, kGrain, [&](size_t b, size_t e) { K.gelu_fwd(y + b, x + b, (long)(e - b)); });
  }
}

void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) {
  if (a == Act::ReLU) {
    parallel_blocks(n, kGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
    });
  } else {
    const IsaKernels& K = isa_kernels();
    parallel_blocks(n, kGrain, [&](size_t b, size_t e) {
      K.gelu_bwd(dx + b, dy + b, x + b, (long)(e - b));
    });
  }
}

void bias_add(float* y, const float* b, int rows, int cols) {
  size_t grain = std::max<size_t>(1, kGrain / std::max(cols, 1));
  parallel_blocks((size_t)rows, grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      float* yr = y + (long)r * cols;
      for (int c = 0; c < cols; ++c) yr[c] += b[c];
    }
  });
}

void bias_grad(float* db, const float* dy, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return;
  constexpr int kChunk = 64;
  const size_t chunks = ((size_t)rows + kChunk - 1) / kChunk;
  std::vector<float> part(chunks * (size_t)cols, 0.0f);
  rg::parallel_chunks(chunks, [&](size_t ch) {
    float* __restrict p = part.data() + ch * cols;
    const int r1 = std::min(rows, (int)(ch + 1) * kChunk);
    for (int r = (int)ch * kChunk; r < r1; ++r) {
      const float* __restrict d = dy + (long)r * cols;
      for (int c = 0; c < cols; ++c) p[c] += d[c];
    }
  });
  // Partials added in chunk order (per column), in double.
  std::vector<double> acc(cols, 0.0);
  for (size_t ch = 0; ch < chunks; ++ch) {
    const float* p = part.data() + ch * cols;
    for (int c = 0; c < cols; ++c) acc[c] += p[c];
  }
  for (int c = 0; c < cols; ++c) db[c] += (float)acc[c];
}

void add_inplace(float* y, const float* x, size_t n) {
  parallel_blocks(n, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) y[i] += x[i];
  });
}

void copy(float* y, const float* x, size_t n) {
  if (n == 0 || y == x) return;
  if (y + n <= x || x + n <= y) {
    parallel_blocks(n, 4 * kGrain, [&](size_t b, size_t e) {
      std::memcpy(y + b, x + b, (e - b) * sizeof(float));
    });
  } else {
    std::memmove(y, x, n * sizeof(float));
  }
}

}  // namespace rg::cpu
