// Tensor-core GEMM kernels (sm_80 instructions, which Hopper runs too): one template for
// bf16 operands (ldmatrix feeding mma.m16n8k16.bf16: gemm_bf16() and the BF16 path of
// gemm() after its conversion pass) and for fp32 operands rounded to tf32 (the TF32 path)
// or bf16 (the fused BF16 route, tests only) while the fragments are built. Ampere-style:
//
//   - block tile BM x BN x BK (BK 32 or 64), warps of WM x WN, fp32 accumulators in
//     registers, fragments double buffered across k steps;
//   - a STAGES-deep cp.async pipeline (16-byte copies, zero-filled past the matrix edge
//     through cp.async's src-size) into padded shared-memory tiles; the padding makes the
//     ldmatrix / fragment loads bank-conflict free (worked out per layout below);
//   - every transpose combination keeps its global layout in shared memory: a K-major
//     operand (A not transposed, B transposed) is stored [rows][BK + pad], an M- or
//     N-major one [BK][cols + pad]; ldmatrix.trans (bf16) or the fragment indexing
//     (fp32) reads either;
//   - edges: every 16-byte chunk is predicated on its row and clipped on its columns, so
//     any M, N, K is right; an operand whose pointer or leading dimension is not 16-byte
//     aligned takes an element-load path (ALIGNED = false) with the same tiles;
//   - split-K: blockIdx.y picks a K range; its partial sums go to a workspace slice that
//     gemm.cu reduces in a fixed order (deterministic, no atomics);
//   - blocks are rastered in groups of 8 tile rows so concurrent blocks share operands
//     in L2.
//
// Measured on an H100 (bf16, 4096^3, any transpose combination): about 307 TFLOP/s, where
// cuBLAS (torch.matmul, wgmma) does about 800. Nsight Compute: one 8-warp block per SM
// (registers and shared memory), 2 warps per scheduler, ~5.5 cycles per issued
// instruction: latency bound. Tried and slower: 128 x 256 x 32 with 4 stages (~275),
// 128 x 128 (~300), 256 x 128 (~295).
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "gemm_internal.h"
#include "gemm_device.cuh"

namespace rg::cuda::gemm_detail {
namespace {

// ---- PTX wrappers ----------------------------------------------------------------------
__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}
// 16-byte global -> shared copy; bytes past src_bytes (0..16) are zero-filled.
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)),
               "l"(src), "r"(src_bytes)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldsm_x4_t(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4],
                                         const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, "
      "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
__device__ __forceinline__ void mma_tf32(float (&c)[4], const uint32_t (&a)[4],
                                         const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, "
      "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// fp32 -> tf32, round to nearest (ties away from zero), as a 32-bit register.
__device__ __forceinline__ uint32_t to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}
// Two fp32 -> bf16x2 (round to nearest even); lo goes to the low 16 bits.
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// ---- configuration -----------------------------------------------------------------------
// TIn: uint16_t (bf16 bits) or float. Padding (elements) of a shared-memory row:
//   bf16 (ldmatrix): 8 both ways. A K-major row is 40 elements = 80 bytes: the 8 rows an
//     ldmatrix phase reads start 20 words apart, banks 0,20,8,28,16,4,24,12 (+0..3): no
//     conflict. An MN-major row is BM + 8 elements = 68 words mod 32 = 4 apart: none.
//   fp32 -> bf16 fragments (float2 along K, half-warp phases of g = 0..3, t = 0..3):
//     K-major stride 40 words: bank 8g + 2t (+1): none. MN-major, scalar loads at
//     (k = 2t, 2t+1; m = g): stride BM + 4 = 4 mod 32: bank 8t + g (+4): none.
//   fp32 -> tf32 fragments (scalars at (row g, k t) / (k t, col g)): K-major stride 36:
//     bank 4g + t: none. MN-major stride BM + 8 = 8 mod 32: bank 8t + g: none.
template <In IN>
struct InTraits;
// T: the shared-memory element, G: the global one.
template <>
struct InTraits<In::BF16> {
  using T = uint16_t;
  using G = uint16_t;
  static constexpr int PAD_K = 8, PAD_MN = 8;
};
template <>
struct InTraits<In::F32_BF16> {
  using T = float;
  using G = float;
  static constexpr int PAD_K = 8, PAD_MN = 4;
};
template <>
struct InTraits<In::F32_TF32> {
  using T = float;
  using G = float;
  static constexpr int PAD_K = 4, PAD_MN = 8;
};


template <In IN, int BM_, int BN_, int BK_, int WM_, int WN_, int STAGES_, bool TA_, bool TB_>
struct Cfg {
  using T = typename InTraits<IN>::T;
  using G = typename InTraits<IN>::G;
  static constexpr int BM = BM_, BN = BN_, BK = BK_, WM = WM_, WN = WN_, STAGES = STAGES_;
  static constexpr bool TA = TA_, TB = TB_;
  static constexpr int WARPS_M = BM / WM, WARPS_N = BN / WN;
  static constexpr int THREADS = WARPS_M * WARPS_N * 32;
  static constexpr int MT = WM / 16, NT = WN / 8;  // mma tiles per warp
  // A: K-major [BM][BK + pad] (not transposed) or [BK][BM + pad] (transposed).
  static constexpr int A_LD = TA ? BM + InTraits<IN>::PAD_MN : BK + InTraits<IN>::PAD_K;
  static constexpr int A_ELEMS = TA ? BK * A_LD : BM * A_LD;
  // B: K-major [BN][BK + pad] (transposed: stored N x K) or [BK][BN + pad].
  static constexpr int B_LD = TB ? BK + InTraits<IN>::PAD_K : BN + InTraits<IN>::PAD_MN;
  static constexpr int B_ELEMS = TB ? BN * B_LD : BK * B_LD;
  static constexpr int STAGE_ELEMS = A_ELEMS + B_ELEMS;
  static constexpr size_t SMEM = (size_t)STAGES * STAGE_ELEMS * sizeof(T);
  static_assert(BM % WM == 0 && BN % WN == 0 && WM % 16 == 0 && WN % 16 == 0, "tile shape");
  static_assert(BK == 32 || BK == 64, "BK");
  static_assert((A_LD * sizeof(T)) % 16 == 0 && (B_LD * sizeof(T)) % 16 == 0, "16-byte rows");
  static_assert((A_ELEMS * sizeof(T)) % 16 == 0, "B tile 16-byte aligned");
};

// ---- global -> shared tile loads ---------------------------------------------------------
// Loads a ROWS x COLS tile (COLS the contiguous dimension) of a row-major matrix g (row
// stride ld) starting at (r0, c0) into s (row stride LD), in 16-byte chunks. Rows >= rlim
// and columns >= clim are zero. ALIGNED: cp.async (g 16-byte aligned, ld a multiple of 16
// bytes, so every chunk is); otherwise element loads and a 16-byte shared store.
template <typename T, int ROWS, int COLS, int LD, int THREADS, bool ALIGNED>
__device__ __forceinline__ void load_tile(T* s, const T* __restrict__ g, long long ld, int r0,
                                          int rlim, int c0, int clim) {
  constexpr int EPC = 16 / (int)sizeof(T);  // elements per chunk
  constexpr int CPR = COLS / EPC;           // chunks per row
  constexpr int CHUNKS = ROWS * CPR;
  static_assert(COLS % EPC == 0 && CHUNKS % THREADS == 0, "tile / threads");
#pragma unroll
  for (int i = 0; i < CHUNKS / THREADS; ++i) {
    const int id = (int)threadIdx.x + i * THREADS;
    const int r = id / CPR, c = (id % CPR) * EPC;
    const int gr = r0 + r, gc = c0 + c;
    int valid = gr < rlim ? clim - gc : 0;
    valid = valid < 0 ? 0 : (valid > EPC ? EPC : valid);
    T* dst = s + r * LD + c;
    if constexpr (ALIGNED) {
      const T* src = valid > 0 ? g + (long long)gr * ld + gc : g;
      cp_async_16(dst, src, valid * (int)sizeof(T));
    } else {
      union {
        uint4 u;
        T e[EPC];
      } v;
      v.u = make_uint4(0, 0, 0, 0);
      if (valid > 0) {
        const T* src = g + (long long)gr * ld + gc;
#pragma unroll
        for (int j = 0; j < EPC; ++j)
          if (j < valid) v.e[j] = src[j];
      }
      *reinterpret_cast<uint4*>(dst) = v.u;
    }
  }
}

// ---- the kernel ------------------------------------------------------------------------------
template <class C, In IN, bool ALIGNED, Out OUT>
__global__ void __launch_bounds__(C::THREADS, C::THREADS <= 128 ? 2 : 1)
    tc_gemm_kernel(const Problem p) {
  using T = typename C::T;
  constexpr int BM = C::BM, BN = C::BN, BK = C::BK, MT = C::MT, NT = C::NT, STAGES = C::STAGES;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);

  // Block -> tile, grouped by 8 tile rows (L2 reuse between concurrent blocks).
  int tm, tn;
  grouped_tile((int)blockIdx.x, (p.M + BM - 1) / BM, (p.N + BN - 1) / BN, tm, tn);
  const int m0 = tm * BM, n0 = tn * BN;

  const int kbeg = (int)blockIdx.y * p.kps;
  const int kend = min(p.K, kbeg + p.kps);
  const int KT = (kend - kbeg + BK - 1) / BK;  // >= 1: split ranges are never empty

  using G = typename C::G;
  const G* __restrict__ A = static_cast<const G*>(p.A);
  const G* __restrict__ B = static_cast<const G*>(p.B);
  const int warp = (int)threadIdx.x / 32, lane = (int)threadIdx.x % 32;
  const int wm0 = (warp / C::WARPS_N) * C::WM, wn0 = (warp % C::WARPS_N) * C::WN;
  const int g = lane >> 2, t = lane & 3;  // mma fragment coordinates

  auto load_stage = [&](int slot, int kt) {
    const int k0 = kbeg + kt * BK;
    T* sA = smem + slot * C::STAGE_ELEMS;
    T* sB = sA + C::A_ELEMS;
    if constexpr (!C::TA)
      load_tile<T, BM, BK, C::A_LD, C::THREADS, ALIGNED>(sA, A, p.lda, m0, p.M, k0, kend);
    else
      load_tile<T, BK, BM, C::A_LD, C::THREADS, ALIGNED>(sA, A, p.lda, k0, kend, m0, p.M);
    if constexpr (C::TB)
      load_tile<T, BN, BK, C::B_LD, C::THREADS, ALIGNED>(sB, B, p.ldb, n0, p.N, k0, kend);
    else
      load_tile<T, BK, BN, C::B_LD, C::THREADS, ALIGNED>(sB, B, p.ldb, k0, kend, n0, p.N);
  };

  float acc[MT][NT][4];
#pragma unroll
  for (int i = 0; i < MT; ++i)
#pragma unroll
    for (int j = 0; j < NT; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

  // Fragments of one k step (16 for bf16, 8 for tf32) from shared memory, per input kind.
  // mma.m16n8k16 layouts (g = lane / 4, t = lane % 4): A a0 = (m g, k 2t..2t+1),
  // a1 = (m g+8, same k), a2 = (m g, k 2t+8..), a3 = (m g+8, k 2t+8..); B b0 = (k 2t..2t+1,
  // n g), b1 = (k 2t+8.., n g); the low half holds the lower k. m16n8k8 tf32: a0 = (m g,
  // k t), a1 = (m g+8, k t), a2 = (m g, k t+4), a3 = (m g+8, k t+4); b0 = (k t, n g),
  // b1 = (k t+4, n g).
  constexpr int KSTEP = IN == In::F32_TF32 ? 8 : 16;
  constexpr int KSTEPS = BK / KSTEP;
  auto load_frags = [&](uint32_t (&af)[MT][4], uint32_t (&bfr)[NT][2], const T* sA, const T* sB,
                        int kk) {
    if constexpr (IN == In::BF16) {
      const int j = lane >> 3, r = lane & 7;  // ldmatrix: lane feeds matrix j, row r
#pragma unroll
      for (int mi = 0; mi < MT; ++mi) {
        if constexpr (!C::TA) {  // [m][k]: matrices (m0-7,k0-7) (m8-15,k0-7) (m0-7,k8-15) (m8-15,k8-15)
          const int row = wm0 + mi * 16 + (lane & 15), col = kk + (lane >> 4) * 8;
          ldsm_x4(af[mi], sA + row * C::A_LD + col);
        } else {  // [k][m], transposed: matrix j holds k rows (j>>1)*8.., m cols (j&1)*8..
          const int krow = kk + r + (j >> 1) * 8, col = wm0 + mi * 16 + (j & 1) * 8;
          ldsm_x4_t(af[mi], sA + krow * C::A_LD + col);
        }
      }
#pragma unroll
      for (int ni = 0; ni < NT; ni += 2) {
        uint32_t q[4];
        if constexpr (C::TB) {  // [n][k]: matrices (n0-7,k0-7) (n0-7,k8-15) (n8-15,k0-7) (n8-15,k8-15)
          const int row = wn0 + ni * 8 + r + (j >> 1) * 8, col = kk + (j & 1) * 8;
          ldsm_x4(q, sB + row * C::B_LD + col);
        } else {  // [k][n], transposed: matrix j holds k rows (j&1)*8.., n cols (j>>1)*8..
          const int krow = kk + r + (j & 1) * 8, col = wn0 + ni * 8 + (j >> 1) * 8;
          ldsm_x4_t(q, sB + krow * C::B_LD + col);
        }
        bfr[ni][0] = q[0];
        bfr[ni][1] = q[1];
        bfr[ni + 1][0] = q[2];
        bfr[ni + 1][1] = q[3];
      }
    } else if constexpr (IN == In::F32_BF16) {
#pragma unroll
      for (int mi = 0; mi < MT; ++mi) {
        const int m = wm0 + mi * 16 + g;
#pragma unroll
        for (int h = 0; h < 4; ++h) {  // h: +8 rows (bit 0), +8 k (bit 1)
          const int mm = m + (h & 1) * 8, k = kk + 2 * t + (h >> 1) * 8;
          if constexpr (!C::TA) {
            const float2 v = *reinterpret_cast<const float2*>(sA + mm * C::A_LD + k);
            af[mi][h] = pack_bf16(v.x, v.y);
          } else {
            af[mi][h] = pack_bf16(sA[k * C::A_LD + mm], sA[(k + 1) * C::A_LD + mm]);
          }
        }
      }
#pragma unroll
      for (int ni = 0; ni < NT; ++ni) {
        const int n = wn0 + ni * 8 + g;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int k = kk + 2 * t + h * 8;
          if constexpr (C::TB) {
            const float2 v = *reinterpret_cast<const float2*>(sB + n * C::B_LD + k);
            bfr[ni][h] = pack_bf16(v.x, v.y);
          } else {
            bfr[ni][h] = pack_bf16(sB[k * C::B_LD + n], sB[(k + 1) * C::B_LD + n]);
          }
        }
      }
    } else {  // F32_TF32
#pragma unroll
      for (int mi = 0; mi < MT; ++mi) {
        const int m = wm0 + mi * 16 + g;
#pragma unroll
        for (int h = 0; h < 4; ++h) {
          const int mm = m + (h & 1) * 8, k = kk + t + (h >> 1) * 4;
          af[mi][h] = to_tf32(C::TA ? sA[k * C::A_LD + mm] : sA[mm * C::A_LD + k]);
        }
      }
#pragma unroll
      for (int ni = 0; ni < NT; ++ni) {
        const int n = wn0 + ni * 8 + g;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int k = kk + t + h * 4;
          bfr[ni][h] = to_tf32(C::TB ? sB[n * C::B_LD + k] : sB[k * C::B_LD + n]);
        }
      }
    }
  };
  // Fragments double buffered: step s + 1 is loaded before the MMAs of step s are issued
  // (the asm statements keep program order, so this is what overlaps them).
  auto compute_stage = [&](int slot) {
    const T* sA = smem + slot * C::STAGE_ELEMS;
    const T* sB = sA + C::A_ELEMS;
    uint32_t af[2][MT][4], bfr[2][NT][2];
    load_frags(af[0], bfr[0], sA, sB, 0);
#pragma unroll
    for (int s = 0; s < KSTEPS; ++s) {
      if (s + 1 < KSTEPS) load_frags(af[(s + 1) & 1], bfr[(s + 1) & 1], sA, sB, (s + 1) * KSTEP);
#pragma unroll
      for (int mi = 0; mi < MT; ++mi)
#pragma unroll
        for (int ni = 0; ni < NT; ++ni) {
          if constexpr (IN == In::F32_TF32)
            mma_tf32(acc[mi][ni], af[s & 1][mi], bfr[s & 1][ni]);
          else
            mma_bf16(acc[mi][ni], af[s & 1][mi], bfr[s & 1][ni]);
        }
    }
  };

  // Pipeline: STAGES - 1 tiles in flight ahead of the one computed. At iteration kt the
  // groups committed so far are (STAGES - 1) + kt; waiting until at most STAGES - 2 are
  // pending completes tile kt. The slot refilled at kt is the one computed at kt - 1,
  // which every warp has finished (the barrier after the wait).
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < KT) load_stage(s, s);
    cp_async_commit();
  }
  for (int kt = 0; kt < KT; ++kt) {
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const int nk = kt + STAGES - 1;
    if (nk < KT) load_stage(nk % STAGES, nk);
    cp_async_commit();
    compute_stage(kt % STAGES);
  }
  cp_async_wait<0>();  // nothing real is pending (only empty groups); leave clean

  // Epilogue: accumulator (mi, ni) holds rows g, g + 8 and columns 2t, 2t + 1 of its
  // 16 x 8 tile.
  const long long ldc = OUT == Out::PARTIAL ? (long long)p.N : p.ldc;
  const bool pair = pair_ok<OUT>(p, ldc);
