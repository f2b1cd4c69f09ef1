// AdamW on the GPU: one thread per element (grid-stride), scalars computed on the host in
// double exactly as cpu/adamw_ref.cc does, element math with __f*_rn intrinsics so nvcc
// cannot contract it into FMAs: the result equals the CPU reference bit for bit.
#include <cmath>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "kernels.h"

namespace rg::cuda {
namespace {

struct AdamWScalars {
  float decay, b1, b2, ob1, ob2, step_size, bc2_sqrt, eps;
};

// One element's update; `decay` is s.decay, or 1 for a tensor without weight decay.
// Returns the new parameter value.
__device__ __forceinline__ float adamw_elem(float* p, float* m, float* v, float gi,
                                            const AdamWScalars& s, float decay) {
  const float pi = __fmul_rn(*p, decay);
  const float mi = __fadd_rn(__fmul_rn(s.b1, *m), __fmul_rn(s.ob1, gi));
  const float vi = __fadd_rn(__fmul_rn(s.b2, *v), __fmul_rn(__fmul_rn(s.ob2, gi), gi));
  const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), s.bc2_sqrt), s.eps);
  const float pn = __fsub_rn(pi, __fdiv_rn(__fmul_rn(s.step_size, mi), denom));
  *p = pn;
  *m = mi;
  *v = vi;
  return pn;
}

__global__ void adamw_kernel(float* __restrict__ p, const float* __restrict__ g,
                             float* __restrict__ m, float* __restrict__ v, size_t n,
                             AdamWScalars s) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    adamw_elem(p + i, m + i, v + i, g[i], s, s.decay);
}

// Many tensors in one launch (clip_adamw): block b updates chunk b (a gap chunk: only
// clips G). The clipping factor is computed on the device from the gradient's sum of
// squares, in double exactly as Backend::clip_adamw does on the host, so no value has to
// come back to the host mid-step.
// P16: the bf16 copy the bf16 GEMMs read, rewritten from the new values on the way.
__global__ void clip_adamw_kernel(float* __restrict__ P, uint16_t* __restrict__ P16,
                                  float* __restrict__ G,
                                  float* __restrict__ M, float* __restrict__ V,
                                  const AdamChunk* __restrict__ chunks, AdamWScalars s,
                                  const double* __restrict__ sumsq, double clip_norm) {
  const AdamChunk c = chunks[blockIdx.x];
  bool scale = false;
  float coef = 1.0f;
  if (sumsq && clip_norm > 0.0) {
    const double k = clip_norm / (sqrt(*sumsq) + 1e-6);
    scale = k < 1.0;
    coef = (float)k;
  }
  if (!c.update) {  // a gap between tensors: G is clipped there too (scale_inplace's whole G)
    if (scale)
      for (size_t j = threadIdx.x; j < c.size; j += blockDim.x) G[c.offset + j] = __fmul_rn(G[c.offset + j], coef);
    return;
  }
  const float decay = c.decay ? s.decay : 1.0f;
  for (size_t j = threadIdx.x; j < c.size; j += blockDim.x) {
    const size_t i = c.offset + j;
    float gi = G[i];
    if (scale) {
      gi = __fmul_rn(gi, coef);
      G[i] = gi;  // left clipped, as scale_inplace leaves it
    }
    const float pn = adamw_elem(P + i, M + i, V + i, gi, s, decay);
    if (P16) P16[i] = __bfloat16_as_ushort(__float2bfloat16_rn(pn));
  }
}

AdamWScalars scalars(const cpu::AdamWHyper& h, float weight_decay) {
  const double t = (double)h.step;
  const double bc1 = 1.0 - std::pow((double)h.beta1, t);
  const double bc2 = 1.0 - std::pow((double)h.beta2, t);
  AdamWScalars s;
  s.decay = (float)(1.0 - (double)h.lr * weight_decay);
  s.b1 = h.beta1;
  s.b2 = h.beta2;
  s.ob1 = (float)(1.0 - (double)h.beta1);
  s.ob2 = (float)(1.0 - (double)h.beta2);
  s.step_size = (float)((double)h.lr / bc1);
  s.bc2_sqrt = (float)std::sqrt(bc2);
  s.eps = h.eps;
  return s;
}

}  // namespace

int clip_adamw(float* P, bf16_t* P16, float* G, float* M, float* V, const AdamChunk* chunks,
               int n_chunks, const cpu::AdamWHyper& h, float weight_decay, const double* sumsq,
               double clip_norm, Stream stream) {
  if (n_chunks <= 0) return (int)cudaSuccess;
  const AdamWScalars s = scalars(h, weight_decay);
  clip_adamw_kernel<<<n_chunks, 256, 0, (cudaStream_t)stream>>>(P, P16, G, M, V, chunks, s,
                                                                sumsq, clip_norm);
  return (int)cudaGetLastError();
}

int adamw_update(float* p, const float* g, float* m, float* v, size_t n,
                 const cpu::AdamWHyper& h, float weight_decay, Stream stream) {
  if (n == 0) return (int)cudaSuccess;
  const AdamWScalars s = scalars(h, weight_decay);
  const int threads = 256;
  const size_t want = (n + threads - 1) / threads;
  const int blocks = (int)(want < 65535 * 16 ? want : 65535 * 16);
  adamw_kernel<<<blocks, threads, 0, (cudaStream_t)stream>>>(p, g, m, v, n, s);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda
