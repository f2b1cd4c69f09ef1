// Activation functions and their derivatives on the GPU, as functors op(a, b) (the
// element-wise kernels' form): shared by elementwise.cu and act_dropout.cu so both compute
// exactly the same numbers (__f*_rn: no contraction that the CPU reference does not do).
#pragma once
#include <cuda_runtime.h>

namespace rg::cuda {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// op(a, b): element i of the output from element i of a and b (b unused by unary ops).
struct ReluFwd {
  __device__ float operator()(float x, float) const { return x > 0.0f ? x : 0.0f; }
};
struct GeluFwd {
  __device__ float operator()(float x, float) const {
    return __fmul_rn(__fmul_rn(0.5f, x), __fadd_rn(1.0f, erff(__fmul_rn(x, kInvSqrt2))));
  }
};
struct ReluBwd {  // a = dy, b = x
  __device__ float operator()(float dy, float x) const { return x > 0.0f ? dy : 0.0f; }
};
struct GeluBwd {  // a = dy, b = x
  __device__ float operator()(float dy, float x) const {
    const float cdf = __fmul_rn(0.5f, __fadd_rn(1.0f, erff(__fmul_rn(x, kInvSqrt2))));
    const float pdf = __fmul_rn(kInvSqrt2Pi, expf(__fmul_rn(__fmul_rn(-0.5f, x), x)));
    return __fmul_rn(dy, __fadd_rn(cdf, __fmul_rn(x, pdf)));
  }
};
}  // namespace rg::cuda
