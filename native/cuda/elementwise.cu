// Element-wise kernels on the GPU (mirror cpu/activation.h, cpu/adamw.h's sum_squares and
// scale_inplace): activations, bias add, residual add, scaling: one thread per element or
// float4 when every pointer is 16-byte aligned (a scalar tail after the last full vector),
// arithmetic written with __f*_rn so nvcc cannot contract it differently from the CPU's
// scalar reference. The reductions are deterministic: bias_grad sums fixed chunks of rows
// per column into scratch, then adds the chunks in order (double); sum_squares sums fixed
// chunks of elements in double, then adds the chunk sums with a fixed tree.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "activation.cuh"
#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kThreads = 256;
constexpr int kChunkRows = kBiasChunkRows;  // rows per partial column sum in bias_grad (fixed)
constexpr int kColTile = 32;
constexpr int kTileRows = kBiasTileRows;
constexpr int kSqChunk = 16384;  // elements per partial sum in sum_squares (fixed)

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }

int grid_for(size_t work, int threads) {
  const size_t want = (work + threads - 1) / threads;
  if (want == 0) return 1;
  return (int)(want < 65535 * 16 ? want : 65535 * 16);
}

struct AddOp {  // a = y, b = x
  __device__ float operator()(float y, float x) const { return __fadd_rn(y, x); }
};
struct ScaleOp {
  float s;
  __device__ float operator()(float x, float) const { return __fmul_rn(x, s); }
};

// out[i] = op(a[i], b[i]) for i < n; out may alias a or b (each element is read and written
// by one thread). VEC = 4: all three pointers 16-byte aligned.
template <int VEC, class Op>
__global__ void ew_kernel(float* out, const float* a, const float* b, size_t n, Op op) {
  const size_t stride = (size_t)gridDim.x * blockDim.x;
  const size_t t0 = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (VEC == 4) {
    const size_t nv = n / 4;
    for (size_t j = t0; j < nv; j += stride) {
      const float4 x = reinterpret_cast<const float4*>(a)[j];
      const float4 y = reinterpret_cast<const float4*>(b)[j];
      float4 o;
      o.x = op(x.x, y.x);
      o.y = op(x.y, y.y);
      o.z = op(x.z, y.z);
      o.w = op(x.w, y.w);
      reinterpret_cast<float4*>(out)[j] = o;
    }
    const size_t i = nv * 4 + t0;  // the tail, at most 3 elements
    if (i < n) out[i] = op(a[i], b[i]);
  } else {
    for (size_t i = t0; i < n; i += stride) out[i] = op(a[i], b[i]);
  }
}

