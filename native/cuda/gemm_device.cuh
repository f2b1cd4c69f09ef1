// Device code both GEMM kernels share (gemm_tc.cu's mma.sync kernel and gemm_wgmma.cu's
// Hopper kernel): the block -> tile raster, and the output store of two adjacent columns
// with the arithmetic of gemm_internal.h's Out modes, so both kernels give the same bits
// for the same sums.
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "gemm_internal.h"

namespace rg::cuda::gemm_detail {

// Block `pid` -> output tile (tm, tn) of a tiles_m x tiles_n grid, rastered in groups of 8
// tile rows so concurrent blocks share operands in L2.
__device__ __forceinline__ void grouped_tile(int pid, int tiles_m, int tiles_n, int& tm, int& tn) {
  constexpr int GROUP = 8;
  const int per_group = GROUP * tiles_n;
  const int first_m = (pid / per_group) * GROUP;
  const int gsize = min(tiles_m - first_m, GROUP);
  tm = first_m + (pid % per_group) % gsize;
  tn = (pid % per_group) / gsize;
}

// P: the kernel's parameters (gemm_internal.h's Problem, or the Hopper kernel's), with C,
// M, N, alpha, beta and bias as Problem has them.
// Whether two adjacent columns can be stored as one aligned vector.
template <Out OUT, class P>
__device__ __forceinline__ bool pair_ok(const P& p, long long ldc) {
  if constexpr (OUT == Out::BF16) return (ldc % 2 == 0) && ((reinterpret_cast<uintptr_t>(p.C) & 3) == 0);
  else if constexpr (OUT == Out::F32) return (ldc % 2 == 0) && ((reinterpret_cast<uintptr_t>(p.C) & 7) == 0);
  else return p.N % 2 == 0;  // the split-K workspace is cudaMalloc'd (aligned)
}

// Stores (v0, v1) at (row, col) and, when `two`, col + 1. BF16: rounded; F32: alpha, beta
// (C read only when beta != 0), then the bias with one rounding (as a separate bias_add);
// PARTIAL: raw, into split slice `slice` of the [splits][M][N] workspace.
template <Out OUT, class P>
__device__ __forceinline__ void store_pair(const P& p, long long ldc, long long slice, int row, int col,
                                           bool two, bool pair, float v0, float v1) {
  if constexpr (OUT == Out::BF16) {
    uint16_t* c = static_cast<uint16_t*>(p.C) + (long long)row * ldc + col;
    if (two && pair) {
      *reinterpret_cast<__nv_bfloat162*>(c) = __floats2bfloat162_rn(v0, v1);
    } else {
      __nv_bfloat16 b0 = __float2bfloat16_rn(v0);
      c[0] = *reinterpret_cast<uint16_t*>(&b0);
      if (two) {
        __nv_bfloat16 b1 = __float2bfloat16_rn(v1);
        c[1] = *reinterpret_cast<uint16_t*>(&b1);
      }
    }
  } else if constexpr (OUT == Out::F32) {
    float* c = static_cast<float*>(p.C) + (long long)row * ldc + col;
    float r0 = p.alpha * v0, r1 = p.alpha * v1;
    if (p.beta != 0.0f) {
      r0 += p.beta * c[0];
      if (two) r1 += p.beta * c[1];
    }
    if (p.bias) {
      r0 = __fadd_rn(r0, p.bias[col]);
      if (two) r1 = __fadd_rn(r1, p.bias[col + 1]);
    }
    if (two && pair) {
      *reinterpret_cast<float2*>(c) = make_float2(r0, r1);
    } else {
      c[0] = r0;
      if (two) c[1] = r1;
    }
  } else {
    float* c = static_cast<float*>(p.C) + slice * p.M * p.N + (long long)row * ldc + col;
    if (two && pair) {
      *reinterpret_cast<float2*>(c) = make_float2(v0, v1);
    } else {
      c[0] = v0;
      if (two) c[1] = v1;
    }
  }
}

}  // namespace rg::cuda::gemm_detail
