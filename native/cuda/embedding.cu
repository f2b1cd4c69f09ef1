// Token embedding on the GPU (mirrors cpu/embedding.h). Forward: one thread per output
// element (float4 when aligned). Backward, deterministic without float atomics: tokens are
// bucketed by id (int atomics: count, exclusive scan, scatter), then one block per id adds
// its tokens' rows into dE[id] in increasing token order, each step rounded as the CPU's
// `row[c] += scale * g[c]` (no FMA), so dE equals the CPU's bit for bit. The scatter's
// order within a bucket depends on timing, so a block sorts its bucket (bitonic sort in
// shared memory, up to kSortCap tokens); a larger bucket (a very frequent id) is instead
// gathered in order by scanning all ids tile by tile (at most N / kSortCap such buckets).
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kSumThreads = 128;  // block of the per-id sum kernel
constexpr int kSortCap = 4096;    // largest bucket sorted in shared memory (power of two)
constexpr int kScanThreads = 1024;

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

int grid_for(size_t work, int threads) {
  const size_t want = (work + threads - 1) / threads;
  return (int)(want < 65535 * 16 ? want : 65535 * 16);
}

// out[i, :] = scale * E[ids[i], :] + pe[pos0 + i % T, :]; nv = d / VEC vectors per row.
template <int VEC>
__global__ void embed_fwd_kernel(float* __restrict__ out, const float* __restrict__ E,
                                 const int* __restrict__ ids, int N, int T, int pos0_arg,
                                 const int* __restrict__ pos0_slot, int d, float scale,
                                 const float* __restrict__ pe) {
  const int pos0 = pos0_slot ? *pos0_slot : pos0_arg;  // graph replays read the step's position
  const int nv = d / VEC;
  const size_t total = (size_t)N * nv;
  for (size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x; k < total;
       k += (size_t)gridDim.x * blockDim.x) {
    const long i = (long)(k / nv);
    const int j = (int)(k % nv);
    const float* e = E + (long)ids[i] * d;
    const float* p = pe + (long)(pos0 + (int)(i % T)) * d;
    if (VEC == 4) {
      const float4 a = reinterpret_cast<const float4*>(e)[j];
      const float4 b = reinterpret_cast<const float4*>(p)[j];
      float4 o;
      o.x = __fadd_rn(__fmul_rn(scale, a.x), b.x);
      o.y = __fadd_rn(__fmul_rn(scale, a.y), b.y);
      o.z = __fadd_rn(__fmul_rn(scale, a.z), b.z);
      o.w = __fadd_rn(__fmul_rn(scale, a.w), b.w);
      reinterpret_cast<float4*>(out + i * d)[j] = o;
    } else {
      out[i * d + j] = __fadd_rn(__fmul_rn(scale, e[j]), p[j]);
    }
  }
}

// counts[id] = number of tokens with that id (ids outside [0, V) are skipped).
__global__ void count_kernel(int* __restrict__ counts, const int* __restrict__ ids, int N, int V) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N; i += gridDim.x * blockDim.x) {
    const int id = ids[i];
    if (id >= 0 && id < V) atomicAdd(&counts[id], 1);
  }
}

// offsets[v] = sum of counts[0..v) for v in [0, V], one block of kScanThreads threads, each
// over a contiguous range of counts.
__global__ void __launch_bounds__(kScanThreads)
scan_kernel(int* __restrict__ offsets, const int* __restrict__ counts, int V) {
  __shared__ int warp_tot[kScanThreads / kWarp];
  const int t = threadIdx.x, lane = t % kWarp, warp = t / kWarp;
  const int per = (V + kScanThreads - 1) / kScanThreads;
  const long b = (long)t * per;
  const long e = b + per < V ? b + per : V;
  int local = 0;
  for (long v0 = b; v0 < e; v0 += 16) {  // 16 independent loads in flight, then their sum
    int c[16];
#pragma unroll
    for (int u = 0; u < 16; ++u) c[u] = v0 + u < e ? counts[v0 + u] : 0;
#pragma unroll
    for (int u = 0; u < 16; ++u) local += c[u];
  }
  // Inclusive scan within the warp.
  int inc = local;
#pragma unroll
  for (int o = 1; o < kWarp; o <<= 1) {
    const int n = __shfl_up_sync(0xffffffffu, inc, o);
    if (lane >= o) inc += n;
  }
  if (lane == kWarp - 1) warp_tot[warp] = inc;
  __syncthreads();
  int before = 0;
  for (int w = 0; w < warp; ++w) before += warp_tot[w];
  int run = before + inc - local;  // exclusive prefix of this thread's range
  for (long v0 = b; v0 < e; v0 += 16) {
    int c[16];
#pragma unroll
    for (int u = 0; u < 16; ++u) c[u] = v0 + u < e ? counts[v0 + u] : 0;
#pragma unroll
    for (int u = 0; u < 16; ++u) {
      if (v0 + u < e) offsets[v0 + u] = run;
      run += c[u];
    }
  }
  if (t == kScanThreads - 1) offsets[V] = run;  // the last range ends at V: run is the total
}

