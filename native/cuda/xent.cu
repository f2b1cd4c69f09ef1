// Label-smoothed cross-entropy fused with softmax, and row-wise log-softmax (mirror
// cpu/xent.h and the CPU's xent_row). One block per row: one read of the row for its
// statistics (online max and sum of exp per thread, plus the sum of logits), a fixed
// reduction tree over the block, then one more read to write the gradient element-wise.
// The gradient may overwrite the logits (dlogits == logits): every element is read and
// written by the same thread, after the statistics pass, and x[t] is read before that pass
// ends. No float atomics: the results do not depend on timing.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarp;

struct Stats {
  float m;  // running max
  float s;  // sum of exp(x - m)
  float x;  // sum of x
};

__device__ __forceinline__ Stats combine(Stats a, Stats b) {
  Stats r;
  r.m = fmaxf(a.m, b.m);
  if (r.m == -INFINITY) {
    r.s = a.s + b.s;  // both empty (or every logit -inf): nothing to rescale
  } else {
    r.s = a.s * expf(a.m - r.m) + b.s * expf(b.m - r.m);
  }
  r.x = a.x + b.x;
  return r;
}

__device__ __forceinline__ void add(Stats& st, float v) {
  if (v > st.m) {
    st.s = st.s * expf(st.m - v) + 1.0f;
    st.m = v;
  } else if (v != -INFINITY) {  // -inf adds exp(-inf) = 0 (and -inf - -inf would be NaN)
    st.s += expf(v - st.m);
  }
  st.x += v;
}

// The block's statistics, the same in every thread (fixed tree: deterministic).
__device__ Stats block_stats(Stats st) {
  __shared__ Stats sh[kWarps];
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    Stats other;
    other.m = __shfl_xor_sync(0xffffffffu, st.m, o);
    other.s = __shfl_xor_sync(0xffffffffu, st.s, o);
    other.x = __shfl_xor_sync(0xffffffffu, st.x, o);
    st = combine(st, other);
  }
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0) sh[warp] = st;
  __syncthreads();
  Stats r = sh[0];
#pragma unroll
  for (int w = 1; w < kWarps; ++w) r = combine(r, sh[w]);
  return r;
}

// VEC = 4: V % 4 == 0 and the rows 16-byte aligned; VEC = 1 otherwise.
template <int VEC>
__device__ Stats row_stats(const float* x, int V) {
  Stats st{-INFINITY, 0.0f, 0.0f};
  const int nv = V / VEC;
  for (int j = threadIdx.x; j < nv; j += kThreads) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(x)[j];
      add(st, v.x);
      add(st, v.y);
      add(st, v.z);
      add(st, v.w);
    } else {
      add(st, x[j]);
    }
  }
  return block_stats(st);
}

template <int VEC>
__global__ void __launch_bounds__(kThreads)
xent_kernel(const float* logits, const int* __restrict__ targets, int V, float eps,
            int ignore_index, float gs_arg, const float* gs_slot, float* __restrict__ losses,
            float* __restrict__ target_logprob, float* dlogits) {
  const float gs = gs_slot ? __ldg(gs_slot) : gs_arg;  // graph replays read the step's scale
  const long i = blockIdx.x;
  const float* x = logits + i * V;
  float* d = dlogits ? dlogits + i * V : nullptr;
  const int t = targets[i];
  const int nv = V / VEC;
  if (t == ignore_index || t < 0 || t >= V) {  // t >= V: out of contract; treated as ignored
    if (threadIdx.x == 0) {
      if (losses) losses[i] = 0.0f;
      if (target_logprob) target_logprob[i] = 0.0f;
    }
    if (d) {
      for (int j = threadIdx.x; j < nv; j += kThreads) {
        if (VEC == 4)
          reinterpret_cast<float4*>(d)[j] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        else
          d[j] = 0.0f;
      }
    }
    return;
  }
  const float xt = x[t];  // read before the __syncthreads in row_stats: d may alias x
  const Stats st = row_stats<VEC>(x, V);
  const float mx = st.m, se = st.s;
  const float lse = mx + logf(se);
  if (threadIdx.x == 0) {
    if (losses)
      losses[i] = (float)((1.0 - eps) * ((double)lse - xt) +
                          eps * ((double)lse - (double)st.x / V));
    if (target_logprob) target_logprob[i] = xt - lse;
  }
  if (!d) return;
  // d = gs * (softmax - eps/V - (1 - eps) [v == t]), as exp(x - mx) * (gs / se) - gs*eps/V.
  const float a = gs / se, b = -gs * eps / (float)V, ct = gs * (1.0f - eps);
  for (int j = threadIdx.x; j < nv; j += kThreads) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(x)[j];
      float4 o;
      o.x = expf(v.x - mx) * a + b;
      o.y = expf(v.y - mx) * a + b;
      o.z = expf(v.z - mx) * a + b;
      o.w = expf(v.w - mx) * a + b;
      const int k = t - 4 * j;
      if (k == 0) o.x -= ct;
      if (k == 1) o.y -= ct;
      if (k == 2) o.z -= ct;
      if (k == 3) o.w -= ct;
      reinterpret_cast<float4*>(d)[j] = o;
    } else {
      float o = expf(x[j] - mx) * a + b;
      if (j == t) o -= ct;
      d[j] = o;
    }
  }
}

template <int VEC>
__global__ void __launch_bounds__(kThreads)
log_softmax_kernel(float* out, const float* logits, int V) {
  const long i = blockIdx.x;
  const float* x = logits + i * V;
  float* o = out + i * V;
  const Stats st = row_stats<VEC>(x, V);
  const float lse = st.m + logf(st.s);
  const int nv = V / VEC;
  for (int j = threadIdx.x; j < nv; j += kThreads) {
    if (VEC == 4) {
      float4 v = reinterpret_cast<const float4*>(x)[j];
      v.x -= lse;
      v.y -= lse;
      v.z -= lse;
      v.w -= lse;
      reinterpret_cast<float4*>(o)[j] = v;
    } else {
      o[j] = x[j] - lse;
    }
  }
}

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

}  // namespace

int xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                 int ignore_index, float grad_scale, float* losses, float* target_logprob,
                 float* dlogits, Stream stream, const float* grad_scale_slot) {
  if (N <= 0 || V <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (V % 4 == 0 && aligned16(logits) && (!dlogits || aligned16(dlogits)))
    xent_kernel<4><<<N, kThreads, 0, st>>>(logits, targets, V, eps, ignore_index, grad_scale,
                                           grad_scale_slot, losses, target_logprob, dlogits);
  else
    xent_kernel<1><<<N, kThreads, 0, st>>>(logits, targets, V, eps, ignore_index, grad_scale,
                                           grad_scale_slot, losses, target_logprob, dlogits);
  return (int)cudaGetLastError();
}

int log_softmax_rows(float* out, const float* logits, int N, int V, Stream stream) {
  if (N <= 0 || V <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (V % 4 == 0 && aligned16(out) && aligned16(logits))
    log_softmax_kernel<4><<<N, kThreads, 0, st>>>(out, logits, V);
  else
    log_softmax_kernel<1><<<N, kThreads, 0, st>>>(out, logits, V);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda
