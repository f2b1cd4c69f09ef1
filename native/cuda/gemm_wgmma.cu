// Hopper GEMM kernel (sm_90a: wgmma + TMA) for the BF16 tensor-core route of gemm.cu: bf16
// operands, fp32 accumulation, C fp32 (Out::F32: alpha * acc + beta * C, beta == 0 never
// reads C, then + bias[col]) or bf16 (Out::BF16, gemm_bf16). Compiled only for sm_90a
// (native/cuda/CMakeLists.txt builds this file alone with -gencode arch=compute_90a,
// code=sm_90a) and used only on compute capability 9.0 devices, after a self-check.
//
// STATUS: written and compiled, NOT yet run on a GPU. Every use is guarded by the
// self-check below, which compares it with the mma.sync kernel (gemm_tc.cu) and disables it
// for the process on any disagreement or CUDA error.
//
// Design
//   - Block tile 128 x 256 x 64 (BM x BN x BK), 4-stage shared-memory ring (48 KB a stage:
//     A 16 KB, B 32 KB; 193 KB in all), one block per SM. 128 x 256 is the tile the
//     mma.sync kernel already uses (so gemm.cu's split-K plan is the same for both) and the
//     one CUTLASS's fastest Hopper bf16 kernels use: each consumer warpgroup issues
//     m64n256k16, the widest wgmma, so a k-step reads A once per 256 columns.
//   - 3 warpgroups (384 threads): warpgroup 0 is the producer (one thread issues the TMA
//     loads; setmaxnreg drops it to 40 registers), warpgroups 1 and 2 are consumers
//     (setmaxnreg 232), each owning 64 rows x 256 columns of the tile: 128 fp32
//     accumulators a thread. 128 * 40 + 256 * 232 = 384 * 168 registers, the launch budget.
//   - Pipeline: per stage a "full" mbarrier (count 1: the producer's arrive.expect_tx; TMA's
//     complete_tx finishes the phase when the stage's 48 KB have landed) and an "empty" one
//     (count 256: every consumer thread arrives once its wgmma group reading the stage has
//     completed). Consumers keep one wgmma group in flight (wait_group 1) and release the
//     previous stage.
//   - Tiles: TMA (cp.async.bulk.tensor.2d) with 128-byte swizzle, boxes 64 elements (128
//     bytes) wide in the contiguous dimension, zero-filled outside the matrix (any M, N,
//     K; the k loop runs ceil(K / 64) steps and the zeros add nothing). Stage buffers are
//     1024-byte aligned (the swizzle atom), so every descriptor's base offset is 0.
//       K-major A (transA false, [M][K]): one box {64 k, 128 m}: row m at m * 128 bytes.
//       M-major A (transA true, [K][M]): two boxes {64 m, 64 k} at +0 and +8 KB: within a
//         box k row r at r * 128 bytes holds 64 consecutive m.
//       K-major B (transB true, [N][K]): one box {64 k, 256 n}.
//       N-major B (transB false, [K][N]): four boxes {64 n, 64 k} at +0, 8, 16, 24 KB.
//     Consumer c (0, 1) reads A at +c * 8 KB in both layouts (rows 64c..64c+63).
//   - wgmma shared-memory descriptors (PTX ISA "matrix descriptor"; CUTLASS's canonical
//     GMMA layouts, T = 8 bf16 = 16 bytes), layout type 1 = 128-byte swizzle:
//       K-major:  ((8,m),(T,2k)):((8T,SBO),(1,T)): SBO = 1024 (8 rows of 128 bytes), LBO
//                 unused (16); the k-th 16-deep slice starts 32 * k bytes into the row.
//       MN-major: ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)): SBO = 1024 (8 k rows), LBO = 8192
//                 (the next box of 64 m or n); the k-th slice starts at +2048 * k bytes.
//     MN-major operands use wgmma's transpose immediates (tnspA / tnspB = 1, valid for
//     bf16). So every transpose combination is supported.
//   - Epilogue straight from registers (accumulator d[4j + 2h + e] of thread (warp w, lane
//     l) is row 16w + l/4 + 8h, column 8j + 2(l%4) + e of the warpgroup's 64 x 256), with
//     the mma.sync kernel's arithmetic and predicates (rows < M, columns < N).
//   - Blocks are rastered in groups of 8 tile rows (as gemm_tc.cu) for L2 reuse.
//
// When gemm.cu uses it (launch_wgmma): Out::F32 or Out::BF16 with splits == 1, bf16
// operands 16-byte aligned with leading dimensions multiples of 8 elements (TMA's rules),
// device cc 9.0, REGURGITATE_GEMM not "mma", self-check passed, and (path "auto") M >= 128,
// N >= 128, K >= 64 (a smaller product fills less than one tile or one k-step; the
// mma.sync kernel's 128 x 256 tile has the same waste, so nothing is gained). With
// REGURGITATE_GEMM=wgmma the size rule is dropped (tests reach the edge cases), the others
// stay. Otherwise launch_wgmma returns false and gemm.cu runs the mma.sync kernel as before.
//
// Self-check (once per device and process, the first time the path would be taken, never
// during stream capture): every transpose combination at 256 x 256 x 192 (fp32 out, alpha
// 0.75, beta 0.5, bias), 200 x 264 x 136 (fp32 out, beta 0 over a NaN-poisoned C) and bf16
// out, 136 x 130 x 40 (K below BK) and 256 x 512 x 1000 (16 k-steps: the stage ring wraps
// around four times; a K tail), against the In::BF16 mma.sync kernel on the same
// bf16 inputs: both sum exact bf16 products in fp32, so they agree to summation order;
// required |diff| <= 1e-4 * max |row of reference| (bf16 out: 1e-2), NaN fails. A barrier
// wait that exceeds 2 s in the check's runs aborts the kernel and fails the check, rather
// than hanging. Any failure or CUDA error disables the path for the process with one line
// on stderr.
#include <cuda.h>  // CUtensorMap and its enums only: the driver is reached through cudart
#include <cudaTypedefs.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "gemm_internal.h"
#include "gemm_device.cuh"

namespace rg::cuda::gemm_detail {
namespace {

constexpr int WG_BM = 128, WG_BN = 256, WG_BK = 64, WG_STAGES = 4, WG_THREADS = 384;
// setmaxnreg targets: the producer warpgroup gives registers back, the consumers take them.
constexpr int WG_PRODUCER_REGS = 40, WG_CONSUMER_REGS = 232;
constexpr uint32_t WG_A_BYTES = WG_BM * WG_BK * 2;               // 16 KB
constexpr uint32_t WG_B_BYTES = WG_BN * WG_BK * 2;               // 32 KB
constexpr uint32_t WG_STAGE_BYTES = WG_A_BYTES + WG_B_BYTES;     // 48 KB
constexpr uint32_t WG_BOX_BYTES = 64 * 64 * 2;                   // one {64, 64} box: 8 KB
constexpr uint32_t WG_SMEM = WG_STAGES * WG_STAGE_BYTES + 2 * WG_STAGES * 8 + 1024;

struct WgParams {
  int M, N, K;
  void* C;
  long long ldc;
  float alpha, beta;
  const float* bias;  // Out::F32 only
  int* timeout;       // self-check only: set to 1 when a barrier wait gives up (else null)
};

// ---- PTX wrappers (sm_90a) ---------------------------------------------------------------
__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
__device__ __forceinline__ bool mbar_try(uint32_t bar, uint32_t parity) {
  uint32_t ok;
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
      "selp.u32 %0, 1, 0, p;\n"
      "}\n"
      : "=r"(ok)
      : "r"(bar), "r"(parity)
      : "memory");
  return ok != 0;
}
__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;\n" : "=l"(t));
  return t;
}
// Waits for the completion of the barrier's phase of parity `parity`. Without `timeout`
// (production) it waits as long as it takes; with it (self-check) it gives up after 2 s,
// sets *timeout and returns false.
__device__ __forceinline__ bool mbar_wait(uint32_t bar, uint32_t parity, int* timeout) {
  if (mbar_try(bar, parity)) return true;
  if (!timeout) {
    while (!mbar_try(bar, parity)) {
    }
    return true;
  }
  const uint64_t t0 = global_ns();
  while (!mbar_try(bar, parity)) {
    if (global_ns() - t0 > 2000000000ull) {
      atomicExch(timeout, 1);
      return false;
    }
  }
  return true;
}
// 2-D tiled TMA load of the box at (c0: contiguous coordinate, c1: row) into shared memory;
// completes `bytes` of transactions on `bar`.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const CUtensorMap* map, int c0, int c1,
                                            uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar)
      : "memory");
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
template <int R>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(R));
}
template <int R>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(R));
}
// Keeps the compiler from moving accumulator reads or writes across the asm around it
// (wgmma writes them asynchronously; CUTLASS's warpgroup_fence_operand).
__device__ __forceinline__ void fence_acc(float (&d)[128]) {
#pragma unroll
  for (int i = 0; i < 128; ++i) asm volatile("" : "+f"(d[i])::"memory");
}
// Shared-memory matrix descriptor, 128-byte swizzle (see the header comment).
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr, bool mn_major) {
  const uint64_t lbo = mn_major ? 8192u : 16u, sbo = 1024u;
  return (uint64_t)((addr & 0x3FFFFu) >> 4) | ((lbo >> 4) << 16) | ((sbo >> 4) << 32) |
         (1ull << 62);
}

// D (64 x 256, fp32, registers) += A (64 x 16, descriptor) * B (16 x 256, descriptor).
// TNSP_A / TNSP_B: 1 when the operand is MN-major in shared memory.
template <int TNSP_A, int TNSP_B>
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[128], uint64_t da, uint64_t db) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
      "{"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127"
      "}, "
      "%128, %129, p, 1, 1, %131, %132;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(da), "l"(db), "r"(1), "n"(TNSP_A), "n"(TNSP_B));
}


// ---- the kernel ------------------------------------------------------------------------------
template <bool TA, bool TB, Out OUT>
__global__ void __launch_bounds__(WG_THREADS, 1)
    wgmma_gemm_kernel(const __grid_constant__ CUtensorMap tmA,
                      const __grid_constant__ CUtensorMap tmB, const WgParams p) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
  const uint32_t bars = base + WG_STAGES * WG_STAGE_BYTES;
  auto full_bar = [&](int s) { return bars + 8u * (uint32_t)s; };
  auto empty_bar = [&](int s) { return bars + 8u * (uint32_t)(WG_STAGES + s); };

  // Block -> tile, grouped by 8 tile rows (as gemm_tc.cu).
  int tm, tn;
  grouped_tile((int)blockIdx.x, (p.M + WG_BM - 1) / WG_BM, (p.N + WG_BN - 1) / WG_BN, tm, tn);
  const int m0 = tm * WG_BM, n0 = tn * WG_BN;
  const int KT = (p.K + WG_BK - 1) / WG_BK;
  const int wg = (int)threadIdx.x / 128;

  if (threadIdx.x == 0) {
    for (int s = 0; s < WG_STAGES; ++s) {
      mbar_init(full_bar(s), 1);
      mbar_init(empty_bar(s), 256);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();

  if (wg == 0) {  // producer
    setmaxnreg_dec<WG_PRODUCER_REGS>();
    if (threadIdx.x == 0) {
      for (int kt = 0; kt < KT; ++kt) {
        const int s = kt % WG_STAGES;
        // Round r = kt / STAGES of stage s needs round r - 1's consumers done.
        if (kt >= WG_STAGES && !mbar_wait(empty_bar(s), ((kt / WG_STAGES) & 1) ^ 1, p.timeout))
          return;
        const uint32_t fb = full_bar(s);
        const uint32_t sa = base + (uint32_t)s * WG_STAGE_BYTES, sb = sa + WG_A_BYTES;
        mbar_expect_tx(fb, WG_STAGE_BYTES);
        const int k0 = kt * WG_BK;
        if constexpr (!TA) {
          tma_load_2d(sa, &tmA, k0, m0, fb);
        } else {
          tma_load_2d(sa, &tmA, m0, k0, fb);
          tma_load_2d(sa + WG_BOX_BYTES, &tmA, m0 + 64, k0, fb);
        }
        if constexpr (TB) {
          tma_load_2d(sb, &tmB, k0, n0, fb);
        } else {
#pragma unroll
          for (int j = 0; j < 4; ++j) tma_load_2d(sb + j * WG_BOX_BYTES, &tmB, n0 + 64 * j, k0, fb);
        }
      }
    }
    return;
  }

  // Consumers: warpgroup c = wg - 1 owns rows 64c .. 64c + 63 of the tile.
  setmaxnreg_inc<WG_CONSUMER_REGS>();
  const int c = wg - 1;
  float acc[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) acc[i] = 0.0f;
  fence_acc(acc);
  bool ok = true;
  for (int kt = 0; kt < KT; ++kt) {
    const int s = kt % WG_STAGES;
    if (!mbar_wait(full_bar(s), (kt / WG_STAGES) & 1, p.timeout)) {
      ok = false;
      break;
    }
    const uint32_t sa = base + (uint32_t)s * WG_STAGE_BYTES + (uint32_t)c * WG_BOX_BYTES;
    const uint32_t sb = base + (uint32_t)s * WG_STAGE_BYTES + WG_A_BYTES;
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < WG_BK / 16; ++kk) {
      const uint64_t da = smem_desc(sa + (TA ? kk * 2048u : kk * 32u), TA);
      const uint64_t db = smem_desc(sb + (TB ? kk * 32u : kk * 2048u), !TB);
      wgmma_m64n256k16<TA ? 1 : 0, TB ? 0 : 1>(acc, da, db);
    }
    wgmma_commit();
    wgmma_wait<1>();  // the previous k-step's group is done: its stage can be refilled
    fence_acc(acc);
    if (kt > 0) mbar_arrive(empty_bar((kt - 1) % WG_STAGES));
  }
  wgmma_wait<0>();
  fence_acc(acc);
  if (!ok) return;

  // Epilogue: the mma.sync kernel's (gemm_tc.cu) arithmetic, order and predicates.
  const int w = ((int)threadIdx.x % 128) / 32, l = (int)threadIdx.x % 32;
  const int row0 = m0 + 64 * c + 16 * w + (l >> 2);
  const int col0 = n0 + 2 * (l & 3);
  const long long ldc = p.ldc;
  const bool pair = pair_ok<OUT>(p, ldc);
#pragma unroll
  for (int j = 0; j < WG_BN / 8; ++j) {
    const int col = col0 + 8 * j;
    if (col >= p.N) continue;
    const bool two = col + 1 < p.N;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int row = row0 + 8 * h;
      if (row >= p.M) continue;
      store_pair<OUT>(p, ldc, 0, row, col, two, pair, acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
    }
  }
#endif  // sm_90a
}

// ---- host side -------------------------------------------------------------------------------
enum Path { PATH_AUTO = 0, PATH_MMA = 1, PATH_WGMMA = 2 };
std::atomic<int> g_path_override{-1};  // set_gemm_path; -1: REGURGITATE_GEMM
std::atomic<long long> g_launches{0};

int current_path() {
  const int o = g_path_override.load();
  if (o >= 0) return o;
  const char* e = std::getenv("REGURGITATE_GEMM");
  if (!e) return PATH_AUTO;
  if (std::strcmp(e, "mma") == 0) return PATH_MMA;
  if (std::strcmp(e, "wgmma") == 0) return PATH_WGMMA;
  return PATH_AUTO;
}
const char* path_name(int p) { return p == PATH_MMA ? "mma" : p == PATH_WGMMA ? "wgmma" : "auto"; }

// cuTensorMapEncodeTiled from the driver, through the runtime (no -lcuda: the module must
// load where there is no driver). Null when unavailable.
PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static std::once_flag once;
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  std::call_once(once, [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
#if CUDART_VERSION >= 12050
    const cudaError_t e = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000,
                                                           cudaEnableDefault, &q);
#else  // ByVersion is new in CUDA 12.5; CMakeLists.txt builds this file from nvcc 12.0 on
    const cudaError_t e = cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &f, cudaEnableDefault, &q);
#endif
    if (e == cudaSuccess && q == cudaDriverEntryPointSuccess && f)
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
    else
      (void)cudaGetLastError();
  });
  return fn;
}

// A 2-D bf16 tensor map: `inner` contiguous elements per row, `outer` rows `ld` elements
// apart, boxes of box_inner x box_outer, 128-byte swizzle, zero fill outside.
bool encode(CUtensorMap* m, const void* ptr, long long inner, long long outer, long long ld,
            uint32_t box_inner, uint32_t box_outer) {
  PFN_cuTensorMapEncodeTiled_v12000 fn = encode_fn();
  if (!fn) return false;
  const cuuint64_t dims[2] = {(cuuint64_t)inner, (cuuint64_t)outer};
  const cuuint64_t strides[1] = {(cuuint64_t)ld * 2};
  const cuuint32_t box[2] = {box_inner, box_outer};
  const cuuint32_t es[2] = {1, 1};
  return fn(m, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(ptr), dims, strides, box, es,
            CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

// TMA's rules for p's operands: 16-byte aligned bases, leading dimensions multiples of 8
// bf16 (16 bytes), extents TMA can describe.
bool tma_ok(const Problem& p) {
  auto al = [](const void* q, long long ld) {
    return q && (reinterpret_cast<uintptr_t>(q) & 15) == 0 && ld > 0 && ld % 8 == 0 && ld < (1LL << 38);
  };
  return al(p.A, p.lda) && al(p.B, p.ldb) && p.M > 0 && p.N > 0 && p.K > 0;
}

bool make_maps(const Problem& p, CUtensorMap* ma, CUtensorMap* mb) {
  std::memset(ma, 0, sizeof(*ma));
  std::memset(mb, 0, sizeof(*mb));
  const bool a = p.ta ? encode(ma, p.A, p.M, p.K, p.lda, 64, 64)    // [K][M]
                      : encode(ma, p.A, p.K, p.M, p.lda, 64, WG_BM);  // [M][K]
  const bool b = p.tb ? encode(mb, p.B, p.K, p.N, p.ldb, 64, WG_BN)   // [N][K]
                      : encode(mb, p.B, p.N, p.K, p.ldb, 64, 64);     // [K][N]
  return a && b;
}

template <bool TA, bool TB, Out OUT>
cudaError_t launch_kernel(const CUtensorMap& ma, const CUtensorMap& mb, const WgParams& w,
                          cudaStream_t stream) {
  auto kernel = wgmma_gemm_kernel<TA, TB, OUT>;
  static bool smem_set[64] = {};
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return err;
  if (dev < 0 || dev >= 64 || !smem_set[dev]) {
    err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)WG_SMEM);
    if (err != cudaSuccess) return err;
    if (dev >= 0 && dev < 64) smem_set[dev] = true;
  }
  const long long tiles =
      (long long)((w.M + WG_BM - 1) / WG_BM) * (long long)((w.N + WG_BN - 1) / WG_BN);
  if (tiles > 0x7fffffffLL) return cudaErrorInvalidValue;
  kernel<<<dim3((unsigned)tiles), WG_THREADS, WG_SMEM, stream>>>(ma, mb, w);
  return cudaGetLastError();
}

template <Out OUT>
cudaError_t launch_out(const Problem& p, const CUtensorMap& ma, const CUtensorMap& mb,
                       const WgParams& w, cudaStream_t s) {
  if (!p.ta && !p.tb) return launch_kernel<false, false, OUT>(ma, mb, w, s);
  if (!p.ta && p.tb) return launch_kernel<false, true, OUT>(ma, mb, w, s);
  if (p.ta && !p.tb) return launch_kernel<true, false, OUT>(ma, mb, w, s);
  return launch_kernel<true, true, OUT>(ma, mb, w, s);
}

// Runs p (splits ignored: the whole K) on the wgmma kernel. `encoded` false: the tensor
// maps could not be made (nothing launched).
cudaError_t run_wgmma(Out out, const Problem& p, int* timeout, cudaStream_t s, bool* encoded) {
  CUtensorMap ma, mb;
  *encoded = make_maps(p, &ma, &mb);
  if (!*encoded) return cudaErrorInvalidValue;
  WgParams w;
  w.M = p.M;
  w.N = p.N;
  w.K = p.K;
  w.C = p.C;
  w.ldc = p.ldc;
  w.alpha = p.alpha;
  w.beta = p.beta;
  w.bias = out == Out::F32 ? p.bias : nullptr;
  w.timeout = timeout;
  if (out == Out::F32) return launch_out<Out::F32>(p, ma, mb, w, s);
  if (out == Out::BF16) return launch_out<Out::BF16>(p, ma, mb, w, s);
  return cudaErrorInvalidValue;
}

// ---- device facts and the self-check -----------------------------------------------------------
bool is_cc90(int dev) {
  static int cache[64] = {};  // 0 unknown, 1 yes, 2 no
  if (dev < 0 || dev >= 64) return false;
  if (cache[dev] == 0) {
    int major = 0, minor = 0;
    const bool ok = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) == cudaSuccess &&
                    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) == cudaSuccess;
    if (!ok) (void)cudaGetLastError();
    cache[dev] = ok && major == 9 && minor == 0 ? 1 : 2;
  }
  return cache[dev] == 1;
}

enum Check { NOT_RUN = 0, PASSED = 1, FAILED = 2 };
std::mutex g_check_mu;
std::atomic<int> g_check[64];  // zero-initialised (static storage): NOT_RUN
std::string g_check_reason[64];

float bf16_to_f32(uint16_t b) {
  const uint32_t u = (uint32_t)b << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Device buffers freed on scope exit.
struct Buf {
  void* p = nullptr;
  ~Buf() {
    if (p) cudaFree(p);
  }
};

#define RG_CK(expr)                                                   \
  do {                                                                \
    const cudaError_t e_ = (expr);                                    \
    if (e_ != cudaSuccess) return std::string("CUDA error in ") + #expr + ": " + cudaGetErrorString(e_); \
  } while (0)

// One comparison case of the self-check.
struct Case {
  bool ta, tb;
  int M, N, K;
  Out out;
  float alpha, beta;
  bool bias;
};

// Runs every case on both kernels; returns "" when all agree, else why not.
std::string run_selfcheck() {
  std::vector<Case> cases;
  for (int combo = 0; combo < 4; ++combo) {
    const bool ta = combo & 2, tb = combo & 1;
    cases.push_back({ta, tb, 256, 256, 192, Out::F32, 0.75f, 0.5f, true});
    cases.push_back({ta, tb, 200, 264, 136, Out::F32, 1.0f, 0.0f, false});
    cases.push_back({ta, tb, 200, 264, 136, Out::BF16, 1.0f, 0.0f, false});
    cases.push_back({ta, tb, 136, 130, 40, Out::F32, -1.25f, 0.0f, true});
    // 16 k-steps: the 4-stage ring wraps around (the empty barriers' phases), a K tail.
    cases.push_back({ta, tb, 256, 512, 1000, Out::F32, 1.0f, 0.25f, true});
  }
  // Leading dimensions: the stored row padded to a multiple of 8, plus 8; ldc = N + 4.
  auto lda_of = [](const Case& k) { return ((k.ta ? k.M : k.K) + 7) / 8 * 8 + 8; };
  auto ldb_of = [](const Case& k) { return ((k.tb ? k.K : k.N) + 7) / 8 * 8 + 8; };
  size_t opn = 0, cn = 0;
  int maxn = 0;
  for (const Case& k : cases) {
    opn = std::max({opn, (size_t)(k.ta ? k.K : k.M) * lda_of(k), (size_t)(k.tb ? k.N : k.K) * ldb_of(k)});
    cn = std::max(cn, (size_t)k.M * (k.N + 4));
    maxn = std::max(maxn, k.N);
  }
  Buf a, b, c0, cr, cw, bias, flag;
  RG_CK(cudaDeviceSynchronize());
  RG_CK(cudaMalloc(&a.p, opn * 2));
  RG_CK(cudaMalloc(&b.p, opn * 2));
  RG_CK(cudaMalloc(&c0.p, cn * 4));
  RG_CK(cudaMalloc(&cr.p, cn * 4));
  RG_CK(cudaMalloc(&cw.p, cn * 4));
  RG_CK(cudaMalloc(&bias.p, (size_t)maxn * 4));
  RG_CK(cudaMalloc(&flag.p, 4));
  RG_CK(fill_uniform_bf16(static_cast<uint16_t*>(a.p), opn, 0x5eed1));
  RG_CK(fill_uniform_bf16(static_cast<uint16_t*>(b.p), opn, 0x5eed2));
  RG_CK(fill_uniform_f32(static_cast<float*>(c0.p), cn, 0x5eed3));
  RG_CK(fill_uniform_f32(static_cast<float*>(bias.p), (size_t)maxn, 0x5eed4));
  RG_CK(cudaDeviceSynchronize());
  std::vector<float> hr(cn), hw(cn);
  std::vector<uint16_t> hr16(cn), hw16(cn);
  for (const Case& k : cases) {
    Problem p;
    p.ta = k.ta;
    p.tb = k.tb;
    p.M = k.M;
    p.N = k.N;
    p.K = k.K;
    p.lda = lda_of(k);
    p.ldb = ldb_of(k);
    p.A = a.p;
    p.B = b.p;
    p.ldc = k.N + 4;
    p.alpha = k.out == Out::F32 ? k.alpha : 1.0f;
    p.beta = k.out == Out::F32 ? k.beta : 0.0f;
    p.bias = k.out == Out::F32 && k.bias ? static_cast<const float*>(bias.p) : nullptr;
    p.splits = 1;
    p.kps = (k.K + 63) / 64 * 64;
    const size_t el = k.out == Out::F32 ? 4 : 2;
    const size_t cbytes = (size_t)k.M * p.ldc * el;
    if (k.out == Out::F32 && k.beta != 0.0f) {
      RG_CK(cudaMemcpy(cr.p, c0.p, cbytes, cudaMemcpyDeviceToDevice));
      RG_CK(cudaMemcpy(cw.p, c0.p, cbytes, cudaMemcpyDeviceToDevice));
    } else {  // NaN (fp32 and bf16 all-ones bits): unwritten elements fail the comparison
      RG_CK(cudaMemset(cr.p, 0xFF, cbytes));
      RG_CK(cudaMemset(cw.p, 0xFF, cbytes));
    }
    RG_CK(cudaMemset(flag.p, 0, 4));
    Problem pr = p;
    pr.C = cr.p;
    RG_CK(launch_tc(In::BF16, k.out, pr, true, 0));
    Problem pw = p;
    pw.C = cw.p;
    bool encoded = false;
    const cudaError_t le = run_wgmma(k.out, pw, static_cast<int*>(flag.p), 0, &encoded);
    char where[160];
    std::snprintf(where, sizeof where, "transA=%d transB=%d M=%d N=%d K=%d out=%s", (int)k.ta,
                  (int)k.tb, k.M, k.N, k.K, k.out == Out::F32 ? "f32" : "bf16");
    if (!encoded) return std::string(where) + ": cuTensorMapEncodeTiled failed or unavailable";
    if (le != cudaSuccess) return std::string(where) + ": launch: " + cudaGetErrorString(le);
    RG_CK(cudaDeviceSynchronize());
    int timed_out = 0;
    RG_CK(cudaMemcpy(&timed_out, flag.p, 4, cudaMemcpyDeviceToHost));
    if (timed_out) return std::string(where) + ": a barrier wait timed out (2 s)";
    const double tol = k.out == Out::F32 ? 1e-4 : 1e-2;
    double worst = 0.0;
    int wr = -1, wc = -1;
    if (k.out == Out::F32) {
      RG_CK(cudaMemcpy(hr.data(), cr.p, cbytes, cudaMemcpyDeviceToHost));
      RG_CK(cudaMemcpy(hw.data(), cw.p, cbytes, cudaMemcpyDeviceToHost));
    } else {
      RG_CK(cudaMemcpy(hr16.data(), cr.p, cbytes, cudaMemcpyDeviceToHost));
      RG_CK(cudaMemcpy(hw16.data(), cw.p, cbytes, cudaMemcpyDeviceToHost));
    }
    for (int i = 0; i < k.M; ++i) {
      auto ref = [&](int j) {
        const size_t x = (size_t)i * p.ldc + j;
        return k.out == Out::F32 ? (double)hr[x] : (double)bf16_to_f32(hr16[x]);
      };
      auto got = [&](int j) {
        const size_t x = (size_t)i * p.ldc + j;
        return k.out == Out::F32 ? (double)hw[x] : (double)bf16_to_f32(hw16[x]);
      };
      double mag = 0.0;
      for (int j = 0; j < k.N; ++j) mag = std::fmax(mag, std::fabs(ref(j)));
      if (!std::isfinite(mag)) mag = 0.0;  // a NaN reference fails below (NaN compares false)
      if (mag < 1e-30) mag = 1e-30;
      for (int j = 0; j < k.N; ++j) {
        const double r = ref(j), g = got(j);
        double e = std::fabs(g - r) / mag;
        if (!std::isfinite(r) || !std::isfinite(g) || !std::isfinite(e)) e = INFINITY;
        if (!(e <= worst)) {
          worst = e;
          wr = i;
          wc = j;
        }
      }
    }
    if (!(worst <= tol)) {
      char msg[200];
      std::snprintf(msg, sizeof msg, ": max error %.3g of the row's magnitude (tol %.0e) at row %d col %d",
                    worst, tol, wr, wc);
      return std::string(where) + msg;
    }
  }
  return "";
}
#undef RG_CK

// setmaxnreg.inc waits until the block's register pool has room, so it never returns if
// ptxas gave the kernel fewer registers than the split needs (the consumers' extra must
// come from what the producer gives back), and no barrier timeout catches that hang.
// Checked before the first launch; "" when every variant fits.
template <bool TA, bool TB, Out OUT>
std::string register_budget_of(const char* name) {
  cudaFuncAttributes fa;
  const cudaError_t e = cudaFuncGetAttributes(&fa, wgmma_gemm_kernel<TA, TB, OUT>);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string(name) + ": " + cudaGetErrorString(e);
  }
  const int producers = 128, consumers = WG_THREADS - producers;
  if (producers * (fa.numRegs - WG_PRODUCER_REGS) < consumers * (WG_CONSUMER_REGS - fa.numRegs))
    return std::string(name) + " has " + std::to_string(fa.numRegs) +
           " registers a thread, too few for the setmaxnreg split " + std::to_string(WG_PRODUCER_REGS) + "/" +
           std::to_string(WG_CONSUMER_REGS);
  return "";
}

std::string register_budget_problem() {
  std::string r;
  for (const std::string& w :
       {register_budget_of<false, false, Out::F32>("NN f32"), register_budget_of<false, true, Out::F32>("NT f32"),
        register_budget_of<true, false, Out::F32>("TN f32"), register_budget_of<true, true, Out::F32>("TT f32"),
        register_budget_of<false, false, Out::BF16>("NN bf16"), register_budget_of<false, true, Out::BF16>("NT bf16"),
        register_budget_of<true, false, Out::BF16>("TN bf16"), register_budget_of<true, true, Out::BF16>("TT bf16")})
    if (r.empty()) r = w;
  return r;
}

// True when device `dev`'s self-check has passed; runs it first if it has not run (not
// while `stream` is being captured into a graph: then false, and it runs on a later call).
bool selfcheck_passed(int dev, cudaStream_t stream) {
  if (dev < 0 || dev >= 64) return false;
  const int st = g_check[dev].load();
  if (st != NOT_RUN) return st == PASSED;
  cudaStreamCaptureStatus cs = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream, &cs) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  if (cs != cudaStreamCaptureStatusNone) return false;
  std::lock_guard<std::mutex> lock(g_check_mu);
  if (g_check[dev].load() != NOT_RUN) return g_check[dev].load() == PASSED;
  std::string why;
  cudaFuncAttributes fa;
  const cudaError_t fe = cudaFuncGetAttributes(&fa, wgmma_gemm_kernel<false, true, Out::F32>);
  if (fe != cudaSuccess) {
    (void)cudaGetLastError();
    why = std::string("no sm_90a kernel image: ") + cudaGetErrorString(fe);
  } else {
    why = register_budget_problem();
    if (why.empty()) why = run_selfcheck();
  }
  if (why.empty()) {
    g_check_reason[dev].clear();
    g_check[dev].store(PASSED);
    return true;
  }
  (void)cudaGetLastError();
  g_check_reason[dev] = why;
  g_check[dev].store(FAILED);
  std::fprintf(stderr, "regurgitate: wgmma GEMM path disabled on device %d: self-check failed: %s\n",
               dev, why.c_str());
  return false;
}

}  // namespace

void set_gemm_path(int path) { g_path_override.store(path < 0 || path > 2 ? -1 : path); }

bool launch_wgmma(Out out, const Problem& p, cudaStream_t stream, cudaError_t* err) {
  if (out != Out::F32 && out != Out::BF16) return false;
  if (p.splits != 1) return false;
  const int path = current_path();
  if (path == PATH_MMA) return false;
  if (path == PATH_AUTO && (p.M < 128 || p.N < 128 || p.K < 64)) return false;
  if (!tma_ok(p)) return false;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return false;
  }
  if (!is_cc90(dev) || !selfcheck_passed(dev, stream)) return false;
  bool encoded = false;
  const cudaError_t e = run_wgmma(out, p, nullptr, stream, &encoded);
  if (!encoded) return false;  // nothing launched: the caller's kernel runs instead
  *err = e;
  if (e == cudaSuccess) g_launches.fetch_add(1);
  return true;
}

WgmmaStatus wgmma_status(bool run_selfcheck_now) {
  WgmmaStatus s;
  s.built = true;
  s.path = path_name(current_path());
  s.launches = g_launches.load();
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    s.reason = std::string("no CUDA device: ") + cudaGetErrorString(e);
    return s;
  }
  s.device = dev;
  s.cc90 = is_cc90(dev);
  if (!s.cc90) {
    s.reason = "device is not compute capability 9.0";
  } else if (run_selfcheck_now) {
    selfcheck_passed(dev, 0);
  }
  const int st = dev >= 0 && dev < 64 ? g_check[dev].load() : (int)NOT_RUN;
  s.selfcheck = st == PASSED ? "passed" : st == FAILED ? "failed: " + g_check_reason[dev] : "not run";
  s.available = s.cc90 && st != FAILED && current_path() != PATH_MMA;
  return s;
}

}  // namespace rg::cuda::gemm_detail