// order[offsets[id] + k] = i, k the arrival rank (timing-dependent; sorted later).
__global__ void scatter_kernel(int* __restrict__ order, int* __restrict__ cursor,
                               const int* __restrict__ offsets, const int* __restrict__ ids,
                               int N, int V) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < N; i += gridDim.x * blockDim.x) {
    const int id = ids[i];
    if (id >= 0 && id < V) order[offsets[id] + atomicAdd(&cursor[id], 1)] = i;
  }
}

// dE[v, :] += scale * dout[list[j], :] for j = 0..n-1 in order, each step rounded as the CPU.
// The rows are loaded kUnroll at a time before they are added (in order), so a frequent id's
// block keeps many loads in flight instead of waiting for each in turn.
constexpr int kUnroll = 16;

__device__ __forceinline__ float4 axpy4(float4 acc, float s, float4 g) {
  acc.x = __fadd_rn(acc.x, __fmul_rn(s, g.x));
  acc.y = __fadd_rn(acc.y, __fmul_rn(s, g.y));
  acc.z = __fadd_rn(acc.z, __fmul_rn(s, g.z));
  acc.w = __fadd_rn(acc.w, __fmul_rn(s, g.w));
  return acc;
}

template <int VEC>
__device__ void add_rows(float* __restrict__ row, const float* __restrict__ dout,
                         const int* list, int n, int d, float scale) {
  const int nv = d / VEC;
  for (int j = threadIdx.x; j < nv; j += blockDim.x) {
    if (VEC == 4) {
      const float4* src = reinterpret_cast<const float4*>(dout);
      const long ld = d / 4;  // float4 per row
      float4 acc = reinterpret_cast<const float4*>(row)[j];
      int k = 0;
      for (; k + kUnroll <= n; k += kUnroll) {
        float4 g[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) g[u] = src[(long)list[k + u] * ld + j];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) acc = axpy4(acc, scale, g[u]);
      }
      for (; k < n; ++k) acc = axpy4(acc, scale, src[(long)list[k] * ld + j]);
      reinterpret_cast<float4*>(row)[j] = acc;
    } else {
      float acc = row[j];
      int k = 0;
      for (; k + kUnroll <= n; k += kUnroll) {
        float g[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) g[u] = dout[(long)list[k + u] * d + j];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) acc = __fadd_rn(acc, __fmul_rn(scale, g[u]));
      }
      for (; k < n; ++k) acc = __fadd_rn(acc, __fmul_rn(scale, dout[(long)list[k] * d + j]));
      row[j] = acc;
    }
  }
}