template <class Op>
int launch_ew(float* out, const float* a, const float* b, size_t n, Op op, Stream stream) {
  if (n == 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (aligned16(out) && aligned16(a) && aligned16(b))
    ew_kernel<4><<<grid_for((n + 3) / 4, kThreads), kThreads, 0, st>>>(out, a, b, n, op);
  else
    ew_kernel<1><<<grid_for(n, kThreads), kThreads, 0, st>>>(out, a, b, n, op);
  return (int)cudaGetLastError();
}

// y[r, c] += b[c]; nv = cols / VEC vectors per row.
template <int VEC>
__global__ void bias_add_kernel(float* __restrict__ y, const float* __restrict__ b, int rows,
                                int cols) {
  const int nv = cols / VEC;
  const size_t total = (size_t)rows * nv;
  for (size_t k = (size_t)blockIdx.x * blockDim.x + threadIdx.x; k < total;
       k += (size_t)gridDim.x * blockDim.x) {
    const int j = (int)(k % nv);
    if (VEC == 4) {
      float4 v = reinterpret_cast<float4*>(y)[k];
      const float4 c = reinterpret_cast<const float4*>(b)[j];
      v.x = __fadd_rn(v.x, c.x);
      v.y = __fadd_rn(v.y, c.y);
      v.z = __fadd_rn(v.z, c.z);
      v.w = __fadd_rn(v.w, c.w);
      reinterpret_cast<float4*>(y)[k] = v;
    } else {
      y[k] = __fadd_rn(y[k], b[j]);
    }
  }
}

// part[chunk, c] = sum of dy[r, c] over the chunk's rows; block (kColTile x kTileRows),
// grid (chunks, column tiles).
__global__ void bias_partial_kernel(float* __restrict__ part, const float* __restrict__ dy,
                                    int rows, int cols) {
  __shared__ float sh[kTileRows][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.y * kColTile + tx;
  const int chunk = blockIdx.x;
  const int r0 = chunk * kChunkRows;
  const int r1 = min(rows, r0 + kChunkRows);
  float acc = 0.0f;
  if (c < cols)
    for (int r = r0 + ty; r < r1; r += kTileRows) acc += dy[(long)r * cols + c];
  sh[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && c < cols) {
    float s = sh[0][tx];
#pragma unroll
    for (int k = 1; k < kTileRows; ++k) s += sh[k][tx];
    part[(long)chunk * cols + c] = s;
  }
}

// db[c] += sum over chunks of part[:, c] in double: block (kColTile x kFinalRows), grid
// (column tiles); thread (tx, ty) adds chunks ty, ty + kFinalRows, ... in order, then thread
// (tx, 0) adds the kFinalRows sums in order. Fixed order: deterministic.
constexpr int kFinalRows = 16;

__global__ void bias_final_kernel(float* __restrict__ db, const float* __restrict__ part,
                                  int chunks, int cols) {
  __shared__ double sh[kFinalRows][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.x * kColTile + tx;
  double s = 0.0;
  if (c < cols) {
#pragma unroll 4
    for (int k = ty; k < chunks; k += kFinalRows) s += (double)part[(long)k * cols + c];
  }
  sh[ty][tx] = s;
  __syncthreads();
  if (ty == 0 && c < cols) {
    for (int k = 1; k < kFinalRows; ++k) s += sh[k][tx];
    db[c] += (float)s;
  }
}

// Block-wide sum in double, fixed tree; the result in thread 0.
__device__ double block_sum(double v) {
  __shared__ double sh[kThreads / kWarp];
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  double r = 0.0;
  if (threadIdx.x == 0) {
    r = sh[0];
    for (int w = 1; w < kThreads / kWarp; ++w) r += sh[w];
  }
  return r;
}

// part[chunk] = sum of x[i]^2 over the chunk's kSqChunk elements, in double. Thread t takes
// the elements base + 4 (j kThreads + t) + l, l = 0..3, for both VEC, so the order (and the
// result) does not depend on the alignment of x.
template <int VEC>
__global__ void __launch_bounds__(kThreads)
sumsq_partial_kernel(double* __restrict__ part, const float* __restrict__ x, size_t n) {
  const size_t base = (size_t)blockIdx.x * kSqChunk;
  const size_t end = base + kSqChunk < n ? base + kSqChunk : n;
  double acc = 0.0;
  for (size_t i = base + 4 * (size_t)threadIdx.x; i < end; i += 4 * (size_t)kThreads) {
    if (VEC == 4 && i + 4 <= end) {
      const float4 v = reinterpret_cast<const float4*>(x + i)[0];
      acc += (double)v.x * v.x;
      acc += (double)v.y * v.y;
      acc += (double)v.z * v.z;
      acc += (double)v.w * v.w;
    } else {
      for (size_t k = i; k < i + 4 && k < end; ++k) acc += (double)x[k] * x[k];
    }
  }
  const double s = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void __launch_bounds__(kThreads)
sumsq_final_kernel(double* __restrict__ result, const double* __restrict__ part, int chunks) {
  double acc = 0.0;
  for (int k = threadIdx.x; k < chunks; k += kThreads) acc += part[k];
  const double s = block_sum(acc);
  if (threadIdx.x == 0) *result = s;
}

// dst = bf16(src), four elements a thread (one 8-byte store) when both are aligned.
template <bool VEC>
__global__ void to_bf16_flat_kernel(uint16_t* __restrict__ dst, const float* __restrict__ src,
                                    size_t n) {
  const size_t stride = (size_t)gridDim.x * blockDim.x;
  const size_t t0 = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (VEC) {
    const size_t nv = n / 4;
    for (size_t j = t0; j < nv; j += stride) {
      const float4 v = reinterpret_cast<const float4*>(src)[j];
      const __nv_bfloat162 a = __floats2bfloat162_rn(v.x, v.y), b = __floats2bfloat162_rn(v.z, v.w);
      uint2 o;
      o.x = *reinterpret_cast<const uint32_t*>(&a);
      o.y = *reinterpret_cast<const uint32_t*>(&b);
      reinterpret_cast<uint2*>(dst)[j] = o;
    }
    const size_t i = nv * 4 + t0;  // the tail, at most 3 elements
    if (i < n) {
      const __nv_bfloat16 b = __float2bfloat16_rn(src[i]);
      dst[i] = *reinterpret_cast<const uint16_t*>(&b);
    }
  } else {
    for (size_t i = t0; i < n; i += stride) {
      const __nv_bfloat16 b = __float2bfloat16_rn(src[i]);
      dst[i] = *reinterpret_cast<const uint16_t*>(&b);
    }
  }
}

}  // namespace

int act_fwd(cpu::Act a, float* y, const float* x, size_t n, Stream stream) {
  if (a == cpu::Act::ReLU) return launch_ew(y, x, x, n, ReluFwd{}, stream);
  if (a == cpu::Act::GELU) return launch_ew(y, x, x, n, GeluFwd{}, stream);
  return (int)cudaErrorInvalidValue;
}

int act_bwd(cpu::Act a, float* dx, const float* dy, const float* x, size_t n, Stream stream) {
  if (a == cpu::Act::ReLU) return launch_ew(dx, dy, x, n, ReluBwd{}, stream);
  if (a == cpu::Act::GELU) return launch_ew(dx, dy, x, n, GeluBwd{}, stream);
  return (int)cudaErrorInvalidValue;
}

int to_bf16(bf16_t* dst, const float* src, size_t n, Stream stream) {
  if (n == 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (aligned16(src) && ((uintptr_t)dst & 7u) == 0)
    to_bf16_flat_kernel<true><<<grid_for((n + 3) / 4, kThreads), kThreads, 0, st>>>(dst, src, n);
  else
    to_bf16_flat_kernel<false><<<grid_for(n, kThreads), kThreads, 0, st>>>(dst, src, n);
  return (int)cudaGetLastError();
}

int add_inplace(float* y, const float* x, size_t n, Stream stream) {
  return launch_ew(y, y, x, n, AddOp{}, stream);
}

int scale_inplace(float* x, size_t n, float s, Stream stream) {
  return launch_ew(x, x, x, n, ScaleOp{s}, stream);
}

int bias_add(float* y, const float* b, int rows, int cols, Stream stream) {
  if (rows <= 0 || cols <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  if (cols % 4 == 0 && aligned16(y) && aligned16(b))
    bias_add_kernel<4><<<grid_for((size_t)rows * (cols / 4), kThreads), kThreads, 0, st>>>(
        y, b, rows, cols);
  else
    bias_add_kernel<1><<<grid_for((size_t)rows * cols, kThreads), kThreads, 0, st>>>(y, b, rows,
                                                                                      cols);
  return (int)cudaGetLastError();
}

size_t bias_grad_scratch_bytes(int rows, int cols) {
  if (rows <= 0 || cols <= 0) return 0;
  return (size_t)((rows + kChunkRows - 1) / kChunkRows) * (size_t)cols * sizeof(float);
}

int bias_grad(float* db, const float* dy, int rows, int cols, void* scratch, Stream stream) {
  if (rows <= 0 || cols <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  const int chunks = (rows + kChunkRows - 1) / kChunkRows;
  float* part = static_cast<float*>(scratch);
  const dim3 block(kColTile, kTileRows);
  const dim3 grid(chunks, (cols + kColTile - 1) / kColTile);
  bias_partial_kernel<<<grid, block, 0, st>>>(part, dy, rows, cols);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  return bias_grad_finish(db, part, chunks, cols, stream);
}

int bias_grad_finish(float* db, const float* part, int chunks, int cols, Stream stream) {
  if (chunks <= 0 || cols <= 0) return (int)cudaSuccess;
  bias_final_kernel<<<(cols + kColTile - 1) / kColTile, dim3(kColTile, kFinalRows), 0,
                      (cudaStream_t)stream>>>(db, part, chunks, cols);
  return (int)cudaGetLastError();
}

size_t sum_squares_scratch_bytes(size_t n) {
  return (n + kSqChunk - 1) / kSqChunk * sizeof(double);
}

int sum_squares(const float* x, size_t n, double* result, void* scratch, Stream stream) {
  cudaStream_t st = (cudaStream_t)stream;
  if (n == 0) return (int)cudaMemsetAsync(result, 0, sizeof(double), st);  // all-zero bits: 0.0
  const size_t chunks = (n + kSqChunk - 1) / kSqChunk;
  if (chunks > 0x7fffffff) return (int)cudaErrorInvalidValue;
  double* part = static_cast<double*>(scratch);
  if (aligned16(x))
    sumsq_partial_kernel<4><<<(int)chunks, kThreads, 0, st>>>(part, x, n);
  else
    sumsq_partial_kernel<1><<<(int)chunks, kThreads, 0, st>>>(part, x, n);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  sumsq_final_kernel<<<1, kThreads, 0, st>>>(result, part, (int)chunks);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda

// ---- Test and benchmark support (declared in testing_rows.cc; not part of kernels.h) ----
namespace rg::cuda {
namespace {

__device__ __forceinline__ uint64_t mix64(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__device__ __forceinline__ float unit_at(uint64_t seed, size_t i) {  // uniform in [0, 1)
  return (float)(mix64(seed * 0x9e3779b97f4a7c15ull + i + 1) >> 40) * (1.0f / 16777216.0f);
}

__global__ void fill_uniform_kernel(float* x, size_t n, uint64_t seed, float lo, float hi) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x)
    x[i] = lo + (hi - lo) * unit_at(seed, i);
}

// ids[i] = floor(V * u^power): power > 1 makes small ids frequent (a Zipf-like vocabulary).
__global__ void fill_ids_kernel(int* ids, size_t n, uint64_t seed, int V, float power) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (size_t)gridDim.x * blockDim.x) {
    const int id = (int)((float)V * powf(unit_at(seed, i), power));
    ids[i] = id < 0 ? 0 : (id >= V ? V - 1 : id);
  }
}

}  // namespace

int rows_fill_uniform(float* x, size_t n, uint64_t seed, float lo, float hi, Stream stream) {
  if (n == 0) return (int)cudaSuccess;
  fill_uniform_kernel<<<grid_for(n, kThreads), kThreads, 0, (cudaStream_t)stream>>>(x, n, seed,
                                                                                    lo, hi);
  return (int)cudaGetLastError();
}

int rows_fill_ids(int* ids, size_t n, uint64_t seed, int V, float power, Stream stream) {
  if (n == 0 || V <= 0) return (int)cudaSuccess;
  fill_ids_kernel<<<grid_for(n, kThreads), kThreads, 0, (cudaStream_t)stream>>>(ids, n, seed, V,
                                                                                power);
  return (int)cudaGetLastError();
}

}  // namespace rg::cuda
