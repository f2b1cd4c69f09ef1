// Row kernels of incremental decoding (mirror cpu/decode_ops.h): the row gather of beam
// reorders and cross-attention fills (in place through a staging buffer), and the
// per-row top-k of log-probabilities that greedy and beam search download instead of
// whole rows, and the KV-cache append (a kernel, so a recorded decoding step can take its
// position from a graph slot). Other strided row copies need no kernel (cudaMemcpy2DAsync).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kGatherThreads = 256;
constexpr int kTopkThreads = 256;
constexpr int kTopkWarps = kTopkThreads / kWarp;

// ---- gather ----

// Rows of `words` units of T: dst row r <- src row (by_index ? idx[r] : r); with
// moved_only, rows whose idx[r] == r are skipped. Grid: x = row, y = chunks of the row.
template <typename T>
__global__ void gather_rows_kernel(char* __restrict__ dst, size_t dst_pitch, const char* __restrict__ src,
                                   size_t src_pitch, size_t words, const int* __restrict__ idx,
                                   bool by_index, bool moved_only) {
  const size_t r = blockIdx.x;
  const int from = idx[r];
  if (moved_only && from == (int)r) return;
  const T* s = reinterpret_cast<const T*>(src + (by_index ? (size_t)from : r) * src_pitch);
  T* d = reinterpret_cast<T*>(dst + r * dst_pitch);
  for (size_t i = (size_t)blockIdx.y * blockDim.x + threadIdx.x; i < words; i += (size_t)gridDim.y * blockDim.x)
    d[i] = s[i];
}

template <typename T>
int launch_gather(char* dst, size_t dst_pitch, const char* src, size_t src_pitch, size_t row_bytes,
                  const int* idx, int rows, bool by_index, bool moved_only, cudaStream_t st) {
  const size_t words = row_bytes / sizeof(T);
  size_t chunks = (words + kGatherThreads * 4 - 1) / (kGatherThreads * 4);  // ~4 units a thread
  if (chunks < 1) chunks = 1;
  if (chunks > 64) chunks = 64;
  gather_rows_kernel<T><<<dim3((unsigned)rows, (unsigned)chunks), kGatherThreads, 0, st>>>(
      dst, dst_pitch, src, src_pitch, words, idx, by_index, moved_only);
  return (int)cudaGetLastError();
}

// The widest unit (16, 4 or 1 bytes) that divides every address, pitch and the row size.
int launch_gather_any(char* dst, size_t dst_pitch, const char* src, size_t src_pitch, size_t row_bytes,
                      const int* idx, int rows, bool by_index, bool moved_only, cudaStream_t st) {
  const uintptr_t all = (uintptr_t)dst | (uintptr_t)src | dst_pitch | src_pitch | row_bytes;
  if ((all & 15u) == 0)
    return launch_gather<uint4>(dst, dst_pitch, src, src_pitch, row_bytes, idx, rows, by_index, moved_only, st);
  if ((all & 3u) == 0)
    return launch_gather<uint32_t>(dst, dst_pitch, src, src_pitch, row_bytes, idx, rows, by_index, moved_only, st);
  return launch_gather<unsigned char>(dst, dst_pitch, src, src_pitch, row_bytes, idx, rows, by_index, moved_only, st);
}

// ---- append (KV caches) ----

// Row r of src into position p of row r's sequence in dst; p from the graph slot when given.
template <typename T>
__global__ void append_rows_kernel(char* __restrict__ dst, size_t dst_pitch, size_t pos_bytes, int pos,
                                   const int* __restrict__ pos_slot, const char* __restrict__ src,
                                   size_t src_pitch, size_t words) {
  const int p = pos_slot ? *pos_slot : pos;
  const size_t r = blockIdx.x;
  const T* s = reinterpret_cast<const T*>(src + r * src_pitch);
  T* d = reinterpret_cast<T*>(dst + r * dst_pitch + (size_t)p * pos_bytes);
  for (size_t i = (size_t)blockIdx.y * blockDim.x + threadIdx.x; i < words; i += (size_t)gridDim.y * blockDim.x)
    d[i] = s[i];
}

template <typename T>
int launch_append(char* dst, size_t dst_pitch, size_t pos_bytes, int pos, const int* pos_slot, const char* src,
                  size_t src_pitch, size_t row_bytes, int rows, cudaStream_t st) {
  const size_t words = row_bytes / sizeof(T);
  size_t chunks = (words + kGatherThreads * 4 - 1) / (kGatherThreads * 4);
  if (chunks < 1) chunks = 1;
  if (chunks > 64) chunks = 64;
  append_rows_kernel<T><<<dim3((unsigned)rows, (unsigned)chunks), kGatherThreads, 0, st>>>(
      dst, dst_pitch, pos_bytes, pos, pos_slot, src, src_pitch, words);
  return (int)cudaGetLastError();
}

// ---- top-k ----

// The top-k order, as cpu::topk_before: greater first, equal values (-0 == +0) by lower
// index, NaN after everything, NaNs by index.
__device__ __forceinline__ bool topk_before(float a, int ia, float b, int ib) {
  if (isnan(b)) return !isnan(a) || ia < ib;
  if (isnan(a)) return false;
  return a > b || (a == b && ia < ib);
}

// A candidate of the block merge; id < 0: none (after every real entry).
__device__ __forceinline__ bool cand_before(float a, int ia, float b, int ib) {
  if (ib < 0) return ia >= 0;
  if (ia < 0) return false;
  return topk_before(a, ia, b, ib);
}

// One block per row. Each thread keeps a sorted top-KMAX list of its strided slice (ids
// visited in increasing order, so an equal value never displaces a kept one: ties to the
// lower id, as the CPU). The global top k is contained in the union of these lists; k
// rounds of a block-wide argmin over the threads' list heads take it out in order.
template <int KMAX>
__global__ void topk_rows_kernel(const float* __restrict__ x, int V, int k, float* __restrict__ vals,
                                 int* __restrict__ idx) {
  const float* row = x + (size_t)blockIdx.x * V;
  float lv[KMAX];
  int li[KMAX];
  int n = 0;
  for (int v = threadIdx.x; v < V; v += blockDim.x) {
    const float y = row[v];
    if (n == k && !topk_before(y, v, lv[k - 1], li[k - 1])) continue;
    int j = n < k ? n++ : k - 1;
    for (; j > 0 && topk_before(y, v, lv[j - 1], li[j - 1]); --j) {
      lv[j] = lv[j - 1];
      li[j] = li[j - 1];
    }
    lv[j] = y;
    li[j] = v;
  }

  __shared__ float s_v[kTopkWarps];
  __shared__ int s_i[kTopkWarps];
  __shared__ int s_win;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  int head = 0;
  for (int out = 0; out < k; ++out) {
    float cv = head < n ? lv[head] : 0.0f;
    int ci = head < n ? li[head] : -1;
    for (int off = kWarp / 2; off > 0; off /= 2) {
      const float ov = __shfl_down_sync(0xffffffffu, cv, off);
      const int oi = __shfl_down_sync(0xffffffffu, ci, off);
      if (cand_before(ov, oi, cv, ci)) { cv = ov; ci = oi; }
    }
    if (lane == 0) { s_v[warp] = cv; s_i[warp] = ci; }
    __syncthreads();
    if (warp == 0) {
      cv = lane < kTopkWarps ? s_v[lane] : 0.0f;
      ci = lane < kTopkWarps ? s_i[lane] : -1;
      for (int off = kWarp / 2; off > 0; off /= 2) {
        const float ov = __shfl_down_sync(0xffffffffu, cv, off);
        const int oi = __shfl_down_sync(0xffffffffu, ci, off);
        if (cand_before(ov, oi, cv, ci)) { cv = ov; ci = oi; }
      }
      if (lane == 0) {
        vals[(size_t)blockIdx.x * k + out] = cv;
        idx[(size_t)blockIdx.x * k + out] = ci;
        s_win = ci;
      }
    }
    __syncthreads();
    // Ids are unique to their thread (v % blockDim.x): the owner moves to its next entry.
    if (head < n && li[head] == s_win) ++head;
    __syncthreads();  // s_v, s_i, s_win are rewritten next round
  }
}

template <int KMAX>
int launch_topk(const float* x, int R, int V, int k, float* vals, int* idx, cudaStream_t st) {
  topk_rows_kernel<KMAX><<<(unsigned)R, kTopkThreads, 0, st>>>(x, V, k, vals, idx);
  return (int)cudaGetLastError();
}

}  // namespace

int gather_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                const int* idx, int rows, void* scratch, Stream stream) {
  if (rows < 0) return (int)cudaErrorInvalidValue;
  if (rows == 0 || row_bytes == 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (d != s) return launch_gather_any(d, dst_pitch, s, src_pitch, row_bytes, idx, rows, true, false, st);
  // In place: the moved rows' sources into scratch (row r at r * row_bytes), then back.
  if (dst_pitch != src_pitch || !scratch) return (int)cudaErrorInvalidValue;
  char* tmp = static_cast<char*>(scratch);
  int err = launch_gather_any(tmp, row_bytes, s, src_pitch, row_bytes, idx, rows, true, true, st);
  if (err) return err;
  return launch_gather_any(d, dst_pitch, tmp, row_bytes, row_bytes, idx, rows, false, true, st);
}

int append_rows(void* dst, size_t dst_pitch, size_t pos_bytes, int pos, const void* src, size_t src_pitch,
                size_t row_bytes, int rows, Stream stream, const int* pos_slot) {
  if (rows < 0 || pos < 0) return (int)cudaErrorInvalidValue;
  if (rows == 0 || row_bytes == 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  const uintptr_t all = (uintptr_t)d | (uintptr_t)s | dst_pitch | src_pitch | pos_bytes | row_bytes;
  if ((all & 15u) == 0) return launch_append<uint4>(d, dst_pitch, pos_bytes, pos, pos_slot, s, src_pitch, row_bytes, rows, st);
  if ((all & 3u) == 0) return launch_append<uint32_t>(d, dst_pitch, pos_bytes, pos, pos_slot, s, src_pitch, row_bytes, rows, st);
  return launch_append<unsigned char>(d, dst_pitch, pos_bytes, pos, pos_slot, s, src_pitch, row_bytes, rows, st);
}

size_t gather_rows_scratch_bytes(size_t row_bytes, int rows, bool in_place) {
  return in_place && rows > 0 ? row_bytes * (size_t)rows : 0;
}

int topk_rows(const float* x, int R, int V, int k, float* vals, int* idx, Stream stream) {
  if (R < 0 || V < 1 || k < 1 || k > V || k > kTopkMaxK) return (int)cudaErrorInvalidValue;
  if (R == 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (k <= 4) return launch_topk<4>(x, R, V, k, vals, idx, st);
  if (k <= 16) return launch_topk<16>(x, R, V, k, vals, idx, st);
  return launch_topk<kTopkMaxK>(x, R, V, k, vals, idx, st);
}

}  // namespace rg::cuda
