// GEMM on the GPU: the launchers gemm() and gemm_bf16() of kernels.h, row-major with the
// conventions of cpu::gemm (cpu/gemm.h). Three precisions:
//
//   FP32  a tiled SIMT kernel (below): 128 x 128 block tile, BK = 8, 256 threads each
//         accumulating an 8 x 8 register block with fp32 FMA, shared-memory tiles double
//         buffered through registers. Exact fp32 arithmetic (only the summation order
//         differs from the CPU).
//   TF32  tensor cores (gemm_tc.cu): fp32 tiles in shared memory, each operand rounded to
//         tf32 (cvt.rna) as fragments are built, mma.m16n8k8.tf32, fp32 accumulation.
//   BF16  tensor cores (gemm_tc.cu), operands rounded to bf16 (round to nearest even,
//         __float2bfloat16_rn semantics), fp32 accumulation. Two routes, same numbers:
//         - convert (M, N >= 256): a pass rounds A and B to bf16 into a scratch buffer
//           (same layouts, leading dimensions padded to 8, so always 16-byte aligned),
//           then the bf16 kernel of gemm_bf16 (ldmatrix) runs with an fp32 epilogue;
//         - fused (M or N < 256, e.g. decoding): fp32 tiles in shared memory, rounded to
//           bf16 as fragments are built; no scratch and each operand read once, but its
//           scalar fragment loads make it slower on big products. Measured on an H100 at
//           the model's training shapes, convert was 1.2x to 1.9x faster. (A third
//           route, fp32 -> registers -> bf16 tiles, was slower still and was dropped.)
//
// Hopper: on a compute capability 9.0 device the BF16 route's bf16 kernel (gemm_bf16 and
// the convert route, when not split) runs the wgmma + TMA kernel of gemm_wgmma.cu instead,
// when its conditions hold (gemm_internal.h, launch_wgmma; REGURGITATE_GEMM=mma|wgmma|auto)
// and its self-check against the mma.sync kernel passed. Every other case is unchanged.
//
// Split-K: when the output has too few tiles to fill the GPU (the weight gradients, whose
// K is the batch's ~25,000 rows), K is cut into ranges whose partial products go to a
// workspace that a second kernel sums in a fixed order (deterministic, no atomics), then
// applies alpha and beta.
//
// Pre-rounded operands: the convert route takes an operand's bf16 copy where the caller
// has one (linear_fwd / linear_bwd: x16, the activation's, and W16, the weights', which the
// optimizer writes), skipping that operand's conversion pass; the fused route ignores them.
//
// Scratch: the convert route and split-K use an internal, grow-only device buffer, one per
// stream (so backends on different streams and threads never share one; calls on the same
// stream from two threads at once are not supported). Growing it calls cudaFree /
// cudaMalloc, which synchronise the device (so growth is not allowed inside CUDA graph
// capture). It is never shrunk; gemm_scratch_release frees a stream's buffer.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "gemm_internal.h"
#include "kernels.h"

namespace rg::cuda {
namespace {

using gemm_detail::In;
using gemm_detail::Out;
using gemm_detail::Problem;

// ---- FP32 SIMT kernel ------------------------------------------------------------------
// Block tile 128 x 128 x 8, 256 threads as 16 x 16; thread (tx, ty) owns rows
// ty*4 + {0..3} and 64 + ty*4 + {0..3}, columns tx*4 + {0..3} and 64 + tx*4 + {0..3}
// (split halves: the float4 shared loads of a warp do not conflict). Both operands are
// stored k-major in shared memory, As[k][m] and Bs[k][n] (+4 floats padding), loaded from
// global with the contiguous index fastest across threads (coalesced for every layout).
constexpr int SG_BM = 128, SG_BN = 128, SG_BK = 8, SG_PAD = 4, SG_THREADS = 256;

template <bool TA, bool TB>
__global__ void __launch_bounds__(SG_THREADS) sgemm_kernel(int M, int N, int K, float alpha,
                                                           const float* __restrict__ A,
                                                           long long lda,
                                                           const float* __restrict__ B,
                                                           long long ldb, float beta,
                                                           float* __restrict__ C,
                                                           long long ldc) {
  __shared__ __align__(16) float As[2][SG_BK][SG_BM + SG_PAD];
  __shared__ __align__(16) float Bs[2][SG_BK][SG_BN + SG_PAD];
  const int tid = (int)threadIdx.x;
  const int m0 = (int)blockIdx.y * SG_BM, n0 = (int)blockIdx.x * SG_BN;
  constexpr int PER = SG_BM * SG_BK / SG_THREADS;  // 4 elements of each operand per thread

  // Element e of a tile -> (row in M or N, k): the stored layout's contiguous index is
  // the fastest-varying one.
  auto a_coord = [](int e, int& m, int& k) {
    if (TA) { m = e % SG_BM; k = e / SG_BM; } else { k = e % SG_BK; m = e / SG_BK; }
  };
  auto b_coord = [](int e, int& n, int& k) {
    if (TB) { k = e % SG_BK; n = e / SG_BK; } else { n = e % SG_BN; k = e / SG_BN; }
  };

  float ra[PER], rb[PER];
  auto gload = [&](int k0) {
#pragma unroll
    for (int i = 0; i < PER; ++i) {
      const int e = tid + i * SG_THREADS;
      int m, n, k, kb;
      a_coord(e, m, k);
      const int gm = m0 + m, gk = k0 + k;
      ra[i] = (gm < M && gk < K) ? (TA ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk])
                                 : 0.0f;
      b_coord(e, n, kb);
      const int gn = n0 + n, gkb = k0 + kb;
      rb[i] = (gn < N && gkb < K) ? (TB ? B[(long long)gn * ldb + gkb] : B[(long long)gkb * ldb + gn])
                                  : 0.0f;
    }
  };
  auto sstore = [&](int buf) {
#pragma unroll
    for (int i = 0; i < PER; ++i) {
      const int e = tid + i * SG_THREADS;
      int m, n, k;
      a_coord(e, m, k);
      As[buf][k][m] = ra[i];
      b_coord(e, n, k);
      Bs[buf][k][n] = rb[i];
    }
  };

  const int tx = tid % 16, ty = tid / 16;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  const int KT = (K + SG_BK - 1) / SG_BK;
  gload(0);
  sstore(0);
  __syncthreads();
  for (int kt = 0; kt < KT; ++kt) {
    const int cur = kt & 1;
    if (kt + 1 < KT) gload((kt + 1) * SG_BK);  // in flight during the FMAs below
#pragma unroll
    for (int k = 0; k < SG_BK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    // Buffer cur ^ 1 was last read in iteration kt - 1, which every thread finished
    // before the barrier that ended it.
    if (kt + 1 < KT) sstore(cur ^ 1);
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (row >= M) continue;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int col = n0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
      if (col >= N) continue;
      float* c = C + (long long)row * ldc + col;
      float v = alpha * acc[i][j];
      if (beta != 0.0f) v += beta * *c;  // beta == 0 never reads C
      *c = v;
    }
  }
}

// ---- small kernels ---------------------------------------------------------------------
// C = beta * C (beta == 0: C = 0, never read): the K == 0 product.
__global__ void scale_c_kernel(float* C, int M, int N, long long ldc, float beta) {
  const long long total = (long long)M * N;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    float* c = C + (i / N) * ldc + (i % N);
    *c = beta == 0.0f ? 0.0f : beta * *c;
  }
}

__global__ void zero_bf16_kernel(uint16_t* C, int M, int N, long long ldc) {
  const long long total = (long long)M * N;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x)
    C[(i / N) * ldc + (i % N)] = 0;
}

// v = s[0 .. 8), zeros from index `left` on (the row's end); two float4 loads when vec4
// (s 16-byte aligned) and the 8 are all in the row.
__device__ __forceinline__ void load8(float v[8], const float* s, int left, bool vec4) {
  if (vec4 && left >= 8) {
    const float4 x = *reinterpret_cast<const float4*>(s);
    const float4 y = *reinterpret_cast<const float4*>(s + 4);
    v[0] = x.x; v[1] = x.y; v[2] = x.z; v[3] = x.w;
    v[4] = y.x; v[5] = y.y; v[6] = y.z; v[7] = y.w;
  } else {
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = j < left ? s[j] : 0.0f;
  }
}

// Eight floats -> eight bf16 (round to nearest even), packed for one 16-byte store.
__device__ __forceinline__ uint4 pack8_bf16(const float v[8]) {
  uint4 out;
  uint32_t* o = reinterpret_cast<uint32_t*>(&out);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    __nv_bfloat162 b = __floats2bfloat162_rn(v[2 * j], v[2 * j + 1]);
    o[j] = *reinterpret_cast<uint32_t*>(&b);
  }
  return out;
}

// fp32 [rows][cols] (row stride ld) -> bf16 bits [rows][ldd] (ldd = cols rounded up to 8,
// the padding zeroed), round to nearest even. One thread per 8-element chunk.
__global__ void to_bf16_kernel(uint16_t* __restrict__ dst, int ldd, const float* __restrict__ src,
                               long long ld, int rows, int cols, bool vec4) {
  const int cpr = ldd / 8;
  const long long total = (long long)rows * cpr;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const long long r = i / cpr;
    const int c = (int)(i % cpr) * 8;
    float v[8];
    load8(v, src + r * ld + c, cols - c, vec4);
    *reinterpret_cast<uint4*>(dst + r * ldd + c) = pack8_bf16(v);
  }
}

// to_bf16_kernel plus bias_grad's partial column sums (kernels.h, bias_grad_finish): block
// (32 x kBiasTileRows) covers rows [chunk * kBiasChunkRows, + kBiasChunkRows) and 256
// columns; thread (tx, ty) rounds 8 columns of rows ty, ty + kBiasTileRows, ... and sums
// them in that order, then the kBiasTileRows sums of a column are added in order: the
// partials bias_partial_kernel (elementwise.cu) forms, bit for bit. grid (chunks, tiles).
constexpr int kCsCols = 8 * 32;  // columns per block
__global__ void to_bf16_colsum_kernel(uint16_t* __restrict__ dst, int ldd,
                                      const float* __restrict__ src, int rows, int cols,
                                      bool vec4, float* __restrict__ part) {
  __shared__ float sh[kBiasTileRows][kCsCols];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int c0 = blockIdx.y * kCsCols + tx * 8;
  const int r0 = blockIdx.x * kBiasChunkRows;
  const int r1 = min(rows, r0 + kBiasChunkRows);
  float acc[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  if (c0 < ldd) {
    for (int r = r0 + ty; r < r1; r += kBiasTileRows) {
      float v[8];
      load8(v, src + (long long)r * cols + c0, cols - c0, vec4);
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[j] = __fadd_rn(acc[j], v[j]);
      *reinterpret_cast<uint4*>(dst + (long long)r * ldd + c0) = pack8_bf16(v);
    }
  }
#pragma unroll
  for (int j = 0; j < 8; ++j) sh[ty][tx * 8 + j] = acc[j];
  __syncthreads();
  if (ty == 0) {
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int c = c0 + j;
      if (c >= cols) break;
      float sum = sh[0][tx * 8 + j];
#pragma unroll
      for (int k = 1; k < kBiasTileRows; ++k) sum = __fadd_rn(sum, sh[k][tx * 8 + j]);
      part[(long long)blockIdx.x * cols + c] = sum;
    }
  }
}

// Split-K reduction: C = alpha * sum_z P[z] + beta * C (+ bias[col]), z in increasing order.
__global__ void reduce_f32_kernel(float* C, long long ldc, const float* __restrict__ P, int splits,
                                  int M, int N, float alpha, float beta,
                                  const float* __restrict__ bias) {
  const long long total = (long long)M * N;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    float s = 0.0f;
    for (int z = 0; z < splits; ++z) s += P[z * total + i];
    float* c = C + (i / N) * ldc + (i % N);
    float v = alpha * s;
    if (beta != 0.0f) v += beta * *c;
    if (bias) v = __fadd_rn(v, bias[i % N]);
    *c = v;
  }
}

__global__ void reduce_bf16_kernel(uint16_t* C, long long ldc, const float* __restrict__ P,
                                   int splits, int M, int N) {
  const long long total = (long long)M * N;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    float s = 0.0f;
    for (int z = 0; z < splits; ++z) s += P[z * total + i];
    __nv_bfloat16 b = __float2bfloat16_rn(s);
    C[(i / N) * ldc + (i % N)] = *reinterpret_cast<uint16_t*>(&b);
  }
}

int grid_for(long long n, int threads) {
  const long long want = (n + threads - 1) / threads;
  return (int)std::max(1LL, std::min(want, 65535LL * 8));
}

// ---- device facts, scratch ---------------------------------------------------------------
int sm_count() {
  static int cache[64] = {};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) return 108;
  if (cache[dev] == 0) {
    int n = 0;
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || n <= 0)
      n = 108;
    cache[dev] = n;
  }
  return cache[dev];
}

