// Shared by the attention kernel files (attention.cu: the launchers; attention_f32.cu: the
// fp32 SIMT kernels; attention_bf16.cu: the tensor-core kernels): the kernels' parameter
// block, the mask rules, tile loads and the launch helper. See attention.cu for the design.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "kernels.h"

namespace rg::cuda::attn {

struct Params {
  const float* q;
  const float* k;
  const float* v;
  const int* k_len;  // nullable: every key visible (up to the causal bound)
  const float* o;     // forward output (backward only)
  const float* dout;  // backward only
  const float* lse;   // backward only (the forward writes lse_out)
  float* out;
  float* lse_out;  // nullable
  float* dsum;     // [B, H, Tq] scratch (bf16 backward): rowsum(dO * O)
  float* dq;
  float* dk;
  float* dv;
  int B, H, Tq, Tk, dh;
  long ldq, ldk, ldv, ldo, q_bs, k_bs, v_bs, o_bs;
  int causal;
  float scale;
};

constexpr int kMaxDh = 128;

// Visible keys of batch b: k_len clamped to [0, Tk] (as the CPU kernels).
__device__ __forceinline__ int key_len(const Params& p, int b) {
  const int kl = p.k_len ? p.k_len[b] : p.Tk;
  return kl < 0 ? 0 : (kl > p.Tk ? p.Tk : kl);
}

// Row i sees exactly the keys j < key_end(i).
__device__ __forceinline__ int key_end(const Params& p, int klen, int i) {
  int e = klen;
  if (p.causal) {
    const long c = (long)i + (long)(p.Tk - p.Tq) + 1;
    if (c < (long)e) e = c < 0 ? 0 : (int)c;
  }
  return e;
}

// Loads rows [r0, r0 + R) of a head's [T, dh] view into s[R][D + 1] (padded row), zeros
// for rows >= rend and columns >= dh. NT threads cooperate.
template <int R, int D, int NT>
__device__ __forceinline__ void load_tile(float* __restrict__ s, const float* __restrict__ g,
                                          long ld, int r0, int rend, int dh) {
  constexpr int DP = D + 1;
  for (int x = threadIdx.x; x < R * D; x += NT) {
    const int r = x / D, c = x % D;
    const int row = r0 + r;
    s[r * DP + c] = (row < rend && c < dh) ? g[(long)row * ld + c] : 0.0f;
  }
}

template <int W>
__device__ __forceinline__ float group_max(float x) {
#pragma unroll
  for (int off = W / 2; off > 0; off /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, off));
  return x;
}
template <int W>
__device__ __forceinline__ float group_sum(float x) {
#pragma unroll
  for (int off = W / 2; off > 0; off /= 2) x += __shfl_xor_sync(0xffffffffu, x, off);
  return x;
}

// ---- launch helpers -------------------------------------------------------------------
template <typename... KArgs, typename... Args>
inline cudaError_t launch(void (*kernel)(KArgs...), dim3 grid, int threads, size_t smem, cudaStream_t stream,
                   const Args&... args) {
  if (grid.x == 0 || grid.y == 0) return cudaSuccess;
  cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  if (err != cudaSuccess) return err;
  kernel<<<grid, threads, smem, stream>>>(args...);
  return cudaGetLastError();
}

inline unsigned ceil_div(long a, long b) { return (unsigned)((a + b - 1) / b); }

inline bool aligned16(const void* ptr) { return ((uintptr_t)ptr & 15u) == 0; }

// float4 tile loads: dh % 4 == 0, every stride a multiple of 4 floats, 16-byte aligned bases.
inline int vec_ok(const Params& p, bool bwd) {
  if (p.dh % 4) return 0;
  if ((p.ldq | p.ldk | p.ldv | p.ldo | p.q_bs | p.k_bs | p.v_bs | p.o_bs) & 3L) return 0;
  if (!aligned16(p.q) || !aligned16(p.k) || !aligned16(p.v)) return 0;
  if (bwd && !aligned16(p.dout)) return 0;
  return 1;
}

// Launchers of the two kernel sets, dispatched on dh (attention_f32.cu, attention_bf16.cu).
// p is complete (attention.cu's make_params plus pointers); shapes are already checked.
cudaError_t fwd_f32(const Params& p, cudaStream_t st);
cudaError_t bwd_f32(const Params& p, cudaStream_t st);
// split: P and dS as bf16 hi + lo (attention_set_split).
cudaError_t fwd_bf16(const Params& p, bool split, cudaStream_t st);
cudaError_t bwd_bf16(const Params& p, bool split, cudaStream_t st);  // p.dsum: [B, H, Tq] scratch

}  // namespace rg::cuda::attn
