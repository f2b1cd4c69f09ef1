// Inverted dropout on the GPU with the CPU's counter-based Philox4x32-10 (common/rng.h is
// compiled for the device too): one thread per Philox block of four elements, so each
// 128-bit draw is used whole, as the CPU's vector kernels do. Masks equal the CPU's.
#include <cuda_runtime.h>

#include "common/rng.h"
#include "dropout_mask.cuh"
#include "kernels.h"

namespace rg::cuda {
namespace {

__global__ void dropout_kernel(float* y, const float* x, size_t n, Drop d) {
  const float p = d.p, s = d.s;
  const uint64_t seed = d.seed, stream_id = sid_of(d);
  const size_t blocks = (n + 3) / 4;
  for (size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks;
       b += (size_t)gridDim.x * blockDim.x) {
    const U32x4 r = philox4x32(seed, stream_id, b);
    const size_t i0 = b * 4;
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      const size_t i = i0 + l;
      if (i < n) y[i] = u32_to_unit(r.v[l]) >= p ? __fmul_rn(x[i], s) : 0.0f;
    }
  }
}

__global__ void copy_kernel(float* y, const float* x, size_t n) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    y[i] = x[i];
}

int grid_for(size_t work, int threads) {
  const size_t want = (work + threads - 1) / threads;
  return (int)(want < 65535 * 16 ? want : 65535 * 16);
}

int apply_mask(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream_id,
               Stream stream, const uint64_t* sid_slot) {
  if (n == 0) return (int)cudaSuccess;
  const int threads = 256;
  if (p <= 0.0f) {
    if (y != x) copy_kernel<<<grid_for(n, threads), threads, 0, (cudaStream_t)stream>>>(y, x, n);
    return (int)cudaGetLastError();
  }
  dropout_kernel<<<grid_for((n + 3) / 4, threads), threads, 0, (cudaStream_t)stream>>>(
      y, x, n, make_drop(p, seed, stream_id, sid_slot));
  return (int)cudaGetLastError();
}

}  // namespace

int dropout_fwd(float* y, const float* x, size_t n, float p, uint64_t seed, uint64_t stream_id,
                Stream stream, const uint64_t* sid_slot) {
  return apply_mask(y, x, n, p, seed, stream_id, stream, sid_slot);
}

int dropout_bwd(float* dx, const float* dy, size_t n, float p, uint64_t seed,
                uint64_t stream_id, Stream stream, const uint64_t* sid_slot) {
  return apply_mask(dx, dy, n, p, seed, stream_id, stream, sid_slot);
}

}  // namespace rg::cuda