// The grow-only scratch buffers (see the header comment): one per (device, stream), so
// backends on different streams (two models running at once, each on its own thread and
// stream) never share one: a shared buffer would be overwritten by the other stream's
// GEMMs mid-use, and its growth would free memory the other stream's kernels or CUDA
// graphs still use.
struct Scratch {
  void* ptr = nullptr;
  size_t bytes = 0;
};
std::mutex g_scratch_mu;
std::map<std::pair<int, cudaStream_t>, Scratch> g_scratch;
// Bumped on every reallocation, so CUDA graphs that baked in the old address are dropped
// (graph_recorder.h); growth is refused while this thread records a graph (it would free
// memory the recording already refers to, and cudaFree may not run during capture).
std::atomic<uint64_t> g_scratch_epoch{0};
thread_local bool g_scratch_frozen = false;

cudaError_t scratch(size_t bytes, void** out, cudaStream_t stream) {
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return err;
  std::lock_guard<std::mutex> lock(g_scratch_mu);
  Scratch& sc = g_scratch[{dev, stream}];
  if (sc.ptr && sc.bytes >= bytes) {
    *out = sc.ptr;
    return cudaSuccess;
  }
  if (g_scratch_frozen) return cudaErrorStreamCaptureUnsupported;
  ++g_scratch_epoch;
  if (sc.ptr) {
    cudaFree(sc.ptr);  // synchronises: in-flight users of the old buffer finish first
    sc = Scratch{};
  }
  const size_t want = std::max(bytes, (size_t)1 << 20);
  err = cudaMalloc(&sc.ptr, want);
  if (err != cudaSuccess) {
    sc = Scratch{};
    return err;
  }
  sc.bytes = want;
  *out = sc.ptr;
  return cudaSuccess;
}

size_t align256(size_t n) { return (n + 255) & ~(size_t)255; }

// Split-K plan for a tile shape: more splits while the output's tiles leave the SMs idle,
// each split at least 256 deep. Returns kps (a multiple of 64, so of every kernel's BK)
// and splits.
void plan_splits(int M, int N, int K, gemm_detail::TileShape ts, int* splits, int* kps) {
  const long long tiles = (long long)((M + ts.bm - 1) / ts.bm) * ((N + ts.bn - 1) / ts.bn);
  const int sms = sm_count();
  const int ktiles = (K + 63) / 64;
  int s = 1;
  if (tiles < sms) {
    const long long want = (2LL * sms + tiles - 1) / tiles;
    s = (int)std::min<long long>({want, (long long)(ktiles / 4), 64LL});
    if (s < 1) s = 1;
  }
  const int kt_per = (ktiles + s - 1) / s;
  *kps = kt_per * 64;
  *splits = (K + *kps - 1) / *kps;
}

bool aligned16(const void* p, long long ld, size_t elem) {
  return (reinterpret_cast<uintptr_t>(p) & 15) == 0 && (ld * (long long)elem) % 16 == 0;
}

cudaError_t after_launch() { return cudaGetLastError(); }

int g_bf16_route = -1;  // gemm_detail::set_bf16_route

}  // namespace

void gemm_detail::set_bf16_route(int route) { g_bf16_route = route < 0 || route > 1 ? -1 : route; }

namespace {

// Runs p (operands set for `in`) with fp32 output into p.C: directly, or when p.splits > 1
// through partial products in `part` ([splits][M][N]) and the fixed-order reduction, which
// applies alpha, beta and the bias.
cudaError_t run_f32_out(In in, const Problem& p, bool aligned, float* part, cudaStream_t s) {
  if (p.splits == 1) {
    cudaError_t err = cudaSuccess;
    if (in == In::BF16 && gemm_detail::launch_wgmma(Out::F32, p, s, &err)) return err;
    return gemm_detail::launch_tc(in, Out::F32, p, aligned, s);
  }
  Problem q = p;
  q.C = part;
  q.bias = nullptr;
  cudaError_t err = gemm_detail::launch_tc(in, Out::PARTIAL, q, aligned, s);
  if (err != cudaSuccess) return err;
  const long long n = (long long)p.M * p.N;
  reduce_f32_kernel<<<grid_for(n, 256), 256, 0, s>>>(static_cast<float*>(p.C), p.ldc, part,
                                                     p.splits, p.M, p.N, p.alpha, p.beta, p.bias);
  return after_launch();
}

// fp32 [rows][cols] (stride ld) -> bf16 [rows][ldd], ldd = cols rounded up to 8.
void to_bf16(uint16_t* dst, int ldd, const float* src, long long ld, int rows, int cols,
             cudaStream_t s) {
  to_bf16_kernel<<<grid_for((long long)rows * (ldd / 8), 256), 256, 0, s>>>(
      dst, ldd, src, ld, rows, cols, aligned16(src, ld, 4));
}

// gemm() with an optional bias added to every row of C after alpha and beta (linear_fwd),
// and optionally A or B already rounded (a16: bf16(A) stored [rows][lda], b16: bf16(B)
// stored [rows][ldb], each used by the BF16 convert route instead of rounding the operand
// again when its rows are 16-byte multiples; ignored elsewhere). The kernel then reads the
// same bf16 values as from its own conversion: the same bits come out.
int gemm_impl(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
              int lda, const float* B, int ldb, float beta, float* C, int ldc,
              const float* bias, GemmPrecision prec, cudaStream_t s,
              const uint16_t* a16 = nullptr, const uint16_t* b16 = nullptr) {
  if (M < 0 || N < 0 || K < 0) return (int)cudaErrorInvalidValue;
  const int acols = transA ? M : K, bcols = transB ? K : N;
  if (lda < acols || ldb < bcols || ldc < N) return (int)cudaErrorInvalidValue;
  if (M == 0 || N == 0) return (int)cudaSuccess;
  if (!C || (K > 0 && (!A || !B))) return (int)cudaErrorInvalidValue;
  if (K == 0) {  // C = beta * C (cpu::gemm's scale_c)
    const long long n = (long long)M * N;
    scale_c_kernel<<<grid_for(n, 256), 256, 0, s>>>(C, M, N, ldc, beta);
    if (bias && ldc == N) return bias_add(C, bias, M, N, s);
    if (bias) return (int)cudaErrorInvalidValue;
    return (int)after_launch();
  }

  if (prec == GemmPrecision::FP32) {
    const int gy = (M + SG_BM - 1) / SG_BM, gx = (N + SG_BN - 1) / SG_BN;
    if (gy > 65535) return (int)cudaErrorInvalidValue;
    const dim3 grid(gx, gy);
#define RG_SG(TA, TB)                                                                   \
  sgemm_kernel<TA, TB><<<grid, SG_THREADS, 0, s>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, \
                                                   ldc)
    if (!transA && !transB) RG_SG(false, false);
    else if (!transA && transB) RG_SG(false, true);
    else if (transA && !transB) RG_SG(true, false);
    else RG_SG(true, true);
#undef RG_SG
    // fp32 (the exact mode the tests use): the bias as a separate pass.
    if (bias && ldc == N) {
      const int e = (int)after_launch();
      return e != 0 ? e : bias_add(C, bias, M, N, s);
    }
    if (bias) return (int)cudaErrorInvalidValue;
    return (int)after_launch();
  }
  if (prec != GemmPrecision::TF32 && prec != GemmPrecision::BF16)
    return (int)cudaErrorInvalidValue;

  Problem p;
  p.ta = transA;
  p.tb = transB;
  p.M = M;
  p.N = N;
  p.K = K;
  p.alpha = alpha;
  p.beta = beta;
  p.bias = bias;
  p.C = C;
  p.ldc = ldc;

  // BF16 route: convert for products with both sides >= 256 (at the model's training
  // shapes, on an H100, 1.2x to 1.9x faster than fused); fused when M or N is small
  // (decoding: a few rows against a whole weight matrix, memory bound, where the pass would
  // read, write and re-read the weights instead of reading them once). Tests can force one.
  const bool convert =
      prec == GemmPrecision::BF16 &&
      (g_bf16_route >= 0 ? g_bf16_route == 1 : std::min(M, N) >= 256);
  const In in = prec == GemmPrecision::TF32 ? In::F32_TF32 : (convert ? In::BF16 : In::F32_BF16);
  gemm_detail::TileShape ts = gemm_detail::tc_tile(in);
  plan_splits(M, N, K, ts, &p.splits, &p.kps);

  const int arows = transA ? K : M, brows = transB ? N : K;
  const int lda2 = (acols + 7) / 8 * 8, ldb2 = (bcols + 7) / 8 * 8;
  // A rounded copy serves as is when its rows are 16-byte multiples, as the kernel reads.
  const bool a_ready = convert && a16 && lda % 8 == 0 && (reinterpret_cast<uintptr_t>(a16) & 15) == 0;
  const bool b_ready = convert && b16 && ldb % 8 == 0 && (reinterpret_cast<uintptr_t>(b16) & 15) == 0;
  const size_t abytes = convert && !a_ready ? align256((size_t)arows * lda2 * 2) : 0;
  const size_t bbytes = convert && !b_ready ? align256((size_t)brows * ldb2 * 2) : 0;
  const size_t pbytes = p.splits > 1 ? (size_t)p.splits * M * N * sizeof(float) : 0;
  char* work = nullptr;
  if (abytes + bbytes + pbytes > 0) {
    void* w = nullptr;
    cudaError_t err = scratch(abytes + bbytes + pbytes, &w, s);
    if (err != cudaSuccess) return (int)err;
    work = static_cast<char*>(w);
  }
  bool aligned;
  if (convert) {
    uint16_t* a2 = reinterpret_cast<uint16_t*>(work);
    uint16_t* b2 = reinterpret_cast<uint16_t*>(work + abytes);
    if (!a_ready) to_bf16(a2, lda2, A, lda, arows, acols, s);
    if (!b_ready) to_bf16(b2, ldb2, B, ldb, brows, bcols, s);
    cudaError_t err = after_launch();
    if (err != cudaSuccess) return (int)err;
    p.A = a_ready ? a16 : a2;
    p.lda = a_ready ? lda : lda2;
    p.B = b_ready ? b16 : b2;
    p.ldb = b_ready ? ldb : ldb2;
    aligned = true;
  } else {
    p.A = A;
    p.lda = lda;
    p.B = B;
    p.ldb = ldb;
    aligned = aligned16(A, lda, 4) && aligned16(B, ldb, 4);
  }
  return (int)run_f32_out(in, p, aligned, reinterpret_cast<float*>(work + abytes + bbytes), s);
}

}  // namespace

int gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
         const float* B, int ldb, float beta, float* C, int ldc, GemmPrecision prec,
         Stream stream) {
  return gemm_impl(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nullptr, prec,
                   (cudaStream_t)stream);
}

int linear_fwd(float* y, const float* x, const bf16_t* x16, const float* W, const bf16_t* W16,
               const float* b, int rows, int out, int in, GemmPrecision prec, Stream stream) {
  return gemm_impl(false, true, rows, out, in, 1.0f, x, in, W, in, 0.0f, y, out, b, prec,
                   (cudaStream_t)stream, x16, W16);
}

int linear_bwd(float* dW, float* db, float* din, bool accumulate, const float* dout,
               const float* x, const bf16_t* x16, const float* W, const bf16_t* W16, int rows,
               int out, int in, GemmPrecision prec, Stream stream) {
  const cudaStream_t s = (cudaStream_t)stream;
  if (rows < 0 || out < 0 || in < 0 || !dW) return (int)cudaErrorInvalidValue;
  const int chunks = (rows + kBiasChunkRows - 1) / kBiasChunkRows;
  // Two plain products: the exact modes, and empty shapes in any mode (gemm() gives them
  // their exact meaning, e.g. din = 0 when out == 0).
  if (prec != GemmPrecision::BF16 || rows == 0 || out == 0 || in == 0) {
    if (db && rows > 0 && out > 0) {
      void* w = nullptr;
      cudaError_t err = scratch((size_t)chunks * out * sizeof(float), &w, s);
      if (err != cudaSuccess) return (int)err;
      int e = bias_grad(db, dout, rows, out, w, s);
      if (e != 0) return e;
    }
    int e = gemm_impl(true, false, out, in, rows, 1.0f, dout, out, x, in, 1.0f, dW, in, nullptr,
                      prec, s);
    if (e != 0 || !din) return e;
    return gemm_impl(false, false, rows, in, out, 1.0f, dout, out, W, in, accumulate ? 1.0f : 0.0f,
                     din, in, nullptr, prec, s);
  }
  const int out8 = (out + 7) / 8 * 8, in8 = (in + 7) / 8 * 8;
  // x's rounded copy (the forward's producer wrote it) serves as is: [rows][in], in % 8 == 0.
  const bool x_ready = x16 && in == in8 && (reinterpret_cast<uintptr_t>(x16) & 15) == 0;
  // Likewise W's (the model's bf16 copy of its parameters): [out][in].
  const bool w_ready = W16 && in == in8 && (reinterpret_cast<uintptr_t>(W16) & 15) == 0;
  const size_t dbytes = align256((size_t)rows * out8 * 2);
  const size_t xbytes = x_ready ? 0 : align256((size_t)rows * in8 * 2);
  const size_t wbytes = din && !w_ready ? align256((size_t)out * in8 * 2) : 0;
  const gemm_detail::TileShape ts = gemm_detail::tc_tile(In::BF16);

  Problem pw;  // dW[out][in] += dout^T in: A = dout stored rows x out (transposed), B = x
  pw.ta = true;
  pw.M = out;
  pw.N = in;
  pw.K = rows;
  pw.beta = 1.0f;
  pw.C = dW;
  pw.ldc = in;
  plan_splits(out, in, rows, ts, &pw.splits, &pw.kps);
  Problem px;  // din[rows][in] = dout W (+ din)
  px.M = rows;
  px.N = in;
  px.K = out;
  px.beta = accumulate ? 1.0f : 0.0f;
  px.C = din;
  px.ldc = in;
  plan_splits(rows, in, out, ts, &px.splits, &px.kps);
  const size_t pbytes = std::max(pw.splits > 1 ? (size_t)pw.splits * out * in * sizeof(float) : 0,
                                 din && px.splits > 1 ? (size_t)px.splits * rows * in * sizeof(float) : 0);
  const size_t bbytes = db ? align256((size_t)chunks * out * sizeof(float)) : 0;
  void* w = nullptr;
  cudaError_t err = scratch(dbytes + xbytes + wbytes + bbytes + pbytes, &w, s);
  if (err != cudaSuccess) return (int)err;
  char* work = static_cast<char*>(w);
  uint16_t* d2 = reinterpret_cast<uint16_t*>(work);
  const uint16_t* x2 = x_ready ? x16 : reinterpret_cast<uint16_t*>(work + dbytes);
  const uint16_t* w2 = w_ready ? W16 : reinterpret_cast<uint16_t*>(work + dbytes + xbytes);
  float* bpart = reinterpret_cast<float*>(work + dbytes + xbytes + wbytes);
  float* part = reinterpret_cast<float*>(work + dbytes + xbytes + wbytes + bbytes);

  // dout is rounded once for both products (gemm() would round it twice), and db's column
  // sums are formed in the same pass.
  if (db) {
    const dim3 grid(chunks, (out8 + kCsCols - 1) / kCsCols);
    to_bf16_colsum_kernel<<<grid, dim3(32, kBiasTileRows), 0, s>>>(d2, out8, dout, rows, out,
                                                                   aligned16(dout, out, 4), bpart);
    err = after_launch();
    if (err != cudaSuccess) return (int)err;
    const int e = bias_grad_finish(db, bpart, chunks, out, s);
    if (e != 0) return e;
  } else {
    to_bf16(d2, out8, dout, out, rows, out, s);
  }
  if (!x_ready) to_bf16(const_cast<uint16_t*>(x2), in8, x, in, rows, in, s);
  if (din && !w_ready) to_bf16(const_cast<uint16_t*>(w2), in8, W, in, out, in, s);
  err = after_launch();
  if (err != cudaSuccess) return (int)err;
  pw.A = d2;
  pw.lda = out8;
  pw.B = x2;
  pw.ldb = in8;
  err = run_f32_out(In::BF16, pw, true, part, s);
  if (err != cudaSuccess || !din) return (int)err;
  px.A = d2;
  px.lda = out8;
  px.B = w2;
  px.ldb = in8;
  return (int)run_f32_out(In::BF16, px, true, part, s);
}

int gemm_bf16(bool transA, bool transB, int M, int N, int K, const bf16_t* A, int lda,
              const bf16_t* B, int ldb, bf16_t* C, int ldc, Stream stream) {
  const cudaStream_t s = (cudaStream_t)stream;
  if (M < 0 || N < 0 || K < 0) return (int)cudaErrorInvalidValue;
  const int acols = transA ? M : K, bcols = transB ? K : N;
  if (lda < acols || ldb < bcols || ldc < N) return (int)cudaErrorInvalidValue;
  if (M == 0 || N == 0) return (int)cudaSuccess;
  if (!C || (K > 0 && (!A || !B))) return (int)cudaErrorInvalidValue;
  if (K == 0) {
    const long long n = (long long)M * N;
    zero_bf16_kernel<<<grid_for(n, 256), 256, 0, s>>>(C, M, N, ldc);
    return (int)after_launch();
  }
  Problem p;
  p.ta = transA;
  p.tb = transB;
  p.M = M;
  p.N = N;
  p.K = K;
  p.A = A;
  p.lda = lda;
  p.B = B;
  p.ldb = ldb;
  p.C = C;
  p.ldc = ldc;
  plan_splits(M, N, K, gemm_detail::tc_tile(In::BF16), &p.splits, &p.kps);
  const bool aligned = aligned16(A, lda, 2) && aligned16(B, ldb, 2);
  if (p.splits == 1) {
    cudaError_t err = cudaSuccess;
    if (gemm_detail::launch_wgmma(Out::BF16, p, s, &err)) return (int)err;
    return (int)gemm_detail::launch_tc(In::BF16, Out::BF16, p, aligned, s);
  }
  void* w = nullptr;
  cudaError_t err = scratch((size_t)p.splits * M * N * sizeof(float), &w, s);
  if (err != cudaSuccess) return (int)err;
  Problem q = p;
  q.C = w;
  err = gemm_detail::launch_tc(In::BF16, Out::PARTIAL, q, aligned, s);
  if (err != cudaSuccess) return (int)err;
  const long long n = (long long)M * N;
  reduce_bf16_kernel<<<grid_for(n, 256), 256, 0, s>>>(C, ldc, static_cast<const float*>(w),
                                                        p.splits, M, N);
  return (int)after_launch();
}

namespace gemm_detail {
namespace {

__device__ __forceinline__ float hash_uniform(size_t i, uint32_t seed) {  // [-1, 1)
  uint32_t x = (uint32_t)i * 2654435761U ^ (uint32_t)(i >> 32) * 0x9e3779b9U ^ seed * 0x85ebca6bU;
  x ^= x >> 16;  // lowbias32
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return (float)(x >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

__global__ void fill_f32_kernel(float* p, size_t n, uint32_t seed) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    p[i] = hash_uniform(i, seed);
}

__global__ void fill_bf16_kernel(uint16_t* p, size_t n, uint32_t seed) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    __nv_bfloat16 b = __float2bfloat16_rn(hash_uniform(i, seed));
    p[i] = *reinterpret_cast<uint16_t*>(&b);
  }
}

}  // namespace

cudaError_t fill_uniform_f32(float* p, size_t n, uint32_t seed) {
  if (n == 0) return cudaSuccess;
  fill_f32_kernel<<<grid_for((long long)n, 256), 256>>>(p, n, seed);
  return cudaGetLastError();
}

cudaError_t fill_uniform_bf16(uint16_t* p, size_t n, uint32_t seed) {
  if (n == 0) return cudaSuccess;
  fill_bf16_kernel<<<grid_for((long long)n, 256), 256>>>(p, n, seed);
  return cudaGetLastError();
}

#ifndef RG_HAVE_WGMMA
// Built without the sm_90a kernel (gemm_wgmma.cu): the Hopper path never applies.
bool launch_wgmma(Out, const Problem&, cudaStream_t, cudaError_t*) { return false; }
void set_gemm_path(int) {}
WgmmaStatus wgmma_status(bool) {
  WgmmaStatus s;
  s.reason = "built without sm_90a (nvcc < 12 or RG_CUDA_ARCHS without 90)";
  return s;
}
#endif

}  // namespace gemm_detail
uint64_t gemm_scratch_epoch() { return g_scratch_epoch.load(); }
void gemm_scratch_freeze(bool frozen) { g_scratch_frozen = frozen; }
void gemm_scratch_release(Stream stream) {
  std::lock_guard<std::mutex> lock(g_scratch_mu);
  for (auto it = g_scratch.begin(); it != g_scratch.end();) {
    if (it->first.second != (cudaStream_t)stream) {
      ++it;
      continue;
    }
    int cur = -1;
    cudaGetDevice(&cur);
    if (cur != it->first.first) cudaSetDevice(it->first.first);
    cudaFree(it->second.ptr);  // no epoch bump: only this stream's recordings used it
    if (cur >= 0 && cur != it->first.first) cudaSetDevice(cur);
    it = g_scratch.erase(it);
  }
}

}  // namespace rg::cuda
