// Element-wise kernels: activations, bias, residual adds.
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu/activation.h"

namespace rg::cpu {

void act_fwd(Act a, float* y, const float* x, size_t n) {
  if (a == Act::ReLU) {
    for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  } else {
    for (size_t i = 0; i < n; ++i)
      y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
  }
}

void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n) {
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

void bias_add(float* y, const float* b, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) y[(long)r * cols + c] += b[c];
}

void bias_grad(float* db, const float* dy, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) db[c] += dy[(long)r * cols + c];
}

void add_inplace(float* y, const float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += x[i];
}

void copy(float* y, const float* x, size_t n) {
  if (n) std::memmove(y, x, n * sizeof(float));
}

}  // namespace rg::cpu
