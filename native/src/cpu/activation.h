// Element-wise pieces of the feed-forward block, bias handling and residual adds.
#pragma once
#include <cstddef>

namespace rg::cpu {

enum class Act { ReLU = 0, GELU = 1 };  // GELU: exact erf form (PyTorch's default)

void act_fwd(Act a, float* y, const float* x, size_t n);               // y may alias x
void act_bwd(Act a, float* dx, const float* dy, const float* x, size_t n);  // dx = dy*f'(x), may alias dy
// Scalar references (std::erf), for tests.
void act_fwd_ref(Act a, float* y, const float* x, size_t n);
void act_bwd_ref(Act a, float* dx, const float* dy, const float* x, size_t n);
void bias_add(float* y, const float* b, int rows, int cols);           // y[r,:] += b
void bias_grad(float* db, const float* dy, int rows, int cols);        // db += column sums, deterministic
void add_inplace(float* y, const float* x, size_t n);                  // y += x
void copy(float* y, const float* x, size_t n);

}  // namespace rg::cpu
