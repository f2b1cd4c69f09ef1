// The feed-forward block's activation fused with its dropout (backend.h act_dropout_fwd /
// act_dropout_bwd): one pass instead of two. Forward y = dropout(act(x)); backward
// dx = act'(x) * dropout_bwd(dy). One thread per Philox block of four elements (float4 when
// every pointer is 16-byte aligned), the functors of activation.cuh and the masks of
// dropout_mask.cuh, so results equal the separate kernels' bit for bit.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"
#include "dropout_mask.cuh"
#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ uint16_t bf16_of(float v) {
  const __nv_bfloat16 b = __float2bfloat16_rn(v);
  return *reinterpret_cast<const uint16_t*>(&b);
}

// FWD: out = drop(op(x)) (and out16 = bf16(out) when given); else out = op(drop(dy), x),
// dy = a. out may alias a.
template <class Op, bool FWD, bool VEC4>
__global__ void act_drop_kernel(float* out, uint16_t* out16, const float* a, const float* x,
                                size_t n, Drop d, Op op) {
  const size_t blocks = (n + 3) / 4;
  for (size_t b = (size_t)blockIdx.x * blockDim.x + threadIdx.x; b < blocks;
       b += (size_t)gridDim.x * blockDim.x) {
    const size_t i0 = b * 4;
    if (VEC4 && i0 + 4 <= n) {
      const float4 xv = reinterpret_cast<const float4*>(x)[b];
      float4 o;
      if (FWD) {
        o = drop4(make_float4(op(xv.x, 0.0f), op(xv.y, 0.0f), op(xv.z, 0.0f), op(xv.w, 0.0f)),
                  (long long)b, d);
      } else {
        const float4 m = drop4(reinterpret_cast<const float4*>(a)[b], (long long)b, d);
        o = make_float4(op(m.x, xv.x), op(m.y, xv.y), op(m.z, xv.z), op(m.w, xv.w));
      }
      reinterpret_cast<float4*>(out)[b] = o;
      if (FWD && out16) {
        const __nv_bfloat162 lo = __floats2bfloat162_rn(o.x, o.y), hi = __floats2bfloat162_rn(o.z, o.w);
        uint2 u;
        u.x = *reinterpret_cast<const uint32_t*>(&lo);
        u.y = *reinterpret_cast<const uint32_t*>(&hi);
        reinterpret_cast<uint2*>(out16)[b] = u;
      }
    } else {
      for (size_t i = i0; i < i0 + 4 && i < n; ++i) {
        if (FWD) {
          out[i] = drop1(op(x[i], 0.0f), (long long)i, d);
          if (out16) out16[i] = bf16_of(out[i]);
        } else {
          out[i] = op(drop1(a[i], (long long)i, d), x[i]);
        }
      }
    }
  }
}

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

template <bool FWD, class Op>
int launch(float* out, uint16_t* out16, const float* a, const float* x, size_t n, const Drop& d,
           Op op, cudaStream_t st) {
  if (n == 0) return (int)cudaSuccess;
  const size_t want = ((n + 3) / 4 + kThreads - 1) / kThreads;
  const int grid = (int)(want < 65535 * 16 ? (want ? want : 1) : 65535 * 16);
  if (aligned16(out) && aligned16(x) && (FWD || aligned16(a)) && ((uintptr_t)out16 & 7u) == 0)
    act_drop_kernel<Op, FWD, true><<<grid, kThreads, 0, st>>>(out, out16, a, x, n, d, op);
  else
    act_drop_kernel<Op, FWD, false><<<grid, kThreads, 0, st>>>(out, out16, a, x, n, d, op);
  return (int)cudaGetLastError();
}

}  // namespace

int act_dropout_fwd(cpu::Act a, float* y, bf16_t* y16, const float* x, size_t n, float p,
                    uint64_t seed, uint64_t stream_id, Stream stream, const uint64_t* sid_slot) {
  const Drop d = make_drop(p, seed, stream_id, sid_slot);
  const cudaStream_t st = (cudaStream_t)stream;
  if (a == cpu::Act::ReLU) return launch<true>(y, y16, nullptr, x, n, d, ReluFwd{}, st);
  if (a == cpu::Act::GELU) return launch<true>(y, y16, nullptr, x, n, d, GeluFwd{}, st);
  return (int)cudaErrorInvalidValue;
}

int act_dropout_bwd(cpu::Act a, float* dx, const float* dy, const float* x, size_t n, float p,
                    uint64_t seed, uint64_t stream_id, Stream stream, const uint64_t* sid_slot) {
  const Drop d = make_drop(p, seed, stream_id, sid_slot);
  const cudaStream_t st = (cudaStream_t)stream;
  if (a == cpu::Act::ReLU) return launch<false>(dx, nullptr, dy, x, n, d, ReluBwd{}, st);
  if (a == cpu::Act::GELU) return launch<false>(dx, nullptr, dy, x, n, d, GeluBwd{}, st);
  return (int)cudaErrorInvalidValue;
}

}  // namespace rg::cuda