#pragma unroll
  for (int mi = 0; mi < MT; ++mi) {
#pragma unroll
    for (int ni = 0; ni < NT; ++ni) {
      const int col = n0 + wn0 + ni * 8 + 2 * t;
      if (col >= p.N) continue;
      const bool two = col + 1 < p.N;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int row = m0 + wm0 + mi * 16 + g + h * 8;
        if (row >= p.M) continue;
        store_pair<OUT>(p, ldc, (long long)blockIdx.y, row, col, two, pair, acc[mi][ni][2 * h],
                        acc[mi][ni][2 * h + 1]);
      }
    }
  }
}

// ---- host side ---------------------------------------------------------------------------
template <class C, In IN, bool ALIGNED, Out OUT>
cudaError_t launch(const Problem& p, cudaStream_t stream) {
  auto kernel = tc_gemm_kernel<C, IN, ALIGNED, OUT>;
  if (p.kps % C::BK != 0) return cudaErrorInvalidValue;
  // Opt-in to more than 48 KB of dynamic shared memory, once per device (this function is
  // instantiated per kernel, so is this cache).
  static bool smem_set[64] = {};
  int dev = 0;
  cudaError_t err = cudaGetDevice(&dev);
  if (err != cudaSuccess) return err;
  if (dev < 0 || dev >= 64 || !smem_set[dev]) {
    err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)C::SMEM);
    if (err != cudaSuccess) return err;
    if (dev >= 0 && dev < 64) smem_set[dev] = true;
  }
  const long long tiles =
      (long long)((p.M + C::BM - 1) / C::BM) * (long long)((p.N + C::BN - 1) / C::BN);
  if (tiles > 0x7fffffffLL || p.splits > 65535) return cudaErrorInvalidValue;
  kernel<<<dim3((unsigned)tiles, (unsigned)p.splits), C::THREADS, C::SMEM, stream>>>(p);
  return cudaGetLastError();
}

template <In IN, int BM, int BN, int BK, int WM, int WN, int STAGES, Out OUT>
cudaError_t dispatch(const Problem& p, bool aligned, cudaStream_t s) {
#define RG_TC_CASE(TA, TB)                                                                 \
  if (p.ta == TA && p.tb == TB)                                                            \
    return aligned ? launch<Cfg<IN, BM, BN, BK, WM, WN, STAGES, TA, TB>, IN, true, OUT>(p, s) \
                   : launch<Cfg<IN, BM, BN, BK, WM, WN, STAGES, TA, TB>, IN, false, OUT>(p, s);
  RG_TC_CASE(false, false)
  RG_TC_CASE(false, true)
  RG_TC_CASE(true, false)
  RG_TC_CASE(true, true)
#undef RG_TC_CASE
  return cudaErrorInvalidValue;
}

// The production tile configurations (BM, BN, BK, WM, WN, STAGES).
//   bf16 operands: 128 x 256 x 64, 8 warps of 64 x 64, 3 stages (at most 162 KB shared).
//   fp32 operands: 128 x 128 x 32, 8 warps of 64 x 32, 3 stages (at most 120 KB shared).
#define RG_BF16_CFG 128, 256, 64, 64, 64, 3
#define RG_F32_CFG 128, 128, 32, 64, 32, 3

template <In IN, Out OUT>
cudaError_t dispatch_in(const Problem& p, bool aligned, cudaStream_t s) {
  if constexpr (IN == In::BF16)
    return dispatch<IN, RG_BF16_CFG, OUT>(p, aligned, s);
  else
    return dispatch<IN, RG_F32_CFG, OUT>(p, aligned, s);
}

template <In IN>
cudaError_t dispatch_out(Out out, const Problem& p, bool aligned, cudaStream_t s) {
  switch (out) {
    case Out::F32: return dispatch_in<IN, Out::F32>(p, aligned, s);
    case Out::PARTIAL: return dispatch_in<IN, Out::PARTIAL>(p, aligned, s);
    case Out::BF16:
      if constexpr (IN == In::BF16) return dispatch_in<IN, Out::BF16>(p, aligned, s);
      break;
  }
  return cudaErrorInvalidValue;
}

}  // namespace

TileShape tc_tile(In in) {
  if (in == In::BF16) return {Cfg<In::BF16, RG_BF16_CFG, false, false>::BM,
                              Cfg<In::BF16, RG_BF16_CFG, false, false>::BN};
  return {Cfg<In::F32_BF16, RG_F32_CFG, false, false>::BM,
          Cfg<In::F32_BF16, RG_F32_CFG, false, false>::BN};
}

cudaError_t launch_tc(In in, Out out, const Problem& p, bool aligned, cudaStream_t stream) {
  if (p.M <= 0 || p.N <= 0 || p.K <= 0 || p.splits < 1 || p.kps <= 0 ||
      (long long)(p.splits - 1) * p.kps >= p.K || (long long)p.splits * p.kps < p.K)
    return cudaErrorInvalidValue;
  if (p.splits > 1 && out != Out::PARTIAL) return cudaErrorInvalidValue;
  switch (in) {
    case In::BF16: return dispatch_out<In::BF16>(out, p, aligned, stream);
    case In::F32_BF16: return dispatch_out<In::F32_BF16>(out, p, aligned, stream);
    case In::F32_TF32: return dispatch_out<In::F32_TF32>(out, p, aligned, stream);
  }
  return cudaErrorInvalidValue;
}

#ifdef RG_GEMM_DEV
cudaError_t launch_bf16_cfg(int cfg, const Problem& p, cudaStream_t s) {
  switch (cfg) {
    case 0: return dispatch<In::BF16, 128, 256, 32, 64, 64, 4, Out::BF16>(p, true, s);
    case 6: return dispatch<In::BF16, 128, 256, 64, 64, 64, 4, Out::BF16>(p, true, s);
    case 7: return dispatch<In::BF16, 256, 128, 64, 64, 64, 3, Out::BF16>(p, true, s);
    case 1: return dispatch<In::BF16, 128, 256, 64, 64, 64, 3, Out::BF16>(p, true, s);
    case 2: return dispatch<In::BF16, 128, 128, 32, 64, 64, 4, Out::BF16>(p, true, s);
    case 3: return dispatch<In::BF16, 128, 128, 64, 64, 32, 3, Out::BF16>(p, true, s);
    case 4: return dispatch<In::BF16, 256, 128, 32, 64, 64, 4, Out::BF16>(p, true, s);
    case 5: return dispatch<In::BF16, 128, 128, 64, 64, 64, 3, Out::BF16>(p, true, s);
  }
  return cudaErrorInvalidValue;
}
#endif

}  // namespace rg::cuda::gemm_detail