// One block per id v (grid V, kSumThreads threads).
template <int VEC>
__global__ void __launch_bounds__(kSumThreads)
sum_kernel(float* __restrict__ dE, const float* __restrict__ dout, const int* __restrict__ ids,
           const int* __restrict__ counts, const int* __restrict__ offsets,
           const int* __restrict__ order, int N, int d, float scale) {
  __shared__ int list[kSortCap];
  __shared__ int warp_cnt[kSumThreads / kWarp];
  const int v = blockIdx.x;
  const int k = counts[v];
  if (k == 0) return;
  float* row = dE + (long)v * d;
  const int t = threadIdx.x;

  if (k <= kSortCap) {
    // Load the bucket, pad to a power of two with INT_MAX, bitonic sort ascending.
    int P = 1;
    while (P < k) P <<= 1;
    const int* src = order + offsets[v];
    for (int j = t; j < P; j += kSumThreads) list[j] = j < k ? src[j] : INT_MAX;
    __syncthreads();
    for (int size = 2; size <= P; size <<= 1) {
      for (int stride = size >> 1; stride > 0; stride >>= 1) {
        for (int j = t; j < P; j += kSumThreads) {
          const int p = j ^ stride;
          if (p > j) {
            const int a = list[j], b = list[p];
            const bool ascending = (j & size) == 0;
            if ((a > b) == ascending) {
              list[j] = b;
              list[p] = a;
            }
          }
        }
        __syncthreads();
      }
    }
    add_rows<VEC>(row, dout, list, k, d, scale);
    return;
  }

  // A frequent id: walk all tokens in order, a tile of kSumThreads at a time, compacting the
  // matches (in order) into `list`, and add them before the next tile.
  const int lane = t % kWarp, warp = t / kWarp;
  for (int base = 0; base < N; base += kSumThreads) {
    const int i = base + t;
    const bool hit = i < N && ids[i] == v;
    const unsigned mask = __ballot_sync(0xffffffffu, hit);
    if (lane == 0) warp_cnt[warp] = __popc(mask);
    __syncthreads();
    int before = 0, total = 0;
    for (int w = 0; w < kSumThreads / kWarp; ++w) {
      if (w < warp) before += warp_cnt[w];
      total += warp_cnt[w];
    }
    if (hit) list[before + __popc(mask & ((1u << lane) - 1u))] = i;
    __syncthreads();
    if (total > 0) add_rows<VEC>(row, dout, list, total, d, scale);
    __syncthreads();  // list and warp_cnt are rewritten by the next tile
  }
}

struct Scratch {
  int *counts, *cursor, *offsets, *order;
};

Scratch carve(void* scratch, int N, int V) {
  int* p = static_cast<int*>(scratch);
  Scratch s;
  s.counts = p;
  s.cursor = p + V;
  s.offsets = p + 2 * (size_t)V;
  s.order = p + 3 * (size_t)V + 1;
  (void)N;
  return s;
}

}  // namespace

int embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
              float scale, const float* pe, Stream stream, const int* pos0_slot) {
  if (N <= 0 || d <= 0) return (int)cudaSuccess;
  if (T <= 0) return (int)cudaErrorInvalidValue;
  const int threads = 256;
  cudaStream_t st = (cudaStream_t)stream;
  if (d % 4 == 0 && aligned16(out) && aligned16(E) && aligned16(pe))
    embed_fwd_kernel<4><<<grid_for((size_t)N * (d / 4), threads), threads, 0, st>>>(
        out, E, ids, N, T, pos0, pos0_slot, d, scale, pe);
  else
    embed_fwd_kernel<1><<<grid_for((size_t)N * d, threads), threads, 0, st>>>(
        out, E, ids, N, T, pos0, pos0_slot, d, scale, pe);
  return (int)cudaGetLastError();
}

size_t embed_bwd_scratch_bytes(int N, int V) {
  if (N <= 0 || V <= 0) return 0;
  return (3 * (size_t)V + 1 + (size_t)N) * sizeof(int);
}

int embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, int V, float scale,
              void* scratch, Stream stream) {
  if (N <= 0 || d <= 0 || V <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  const Scratch s = carve(scratch, N, V);
  cudaError_t e = cudaMemsetAsync(s.counts, 0, 2 * (size_t)V * sizeof(int), st);  // + cursor
  if (e != cudaSuccess) return (int)e;
  const int threads = 256;
  count_kernel<<<grid_for((size_t)N, threads), threads, 0, st>>>(s.counts, ids, N, V);
  if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  scan_kernel<<<1, kScanThreads, 0, st>>>(s.offsets, s.counts, V);
  if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  scatter_kernel<<<grid_for((size_t)N, threads), threads, 0, st>>>(s.order, s.cursor, s.offsets,
                                                                   ids, N, V);
  if ((e = cudaGetLastError()) != cudaSuccess) return (int)e;
  if (d % 4 == 0 && aligned16(dE) && aligned16(dout))
    sum_kernel<4><<<V, kSumThreads, 0, st>>>(dE, dout, ids, s.counts, s.offsets, s.order, N, d,
                                             scale);
  else
    sum_kernel<1><<<V, kSumThreads, 0, st>>>(dE, dout, ids, s.counts, s.offsets, s.order, N, d,
                                             scale);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda
