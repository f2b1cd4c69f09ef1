// Internal interface of the GEMM family, between gemm.cu (launchers, fp32 SIMT kernel,
// conversion and split-K reduction), gemm_tc.cu (the mma.sync tensor-core kernels) and
// gemm_wgmma.cu (the Hopper wgmma + TMA kernel, sm_90a only). Not part of the kernel
// contract (kernels.h); outside the three files only testing_gemm.cc includes it.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace rg::cuda::gemm_detail {

// What the tensor-core kernel writes.
enum class Out {
  BF16 = 0,     // C bf16 (raw bits), C = acc (alpha = 1, beta = 0)
  F32 = 1,      // C fp32, C = alpha * acc + beta * C (beta == 0 never reads C)
  PARTIAL = 2,  // fp32 slice blockIdx.y of a dense [splits][M][N] workspace, C = acc
};

// Inputs of the tensor-core kernels.
enum class In {
  BF16 = 0,   // bf16 operands (ldmatrix + mma.m16n8k16.bf16)
  F32_BF16,   // fp32 operands, rounded to bf16 (RNE) while building fragments (m16n8k16.bf16)
  F32_TF32,   // fp32 operands, rounded to tf32 (cvt.rna) while building fragments (m16n8k8.tf32)
};

// One GEMM (row-major, as cpu::gemm) for the tensor-core kernels: C = op(A) op(B).
// Leading dimensions in elements. K is cut into `splits` ranges of `kps` elements
// (kps a multiple of the kernel's BK, 32 or 64; splits = ceil(K / kps)); split z writes slice z (Out::PARTIAL).
struct Problem {
  bool ta = false, tb = false;
  int M = 0, N = 0, K = 0;
  const void* A = nullptr;
  long long lda = 0;
  const void* B = nullptr;
  long long ldb = 0;
  void* C = nullptr;
  long long ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
  const float* bias = nullptr;  // Out::F32 only: C[r, c] += bias[c] after alpha and beta
  int splits = 1, kps = 0;
};

// Tile shapes of the tensor-core kernels (the block tile; gemm.cu plans split-K with it).
struct TileShape {
  int bm, bn;
};
TileShape tc_tile(In in);

// Launches the tensor-core kernel for `in` with output `out` (p.splits > 1 needs
// Out::PARTIAL). `aligned`: the 16-byte cp.async path (A, B 16-byte aligned, lda and ldb
// multiples of 16 bytes); otherwise element loads (any pointer, any leading dimension).
cudaError_t launch_tc(In in, Out out, const Problem& p, bool aligned, cudaStream_t stream);

// Tests only: forces the BF16 route of gemm() (-1: automatic, 0: fused, In::F32_BF16;
// 1: convert pass + In::BF16 kernel). A process-wide setting, not thread-safe.
void set_bf16_route(int route);

// Benchmark inputs: uniform values in [-1, 1) from a hash of (seed, index), on the
// default stream (gemm.cu).
cudaError_t fill_uniform_f32(float* p, size_t n, uint32_t seed);
cudaError_t fill_uniform_bf16(uint16_t* p, size_t n, uint32_t seed);

// ---- the Hopper path (gemm_wgmma.cu; stubs in gemm.cu when the module is built without
// sm_90a support, RG_HAVE_WGMMA undefined) ----
// Runs p on the wgmma kernel when that path applies: out F32 or BF16, p.splits == 1, bf16
// operands TMA can load (16-byte aligned, leading dimensions multiples of 8), a compute
// capability 9.0 device whose self-check passed (run here the first time, never during
// stream capture), REGURGITATE_GEMM (or set_gemm_path) not "mma", and with the "auto" path
// M >= 128, N >= 128, K >= 64. Returns false having launched nothing otherwise (the caller
// then runs launch_tc as before); true with the launch's result in *err.
bool launch_wgmma(Out out, const Problem& p, cudaStream_t stream, cudaError_t* err);

// Tests and benchmarks: overrides REGURGITATE_GEMM for the process: 0 auto, 1 mma, 2
// wgmma (forced: the size rule is dropped, every other condition stays); -1: follow the
// environment variable again (read at each call). Not thread-safe against running GEMMs.
void set_gemm_path(int path);

struct WgmmaStatus {
  bool built = false;      // the module has the sm_90a kernel (nvcc >= 12, archs incl. 90)
  bool cc90 = false;       // the current device is compute capability 9.0
  bool available = false;  // built, cc90, self-check not failed, path not "mma"
  int device = -1;
  std::string selfcheck = "not run";  // "passed" | "failed: <why>" | "not run"
  std::string path = "auto";          // the path setting in force: auto | mma | wgmma
  std::string reason;                 // why not available, when that is known up front
  long long launches = 0;             // wgmma kernels launched by gemm() / gemm_bf16()
};
// The path's state on the current device; run_selfcheck: run the self-check now if it has
// not run (a cc 9.0 device only).
WgmmaStatus wgmma_status(bool run_selfcheck);

#ifdef RG_GEMM_DEV
// Development only (tmp harness): the bf16 kernel in other tile configurations.
cudaError_t launch_bf16_cfg(int cfg, const Problem& p, cudaStream_t stream);
#endif

}  // namespace rg::cuda::gemm_detail
