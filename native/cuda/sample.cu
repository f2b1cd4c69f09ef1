// Sampling draws of decoding (rg::Backend::sample_rows; the CPU's is cpu::sample_rows):
// one block per row, so a sampling step downloads R tokens instead of R x V log-probs.
//
// A row's draw, in the seam's steps:
//   1. candidates (finite, not excluded): a block count and max;
//   2. top-k: the k-th best candidate by a radix descent over a 64-bit key that orders
//      entries exactly as `better` (log-prob, then lower id): kept = key >= that key;
//   3. weights exp((lp - mx) / T) in double, total by a block reduction;
//   4. top-p: the same descent over weights instead of counts finds the best-first entry
//      where the running mass first reaches top_p * total; kept = key >= its key;
//   5. the inverse CDF in id order: each thread sums a contiguous slice of ids, a block
//      scan of the slice sums finds the slice where the CDF passes u * total, and its
//      thread walks the slice.
// Every reduction and scan has a fixed shape, so a row's token does not change between
// runs. The sums associate differently from the CPU's sequential ones (and CUDA's exp is
// within an ulp of glibc's), so a token can differ from the CPU's only where u * total or
// top_p * total lies within a relative ~1e-12 of a cumulative sum (the seam allows 1e-9).
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarp;
constexpr int kRadixBits = 4;  // 16 bins a pass: 16 partial sums per thread stay in registers
constexpr int kBins = 1 << kRadixBits;
constexpr unsigned kFull = 0xffffffffu;

struct Shared {
  double bins[kWarps][kBins];
  double red[kWarps];
  double scan[kThreads];
  int ired[kWarps];
  float fred[kWarps];
  int token;
};

__device__ __forceinline__ bool is_candidate(float x, int v, const cpu::SampleParams& sp) {
  if (!isfinite(x)) return false;
  for (int j = 0; j < sp.n_excluded; ++j)
    if (v == sp.excluded[j]) return false;
  return true;
}

// Greater float -> greater key, -0 == +0 (as `better` compares them).
__device__ __forceinline__ uint32_t ordered(float x) {
  const uint32_t u = __float_as_uint(x == 0.0f ? 0.0f : x);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Unique per entry and ordered as `better`: greater log-prob, then lower id, is greater.
__device__ __forceinline__ uint64_t sort_key(float x, int v, int V, int id_bits) {
  return ((uint64_t)ordered(x) << id_bits) | (uint64_t)(V - 1 - v);
}

__device__ __forceinline__ double weight(float x, float mx, double inv_t) {
  return exp(((double)x - (double)mx) * inv_t);
}

// Block reductions: xor butterflies leave every lane the same bits (addition commutes),
// then the warps' values in warp order. Every thread gets the result.
__device__ double block_sum(double x, Shared& sh) {
  for (int off = kWarp / 2; off > 0; off /= 2) x += __shfl_xor_sync(kFull, x, off);
  __syncthreads();  // sh.red may still be read by the previous reduction
  if (threadIdx.x % kWarp == 0) sh.red[threadIdx.x / kWarp] = x;
  __syncthreads();
  double t = 0;
  for (int w = 0; w < kWarps; ++w) t += sh.red[w];
  return t;
}

__device__ int block_sum_int(int x, Shared& sh) {
  for (int off = kWarp / 2; off > 0; off /= 2) x += __shfl_xor_sync(kFull, x, off);
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.ired[threadIdx.x / kWarp] = x;
  __syncthreads();
  int t = 0;
  for (int w = 0; w < kWarps; ++w) t += sh.ired[w];
  return t;
}

// max (min when !kMax) over the block.
template <bool kMax>
__device__ int block_extreme_int(int x, Shared& sh) {
  for (int off = kWarp / 2; off > 0; off /= 2) {
    const int o = __shfl_xor_sync(kFull, x, off);
    x = kMax ? max(x, o) : min(x, o);
  }
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.ired[threadIdx.x / kWarp] = x;
  __syncthreads();
  int t = sh.ired[0];
  for (int w = 1; w < kWarps; ++w) t = kMax ? max(t, sh.ired[w]) : min(t, sh.ired[w]);
  return t;
}

__device__ float block_max(float x, Shared& sh) {
  for (int off = kWarp / 2; off > 0; off /= 2) x = fmaxf(x, __shfl_xor_sync(kFull, x, off));
  __syncthreads();
  if (threadIdx.x % kWarp == 0) sh.fred[threadIdx.x / kWarp] = x;
  __syncthreads();
  float t = sh.fred[0];
  for (int w = 1; w < kWarps; ++w) t = fmaxf(t, sh.fred[w]);
  return t;
}

// Inclusive scan over the block in thread order (fixed shape: deterministic). Also
// leaves every thread's inclusive value in sh.scan.
__device__ double block_scan(double x, Shared& sh) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (int off = 1; off < kWarp; off *= 2) {
    const double o = __shfl_up_sync(kFull, x, off);
    if (lane >= off) x += o;
  }
  __syncthreads();
  if (lane == kWarp - 1) sh.red[warp] = x;
  __syncthreads();
  double base = 0;
  for (int w = 0; w < warp; ++w) base += sh.red[w];
  x += base;
  sh.scan[threadIdx.x] = x;
  __syncthreads();
  return x;
}

// The largest key K such that G(K), the sum of g over the entries with key >= max(K,
// floor), reaches `need` (g: 1 per entry, or its weight when kMass): the key of the entry
// where a best-first walk's running sum first reaches need. A radix descent, kRadixBits
// a pass from the top: each pass sums g per bin of the entries still matching the
// prefix, and takes the highest bin that brings the sum from above to need. If rounding
// leaves even the whole current prefix short, its smallest key: keep all of it.
template <bool kMass>
__device__ uint64_t descend(const float* row, int V, int id_bits, const cpu::SampleParams& sp, uint64_t floor,
                            double need, float mx, double inv_t, Shared& sh) {
  const int width = 32 + id_bits;
  const int top = ((width + kRadixBits - 1) / kRadixBits - 1) * kRadixBits;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  uint64_t prefix = 0;
  double above = 0;
  for (int shift = top; shift >= 0; shift -= kRadixBits) {
    const int hs = shift + kRadixBits;
    double part[kBins];
#pragma unroll
    for (int j = 0; j < kBins; ++j) part[j] = 0;
    for (int v = threadIdx.x; v < V; v += blockDim.x) {
      const float x = row[v];
      if (!is_candidate(x, v, sp)) continue;
      const uint64_t key = sort_key(x, v, V, id_bits);
      if (key < floor || (hs < 64 && (key >> hs) != (prefix >> hs))) continue;
      const int bin = (int)(key >> shift) & (kBins - 1);
      const double g = kMass ? weight(x, mx, inv_t) : 1.0;
#pragma unroll
      for (int j = 0; j < kBins; ++j) part[j] += bin == j ? g : 0.0;
    }
#pragma unroll
    for (int j = 0; j < kBins; ++j)
      for (int off = kWarp / 2; off > 0; off /= 2) part[j] += __shfl_xor_sync(kFull, part[j], off);
    __syncthreads();  // sh.bins of the previous pass are read
    if (lane == 0)
#pragma unroll
      for (int j = 0; j < kBins; ++j) sh.bins[warp][j] = part[j];
    __syncthreads();
    double acc = above;
    int pick = -1;
    for (int j = kBins - 1; j >= 0; --j) {
      double bin = 0;
      for (int w = 0; w < kWarps; ++w) bin += sh.bins[w][j];
      const double next = acc + bin;
      if (next >= need) {
        pick = j;
        break;
      }
      acc = next;
    }
    if (pick < 0) return prefix > floor ? prefix : floor;
    above = acc;
    prefix |= (uint64_t)pick << shift;
  }
  return prefix;
}

// The weight of id v if kept (key >= floor), else 0; `kept` says which.
__device__ __forceinline__ double kept_weight(const float* row, int v, int V, int id_bits,
                                              const cpu::SampleParams& sp, uint64_t floor, float mx,
                                              double inv_t, bool& kept) {
  const float x = row[v];
  kept = is_candidate(x, v, sp) && sort_key(x, v, V, id_bits) >= floor;
  return kept ? weight(x, mx, inv_t) : 0.0;
}

__device__ int draw(const float* row, int V, int id_bits, const cpu::SampleParams& sp, float u, Shared& sh) {
  int count = 0;
  float mx = -INFINITY;
  for (int v = threadIdx.x; v < V; v += blockDim.x) {
    const float x = row[v];
    if (is_candidate(x, v, sp)) {
      ++count;
      mx = fmaxf(mx, x);
    }
  }
  count = block_sum_int(count, sh);
  if (count == 0) return sp.fallback;
  mx = block_max(mx, sh);  // also the max of the top-k: the best candidate is kept
  const double inv_t = 1.0 / (double)sp.temperature;
  uint64_t floor = 0;  // every candidate's key is > 0
  if (sp.top_k > 0 && sp.top_k < count)
    floor = descend<false>(row, V, id_bits, sp, 0, (double)sp.top_k, mx, inv_t, sh);
  auto kept_total = [&]() {
    double t = 0;
    bool kept;
    for (int v = threadIdx.x; v < V; v += blockDim.x) t += kept_weight(row, v, V, id_bits, sp, floor, mx, inv_t, kept);
    return block_sum(t, sh);
  };
  double total = kept_total();
  if (sp.top_p < 1.0f) {
    floor = descend<true>(row, V, id_bits, sp, floor, (double)sp.top_p * total, mx, inv_t, sh);
    total = kept_total();
  }

  // Inverse CDF in id order over contiguous slices of ids, one per thread.
  const double target = (double)u * total;
  const int per = (V + (int)blockDim.x - 1) / (int)blockDim.x;
  const int v0 = min(V, (int)threadIdx.x * per), v1 = min(V, v0 + per);
  double sum = 0;
  int last = -1;  // the slice's last kept id
  for (int v = v0; v < v1; ++v) {
    bool kept;
    const double w = kept_weight(row, v, V, id_bits, sp, floor, mx, inv_t, kept);
    if (kept) {
      sum += w;
      last = v;
    }
  }
  const double incl = block_scan(sum, sh);
  const int first = block_extreme_int<false>(incl > target ? (int)threadIdx.x : INT_MAX, sh);
  const int last_all = block_extreme_int<true>(last, sh);
  if (first == INT_MAX) return last_all;  // rounding: u * total at the very top
  if ((int)threadIdx.x == first) {
    double cum = threadIdx.x ? sh.scan[threadIdx.x - 1] : 0.0;
    int tok = last;
    for (int v = v0; v < v1; ++v) {
      bool kept;
      const double w = kept_weight(row, v, V, id_bits, sp, floor, mx, inv_t, kept);
      if (!kept) continue;
      cum += w;
      if (target < cum) {
        tok = v;
        break;
      }
    }
    sh.token = tok < 0 ? last_all : tok;
  }
  __syncthreads();
  return sh.token;
}

__global__ void __launch_bounds__(kThreads)
    sample_rows_kernel(const float* __restrict__ lp, int V, int id_bits, cpu::SampleParams sp,
                       const float* __restrict__ u, int* __restrict__ tokens, float* __restrict__ token_lp) {
  __shared__ Shared sh;
  const float* row = lp + (size_t)blockIdx.x * V;
  const float ur = u[blockIdx.x];
  // The same branch for the whole block: draw's reductions need every thread.
  const int tok = ur >= 0.0f ? draw(row, V, id_bits, sp, ur, sh) : sp.fallback;
  if (threadIdx.x == 0) {
    tokens[blockIdx.x] = tok;
    token_lp[blockIdx.x] = row[tok];
  }
}

}  // namespace

int sample_rows(const float* lp, int R, int V, const cpu::SampleParams& sp, const float* u, int* tokens,
                float* token_lp, Stream stream) {
  if (R < 0 || V < 1 || !(sp.temperature > 0) || sp.top_k < 0 || !(sp.top_p > 0 && sp.top_p <= 1) ||
      sp.fallback < 0 || sp.fallback >= V || sp.n_excluded < 0 || sp.n_excluded > cpu::SampleParams::kMaxExcluded)
    return (int)cudaErrorInvalidValue;
  if (R == 0) return (int)cudaSuccess;
  int id_bits = 1;  // bits of V - 1, at least one
  while (id_bits < 31 && ((unsigned)(V - 1) >> id_bits) != 0) ++id_bits;
  sample_rows_kernel<<<(unsigned)R, kThreads, 0, (cudaStream_t)stream>>>(lp, V, id_bits, sp, u, tokens, token_lp);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda
