// Layer norm on the GPU (mirrors cpu/layernorm.h). Forward and the dx part of backward: one
// warp per row (8 rows per block), row statistics by warp shuffles, so any cols >= 1 works
// and results do not depend on the grid. dgamma/dbeta are column sums over all rows: each
// block sums a fixed chunk of kChunkRows rows for 32 columns into scratch, then one thread
// per column adds the chunks in chunk order (double): deterministic, no atomics.
// The fused forms (backend.h) ride on the same row kernels: the forward first makes its
// input h = res + dropout(h) in the pass that sums it; the backward's dx pass also writes
// dropout_bwd(dx). Masks are the CPU's Philox masks (element i of the tensor uses word i % 4
// of block i / 4), the arithmetic __f*_rn as the separate kernels, so results equal
// theirs.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "dropout_mask.cuh"
#include "kernels.h"

namespace rg::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 8;  // warps per block in the row kernels
constexpr int kChunkRows = 64;    // rows per partial sum of dgamma/dbeta (fixed: determinism)
constexpr int kColTile = 32;      // columns per partial-sum block (one warp wide)
constexpr int kTileRows = 8;      // threads along rows in a partial-sum block

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

bool aligned16(const void* p) { return ((uintptr_t)p & 15u) == 0; }


// VEC = 4: cols % 4 == 0 and every pointer 16-byte aligned (float4 loads); VEC = 1 otherwise.
// RES: first x = res + dropout(x), written back to x (dropout_add_layernorm).
// y16 (nullable): bf16(y) as well (VEC = 4: 8-byte aligned).
template <int VEC, bool RES>
__global__ void ln_fwd_kernel(float* __restrict__ y, uint16_t* __restrict__ y16,
                              float* __restrict__ mean, float* __restrict__ rstd,
                              float* __restrict__ x, const float* __restrict__ res, Drop drop,
                              const float* __restrict__ gamma, const float* __restrict__ beta,
                              int rows, int cols, float eps) {
  const int lane = threadIdx.x % kWarp;
  const long row = (long)blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= rows) return;  // whole warps leave together
  float* xr = x + row * cols;
  float* yr = y + row * cols;
  const int nv = cols / VEC;

  float s = 0.0f;
  for (int j = lane; j < nv; j += kWarp) {
    if (VEC == 4) {
      float4 v = reinterpret_cast<const float4*>(xr)[j];
      if (RES) {
        const float4 r = reinterpret_cast<const float4*>(res + row * cols)[j];
        v = drop4(v, row * (cols / 4) + j, drop);
        v = make_float4(__fadd_rn(v.x, r.x), __fadd_rn(v.y, r.y), __fadd_rn(v.z, r.z),
                        __fadd_rn(v.w, r.w));
        reinterpret_cast<float4*>(xr)[j] = v;  // read back below by this same thread
      }
      s += (v.x + v.y) + (v.z + v.w);
    } else {
      float v = xr[j];
      if (RES) {
        v = __fadd_rn(drop1(v, (long long)row * cols + j, drop), res[row * cols + j]);
        xr[j] = v;
      }
      s += v;
    }
  }
  const float mu = warp_sum(s) / (float)cols;

  float ss = 0.0f;
  for (int j = lane; j < nv; j += kWarp) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(xr)[j];
      const float a = v.x - mu, b = v.y - mu, c = v.z - mu, d = v.w - mu;
      ss += (a * a + b * b) + (c * c + d * d);
    } else {
      const float a = xr[j] - mu;
      ss += a * a;
    }
  }
  const float var = warp_sum(ss) / (float)cols;
  const float rs = 1.0f / sqrtf(var + eps);

  for (int j = lane; j < nv; j += kWarp) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(xr)[j];
      const float4 g = reinterpret_cast<const float4*>(gamma)[j];
      const float4 b = reinterpret_cast<const float4*>(beta)[j];
      float4 o;
      o.x = (v.x - mu) * rs * g.x + b.x;
      o.y = (v.y - mu) * rs * g.y + b.y;
      o.z = (v.z - mu) * rs * g.z + b.z;
      o.w = (v.w - mu) * rs * g.w + b.w;
      reinterpret_cast<float4*>(yr)[j] = o;
      if (y16) {
        const __nv_bfloat162 lo = __floats2bfloat162_rn(o.x, o.y), hi = __floats2bfloat162_rn(o.z, o.w);
        uint2 u;
        u.x = *reinterpret_cast<const uint32_t*>(&lo);
        u.y = *reinterpret_cast<const uint32_t*>(&hi);
        reinterpret_cast<uint2*>(y16 + row * cols)[j] = u;
      }
    } else {
      const float o = (xr[j] - mu) * rs * gamma[j] + beta[j];
      yr[j] = o;
      if (y16) {
        const __nv_bfloat16 b16 = __float2bfloat16_rn(o);
        y16[row * cols + j] = *reinterpret_cast<const uint16_t*>(&b16);
      }
    }
  }
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

// dx += rstd * (dy*g - mean(dy*g) - xhat * mean(dy*g*xhat)), one warp per row.
// OUT2: also ddrop = dropout_bwd(dx) (ddrop may alias dy or dx: each element is read, then
// written, by one thread, dy's last read before ddrop's write).
template <int VEC, bool OUT2>
__global__ void ln_bwd_dx_kernel(float* dx, const float* dy, const float* __restrict__ x,
                                 const float* __restrict__ mean, const float* __restrict__ rstd,
                                 const float* __restrict__ gamma, int rows, int cols,
                                 float* ddrop, Drop drop) {
  const int lane = threadIdx.x % kWarp;
  const long row = (long)blockIdx.x * kRowsPerBlock + threadIdx.x / kWarp;
  if (row >= rows) return;
  const float* xr = x + row * cols;
  const float* dyr = dy + row * cols;
  float* dxr = dx + row * cols;
  const float mu = mean[row], rs = rstd[row];
  const int nv = cols / VEC;

  float sa = 0.0f, sb = 0.0f;  // sum dy*g, sum dy*g*(x - mu)
  for (int j = lane; j < nv; j += kWarp) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(xr)[j];
      const float4 d = reinterpret_cast<const float4*>(dyr)[j];
      const float4 g = reinterpret_cast<const float4*>(gamma)[j];
      const float a0 = d.x * g.x, a1 = d.y * g.y, a2 = d.z * g.z, a3 = d.w * g.w;
      sa += (a0 + a1) + (a2 + a3);
      sb += (a0 * (v.x - mu) + a1 * (v.y - mu)) + (a2 * (v.z - mu) + a3 * (v.w - mu));
    } else {
      const float a = dyr[j] * gamma[j];
      sa += a;
      sb += a * (xr[j] - mu);
    }
  }
  sa = warp_sum(sa);
  sb = warp_sum(sb);
  const float ma = sa / (float)cols, mb = sb * rs / (float)cols;

  for (int j = lane; j < nv; j += kWarp) {
    if (VEC == 4) {
      const float4 v = reinterpret_cast<const float4*>(xr)[j];
      const float4 d = reinterpret_cast<const float4*>(dyr)[j];
      const float4 g = reinterpret_cast<const float4*>(gamma)[j];
      float4 o = reinterpret_cast<float4*>(dxr)[j];
      o.x += rs * (d.x * g.x - ma - (v.x - mu) * rs * mb);
      o.y += rs * (d.y * g.y - ma - (v.y - mu) * rs * mb);
      o.z += rs * (d.z * g.z - ma - (v.z - mu) * rs * mb);
      o.w += rs * (d.w * g.w - ma - (v.w - mu) * rs * mb);
      reinterpret_cast<float4*>(dxr)[j] = o;
      if (OUT2) reinterpret_cast<float4*>(ddrop + row * cols)[j] = drop4(o, row * (cols / 4) + j, drop);
    } else {
      const float xh = (xr[j] - mu) * rs;
      const float o = dxr[j] + rs * (dyr[j] * gamma[j] - ma - xh * mb);
      dxr[j] = o;
      if (OUT2) ddrop[row * cols + j] = drop1(o, (long long)row * cols + j, drop);
    }
  }
}

// Partial column sums over rows [chunk*kChunkRows, +kChunkRows): block (kColTile x kTileRows),
// grid (chunks, column tiles): chunks on x, which has no 65535 limit. pg/pb [chunks, cols].
__global__ void ln_bwd_partial_kernel(float* __restrict__ pg, float* __restrict__ pb,
                                      const float* __restrict__ dy, const float* __restrict__ x,
                                      const float* __restrict__ mean,
                                      const float* __restrict__ rstd, int rows, int cols) {
  __shared__ float sg[kTileRows][kColTile];
  __shared__ float sb[kTileRows][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.y * kColTile + tx;
  const int chunk = blockIdx.x;
  const int r0 = chunk * kChunkRows;
  const int r1 = min(rows, r0 + kChunkRows);
  float ag = 0.0f, ab = 0.0f;
  if (c < cols) {
    for (int r = r0 + ty; r < r1; r += kTileRows) {
      const long i = (long)r * cols + c;
      const float d = dy[i];
      ag += d * ((x[i] - mean[r]) * rstd[r]);
      ab += d;
    }
  }
  sg[ty][tx] = ag;
  sb[ty][tx] = ab;
  __syncthreads();
  if (ty == 0 && c < cols) {
    float g = sg[0][tx], b = sb[0][tx];
#pragma unroll
    for (int k = 1; k < kTileRows; ++k) {
      g += sg[k][tx];
      b += sb[k][tx];
    }
    pg[(long)chunk * cols + c] = g;
    pb[(long)chunk * cols + c] = b;
  }
}

// dgamma[c] += sum over chunks of pg[:, c] in double, the same for dbeta: block (kColTile x
// kFinalRows), grid (column tiles); thread (tx, ty) adds chunks ty, ty + kFinalRows, ... in
// order, then thread (tx, 0) adds the kFinalRows sums in order. Fixed order: deterministic.
constexpr int kFinalRows = 16;

__global__ void ln_bwd_final_kernel(float* __restrict__ dgamma, float* __restrict__ dbeta,
                                    const float* __restrict__ pg, const float* __restrict__ pb,
                                    int chunks, int cols) {
  __shared__ double sg[kFinalRows][kColTile];
  __shared__ double sb[kFinalRows][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c = blockIdx.x * kColTile + tx;
  double g = 0.0, b = 0.0;
  if (c < cols) {
#pragma unroll 4
    for (int k = ty; k < chunks; k += kFinalRows) {
      g += (double)pg[(long)k * cols + c];
      b += (double)pb[(long)k * cols + c];
    }
  }
  sg[ty][tx] = g;
  sb[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && c < cols) {
    for (int k = 1; k < kFinalRows; ++k) {
      g += sg[k][tx];
      b += sb[k][tx];
    }
    dgamma[c] += (float)g;
    dbeta[c] += (float)b;
  }
}

int num_chunks(int rows) { return (rows + kChunkRows - 1) / kChunkRows; }

// Float offset of the dbeta partials in scratch, rounded up to 4 floats (16 bytes).
size_t pb_offset(int rows, int cols) {
  const size_t n = (size_t)num_chunks(rows) * (size_t)cols;
  return (n + 3) / 4 * 4;
}

}  // namespace

namespace {

template <bool RES>
int launch_fwd(float* y, uint16_t* y16, float* mean, float* rstd, float* x, const float* res,
               Drop drop, const float* gamma, const float* beta, int rows, int cols, float eps,
               cudaStream_t st) {
  if (rows <= 0 || cols <= 0) return (int)cudaSuccess;
  const int blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const int threads = kRowsPerBlock * kWarp;
  if (cols % 4 == 0 && aligned16(y) && aligned16(x) && aligned16(gamma) && aligned16(beta) &&
      (!RES || aligned16(res)) && ((uintptr_t)y16 & 7u) == 0)
    ln_fwd_kernel<4, RES><<<blocks, threads, 0, st>>>(y, y16, mean, rstd, x, res, drop, gamma,
                                                      beta, rows, cols, eps);
  else
    ln_fwd_kernel<1, RES><<<blocks, threads, 0, st>>>(y, y16, mean, rstd, x, res, drop, gamma,
                                                      beta, rows, cols, eps);
  return (int)cudaGetLastError();
}

// dgamma, dbeta += the column sums (reads dy and x only).
int launch_params(float* dgamma, float* dbeta, const float* dy, const float* x,
                  const float* mean, const float* rstd, int rows, int cols, void* scratch,
                  cudaStream_t st) {
  const int chunks = num_chunks(rows);
  float* pg = static_cast<float*>(scratch);
  float* pb = pg + pb_offset(rows, cols);
  {
    const dim3 block(kColTile, kTileRows);
    const dim3 grid(chunks, (cols + kColTile - 1) / kColTile);
    ln_bwd_partial_kernel<<<grid, block, 0, st>>>(pg, pb, dy, x, mean, rstd, rows, cols);
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return (int)e;
  }
  ln_bwd_final_kernel<<<(cols + kColTile - 1) / kColTile, dim3(kColTile, kFinalRows), 0, st>>>(
      dgamma, dbeta, pg, pb, chunks, cols);
  return (int)cudaGetLastError();
}

template <bool OUT2>
int launch_dx(float* dx, const float* dy, const float* x, const float* mean, const float* rstd,
              const float* gamma, int rows, int cols, float* ddrop, Drop drop, cudaStream_t st) {
  const int blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const int threads = kRowsPerBlock * kWarp;
  if (cols % 4 == 0 && aligned16(dx) && aligned16(dy) && aligned16(x) && aligned16(gamma) &&
      (!OUT2 || aligned16(ddrop)))
    ln_bwd_dx_kernel<4, OUT2><<<blocks, threads, 0, st>>>(dx, dy, x, mean, rstd, gamma, rows,
                                                          cols, ddrop, drop);
  else
    ln_bwd_dx_kernel<1, OUT2><<<blocks, threads, 0, st>>>(dx, dy, x, mean, rstd, gamma, rows,
                                                          cols, ddrop, drop);
  return (int)cudaGetLastError();
}

}  // namespace

int layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                  const float* beta, int rows, int cols, float eps, Stream stream) {
  // x is only read (RES = false).
  return launch_fwd<false>(y, nullptr, mean, rstd, const_cast<float*>(x), nullptr, Drop{}, gamma,
                           beta, rows, cols, eps, (cudaStream_t)stream);
}

int dropout_add_layernorm(float* h, const float* res, float p, uint64_t seed, uint64_t stream_id,
                          float* y, bf16_t* y16, float* mean, float* rstd, const float* gamma,
                          const float* beta, int rows, int cols, float eps, Stream stream,
                          const uint64_t* sid_slot) {
  return launch_fwd<true>(y, y16, mean, rstd, h, res, make_drop(p, seed, stream_id, sid_slot), gamma, beta,
                          rows, cols, eps, (cudaStream_t)stream);
}

size_t layernorm_bwd_scratch_bytes(int rows, int cols) {
  if (rows <= 0 || cols <= 0) return 0;
  return (pb_offset(rows, cols) + (size_t)num_chunks(rows) * (size_t)cols) * sizeof(float);
}

int layernorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                  const float* mean, const float* rstd, const float* gamma, int rows, int cols,
                  void* scratch, Stream stream) {
  if (rows <= 0 || cols <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  const int e = launch_dx<false>(dx, dy, x, mean, rstd, gamma, rows, cols, nullptr, Drop{}, st);
  if (e != 0) return e;
  return launch_params(dgamma, dbeta, dy, x, mean, rstd, rows, cols, scratch, st);
}

int layernorm_bwd_dropout(float* dx, float* dgamma, float* dbeta, const float* dy,
                          const float* x, const float* mean, const float* rstd,
                          const float* gamma, int rows, int cols, float* ddrop, float p,
                          uint64_t seed, uint64_t stream_id, void* scratch, Stream stream,
                          const uint64_t* sid_slot) {
  if (rows <= 0 || cols <= 0) return (int)cudaSuccess;
  cudaStream_t st = (cudaStream_t)stream;
  // The column sums first: ddrop may alias dy, which the dx pass overwrites.
  const int e = launch_params(dgamma, dbeta, dy, x, mean, rstd, rows, cols, scratch, st);
  if (e != 0) return e;
  return launch_dx<true>(dx, dy, x, mean, rstd, gamma, rows, cols, ddrop,
                         make_drop(p, seed, stream_id, sid_slot), st);
}

}  // namespace rg::cuda
