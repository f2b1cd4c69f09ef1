// The dropout mask on the GPU, for the kernels that fuse dropout into another pass
// (layernorm.cu, act_dropout.cu): element i of a tensor is kept iff
// u32_to_unit(philox4x32(seed, stream_id, i / 4)[i % 4]) >= p, then scaled by s = 1/(1-p)
// with one rounding (__fmul_rn), exactly as dropout.cu and the CPU.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common/rng.h"

namespace rg::cuda {

// A dropout mask, as dropout.cu applies it: keep with probability 1 - p, scale by s.
// slot: where a captured CUDA graph keeps the stream id (graph.h), so each replay reads the
// step's own id; null outside graphs, where sid itself is used.
struct Drop {
  float p = 0.0f, s = 1.0f;  // p <= 0: no dropout
  uint64_t seed = 0, sid = 0;
  const uint64_t* slot = nullptr;
};
inline Drop make_drop(float p, uint64_t seed, uint64_t sid, const uint64_t* slot = nullptr) {
  Drop d;
  d.slot = slot;
  d.p = p;
  d.s = p > 0.0f && p < 1.0f ? 1.0f / (1.0f - p) : (p > 0.0f ? 0.0f : 1.0f);  // host division, as the CPU
  d.seed = seed;
  d.sid = sid;
  return d;
}
__device__ __forceinline__ uint64_t sid_of(const Drop& d) { return d.slot ? __ldg(d.slot) : d.sid; }
__device__ __forceinline__ float masked(float v, uint32_t r, const Drop& d) {
  return u32_to_unit(r) >= d.p ? __fmul_rn(v, d.s) : 0.0f;
}
// Element i of the tensor (any i; the VEC = 1 paths).
__device__ __forceinline__ float drop1(float v, long long i, const Drop& d) {
  if (d.p <= 0.0f) return v;
  return masked(v, philox4x32(d.seed, sid_of(d), (uint64_t)i >> 2).v[i & 3], d);
}
// Elements 4b .. 4b + 3 (the VEC = 4 paths: one Philox block).
__device__ __forceinline__ float4 drop4(float4 v, long long b, const Drop& d) {
  if (d.p <= 0.0f) return v;
  const U32x4 r = philox4x32(d.seed, sid_of(d), (uint64_t)b);
  return make_float4(masked(v.x, r.v[0], d), masked(v.y, r.v[1], d), masked(v.z, r.v[2], d),
                     masked(v.w, r.v[3], d));
}

}  // namespace rg::cuda
