// Optimised fp32 GEMM (BLIS/GotoBLAS structure), row-major, see gemm.h.
//
//   threads: C is split into one rectangle per thread (rows or columns, whichever
//            re-packs less); each thread runs the serial algorithm below on it with
//            its own packing buffers, so there is one fork/join per call and no split-K.
//   jc loop: NC columns of op(B)
//     pc loop: KC steps of K; op(B)[pc:pc+kc, jc:jc+nc] packed into NR-wide slivers
//              (zero-padded), or read in place for small M when B is not transposed
//       ic loop: MC rows of op(A), packed into MR-tall slivers with alpha applied
//         macro-kernel (ISA file): for each NR sliver, for each MR sliver: register tile
//         (AVX-512 12x32, AVX2 6x16, portable 4x8), edges by masks / row templates.
//   small M with B transposed (decoding: y = x W^T): dot products along K on A and B
//   in place (no packing), N split across threads.
//
// Determinism: every C element is produced by exactly one thread, as a fixed-order sum
// that depends only on (M, N, K, transposes, ISA): the K blocking and the choice of path
// depend on the shape, never on the thread count or on which thread runs a rectangle.
#include "cpu/gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/cpu_features.h"
#include "common/threadpool.h"
#include "cpu/gemm_kernels.h"

namespace rg::cpu {
namespace {

using MacroFn = void (*)(int mc, int nc, int kc, const float* Ap, const float* B, ptrdiff_t ldb,
                         ptrdiff_t bs, int b_padded, float* C, ptrdiff_t ldc, float beta);
using PackAFn = void (*)(int transA, const float* A, ptrdiff_t lda, int mc, int kc, float alpha,
                         float* dst);
using PackBFn = void (*)(int transB, const float* B, ptrdiff_t ldb, int kc, int nc, float* dst);
using SmallNnFn = void (*)(int M, int N, int K, float alpha, const float* A, ptrdiff_t a_rs,
                           ptrdiff_t a_ks, const float* B, ptrdiff_t ldb, float beta, float* C,
                           ptrdiff_t ldc);
using DotFn = void (*)(int M, int N, int K, float alpha, const float* A, ptrdiff_t lda,
                       const float* B, ptrdiff_t ldb, float beta, float* C, ptrdiff_t ldc);

// ---- Portable path: plain C++, vectorised by the compiler for the baseline ISA. ----
constexpr int GMR = 4, GNR = 8;

template <int M>
void generic_tile(int n, int kc, const float* __restrict A, const float* __restrict B,
                  float* __restrict C, ptrdiff_t ldc, float beta) {
  float c[M][GNR] = {};
  for (int p = 0; p < kc; ++p) {
    for (int r = 0; r < M; ++r) {
      const float a = A[r];
      for (int v = 0; v < GNR; ++v) c[r][v] += a * B[v];
    }
    A += GMR;
    B += GNR;
  }
  for (int r = 0; r < M; ++r) {
    float* cr = C + r * ldc;
    if (beta == 0.0f)
      for (int v = 0; v < n; ++v) cr[v] = c[r][v];
    else if (beta == 1.0f)
      for (int v = 0; v < n; ++v) cr[v] = c[r][v] + cr[v];
    else
      for (int v = 0; v < n; ++v) cr[v] = c[r][v] + beta * cr[v];
  }
}

// B must be packed (b_padded): the portable path never reads B in place.
void generic_macro(int mc, int nc, int kc, const float* Ap, const float* B, ptrdiff_t,
                   ptrdiff_t bs, int, float* C, ptrdiff_t ldc, float beta) {
  for (int j = 0; j < nc; j += GNR) {
    const int n = std::min(GNR, nc - j);
    const float* Bj = B + (j / GNR) * bs;
    for (int i = 0; i < mc; i += GMR) {
      const float* Ai = Ap + (ptrdiff_t)(i / GMR) * kc * GMR;
      float* Cij = C + i * ldc + j;
      switch (std::min(GMR, mc - i)) {
        case 1: generic_tile<1>(n, kc, Ai, Bj, Cij, ldc, beta); break;
        case 2: generic_tile<2>(n, kc, Ai, Bj, Cij, ldc, beta); break;
        case 3: generic_tile<3>(n, kc, Ai, Bj, Cij, ldc, beta); break;
        default: generic_tile<4>(n, kc, Ai, Bj, Cij, ldc, beta); break;
      }
    }
  }
}

// op(A)[i0 : i0+mc, p0 : p0+kc] -> MR-tall slivers, times alpha.
void pack_a(bool transA, const float* A, ptrdiff_t lda, int mc, int kc, float alpha, int MR,
            float* dst) {
  for (int i = 0; i < mc; i += MR, dst += (ptrdiff_t)kc * MR) {
    const int m = std::min(MR, mc - i);
    if (!transA) {  // row i of op(A) is contiguous in K
      for (int r = 0; r < m; ++r) {
        const float* src = A + (ptrdiff_t)(i + r) * lda;
        float* d = dst + r;
        if (alpha == 1.0f)
          for (int p = 0; p < kc; ++p) d[(ptrdiff_t)p * MR] = src[p];
        else
          for (int p = 0; p < kc; ++p) d[(ptrdiff_t)p * MR] = alpha * src[p];
      }
    } else {  // column i of A: op(A)[i, p] = A[p, i], contiguous in M
      for (int p = 0; p < kc; ++p) {
        const float* src = A + (ptrdiff_t)p * lda + i;
        float* d = dst + (ptrdiff_t)p * MR;
        if (alpha == 1.0f)
          for (int r = 0; r < m; ++r) d[r] = src[r];
        else
          for (int r = 0; r < m; ++r) d[r] = alpha * src[r];
      }
    }
  }
}

// op(B)[0:kc, 0:nc] -> NR-wide slivers (kc x NR each), zero-padded to NR columns.
void pack_b(bool transB, const float* B, ptrdiff_t ldb, int kc, int nc, int NR, float* dst) {
  for (int j = 0; j < nc; j += NR, dst += (ptrdiff_t)kc * NR) {
    const int n = std::min(NR, nc - j);
    if (!transB) {
      for (int p = 0; p < kc; ++p) {
        const float* src = B + (ptrdiff_t)p * ldb + j;
        float* d = dst + (ptrdiff_t)p * NR;
        std::memcpy(d, src, sizeof(float) * n);
        for (int c = n; c < NR; ++c) d[c] = 0.0f;
      }
    } else {  // op(B)[p, j] = B[j, p]: rows of B are contiguous in K
      for (int c = 0; c < n; ++c) {
        const float* src = B + (ptrdiff_t)(j + c) * ldb;
        float* d = dst + c;
        for (int p = 0; p < kc; ++p) d[(ptrdiff_t)p * NR] = src[p];
      }
      if (n < NR)
        for (int p = 0; p < kc; ++p)
          for (int c = n; c < NR; ++c) dst[(ptrdiff_t)p * NR + c] = 0.0f;
    }
  }
}

template <int MR>
void pack_a_portable(int transA, const float* A, ptrdiff_t lda, int mc, int kc, float alpha, float* dst) {
  pack_a(transA != 0, A, lda, mc, kc, alpha, MR, dst);
}
template <int NR>
void pack_b_portable(int transB, const float* B, ptrdiff_t ldb, int kc, int nc, float* dst) {
  pack_b(transB != 0, B, ldb, kc, nc, NR, dst);
}

// ---- Kernels and blocking parameters per ISA. ----
// Blocking, tuned on AMD EPYC Zen 4 (32 KiB L1d, 1 MiB L2 per core, 32 MiB L3) by
// sweeps of MC in {72..288}, KC in {128..2048}, NC in {512..8192}: a large KC wins
// (C is loaded and stored once per KC block); the A block MC x KC (576 KiB) lives in
// L2 and each thread's B panel KC x NC (4 MiB) in L3.
struct Kernel {
  int MR, NR;
  int MC, KC, NC;      // cache blocks (MC multiple of MR, NC multiple of NR)
  bool direct_b;       // may read a non-transposed B in place (masked loads)
  MacroFn macro;
  PackAFn pack_a;
  PackBFn pack_b;
  DotFn nt_dot;        // small-M A * B^T without packing, or null
  int dot_max_m;       // use nt_dot when M <= this
  SmallNnFn small_nn;  // M <= 4, B not transposed, or null
};

Kernel pick_kernel(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return {RG_SGEMM_AVX512_MR, RG_SGEMM_AVX512_NR, 144, 1024, 1024, true, rg_sgemm_macro_avx512,
              rg_sgemm_pack_a_avx512, rg_sgemm_pack_b_avx512, rg_sgemm_nt_dot_avx512, 16,
              rg_sgemm_small_m_nn_avx512};
    case Isa::Avx2:
      return {RG_SGEMM_AVX2_MR, RG_SGEMM_AVX2_NR, 144, 1024, 1024, true, rg_sgemm_macro_avx2,
              pack_a_portable<RG_SGEMM_AVX2_MR>, pack_b_portable<RG_SGEMM_AVX2_NR>, rg_sgemm_nt_dot_avx2, 48, nullptr};
    default:
      return {GMR, GNR, 128, 1024, 1024, false, generic_macro, pack_a_portable<GMR>,
              pack_b_portable<GNR>, nullptr, 0, nullptr};
  }
}

#ifdef RG_GEMM_TUNE  // development builds: override blocking from the environment
void tune(Kernel& k) {
  if (const char* s = std::getenv("RG_MC")) k.MC = std::max(k.MR, atoi(s) / k.MR * k.MR);
  if (const char* s = std::getenv("RG_KC")) k.KC = std::max(1, atoi(s));
  if (const char* s = std::getenv("RG_NC")) k.NC = std::max(k.NR, atoi(s) / k.NR * k.NR);
  if (const char* s = std::getenv("RG_DIRECT")) k.direct_b = k.direct_b && atoi(s);
  if (const char* s = std::getenv("RG_DOTM")) k.dot_max_m = atoi(s);
  if (const char* s = std::getenv("RG_PORTABLE_PACK")) {
    if (atoi(s) && k.MR == RG_SGEMM_AVX512_MR && k.NR == RG_SGEMM_AVX512_NR) {
      k.pack_a = pack_a_portable<RG_SGEMM_AVX512_MR>;
      k.pack_b = pack_b_portable<RG_SGEMM_AVX512_NR>;
    }
  }
}
#endif

// Splits n into ceil(n / max) nearly equal blocks, each a multiple of `unit` (except
// the last); depends only on n, max and unit.
int block_size(int n, int max, int unit) {
  int blocks = (n + max - 1) / max;
  int b = (n + blocks - 1) / blocks;
  return std::min(max, (b + unit - 1) / unit * unit);
}

// Per-thread, 64-byte aligned, grow-only scratch.
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      cap = (n + 1023) & ~size_t(1023);
      p = static_cast<float*>(std::aligned_alloc(64, cap * sizeof(float)));
      if (!p) {
        cap = 0;
        throw std::bad_alloc();
      }
    }
    return p;
  }
};
thread_local Scratch t_apack, t_bpack;

// The serial algorithm on one rectangle of C (pointers already offset to it).
void gemm_serial(const Kernel& k, bool transA, bool transB, int M, int N, int K, float alpha,
                 const float* A, ptrdiff_t lda, const float* B, ptrdiff_t ldb, float beta,
                 float* C, ptrdiff_t ldc, int KCb, bool direct) {
  const int MCb = std::min(k.MC, (M + k.MR - 1) / k.MR * k.MR);
  float* ap = t_apack.get((size_t)MCb * KCb);
  float* bp = direct ? nullptr : t_bpack.get((size_t)KCb * std::min(k.NC, (N + k.NR - 1) / k.NR * k.NR));
  for (int jc = 0; jc < N; jc += k.NC) {
    const int nc = std::min(k.NC, N - jc);
    for (int pc = 0; pc < K; pc += KCb) {
      const int kc = std::min(KCb, K - pc);
      const float be = pc == 0 ? beta : 1.0f;
      const float* Bblk;
      ptrdiff_t bld, bs;
      if (direct) {
        Bblk = B + (ptrdiff_t)pc * ldb + jc;
        bld = ldb;
        bs = k.NR;
      } else {
        const float* src = transB ? B + (ptrdiff_t)jc * ldb + pc : B + (ptrdiff_t)pc * ldb + jc;
        k.pack_b(transB, src, ldb, kc, nc, bp);
        Bblk = bp;
        bld = k.NR;
        bs = (ptrdiff_t)kc * k.NR;
      }
      for (int ic = 0; ic < M; ic += MCb) {
        const int mc = std::min(MCb, M - ic);
        const float* src = transA ? A + (ptrdiff_t)pc * lda + ic : A + (ptrdiff_t)ic * lda + pc;
        k.pack_a(transA, src, lda, mc, kc, alpha, ap);
        k.macro(mc, nc, kc, ap, Bblk, bld, bs, direct ? 0 : 1, C + (ptrdiff_t)ic * ldc + jc, ldc, be);
      }
    }
  }
}

#ifdef RG_GEMM_TUNE
bool getenv_off() { return std::getenv("RG_NOSMALLNN") != nullptr; }
#else
constexpr bool getenv_off() { return false; }
#endif

void scale_c(int M, int N, float beta, float* C, ptrdiff_t ldc) {
  for (int i = 0; i < M; ++i) {
    float* c = C + (ptrdiff_t)i * ldc;
    if (beta == 0.0f)
      std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (int j = 0; j < N; ++j) c[j] *= beta;
  }
}

}  // namespace

void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  Kernel k = pick_kernel(active_isa());
#ifdef RG_GEMM_TUNE
  tune(k);
#endif
  // K blocking depends on K only (determinism).
  const int KCb = block_size(K, k.KC, 8);

  // Small M, B transposed: dot products along K read A and B in place (packing B would
  // cost as much as the product). Chosen from the shape only, so bits never depend on T.
  const bool dot = k.nt_dot && transB && !transA && M <= k.dot_max_m;
  // M <= 4 with B not transposed: wide row-axpys over B in place (GEMV-like).
  const bool small_nn = k.small_nn && !transB && M <= 4 && !getenv_off();

  // Thread grid tm x tn: minimise padded work per thread plus redundant packing.
  int T = num_threads();
  const double work = (double)M * N * K;
  if (work < (double)(1 << 18)) T = 1;
  const int mu = (M + k.MR - 1) / k.MR, nu = (N + k.NR - 1) / k.NR;  // tile units
  int tm = 1, tn = 1;
  double best = -1;
  for (int a = 1; a <= T; ++a) {
    if (T % a) continue;
    if ((dot || small_nn) && a > 1) break;  // these paths split N only
    const int b = T / a;
    if (a > mu || b > nu) continue;
    const double rows = (double)((mu + a - 1) / a) * k.MR, cols = (double)((nu + b - 1) / b) * k.NR;
    const double cost = rows * cols * K + 16.0 * ((a - 1) * (double)N * K / a + (b - 1) * (double)M * K / b);
    if (best < 0 || cost < best) best = cost, tm = a, tn = b;
  }
  // Reading B in place pays when few rows share each B element (no packing to amortise).
  const bool direct = k.direct_b && !transB && (M + tm - 1) / tm <= 2 * k.MR;

  const int tasks = tm * tn;
  auto run = [&](size_t t) {
    const int ti = (int)t / tn, tj = (int)t % tn;
    const int m0 = std::min(M, (int)((long)mu * ti / tm) * k.MR), m1 = std::min(M, (int)((long)mu * (ti + 1) / tm) * k.MR);
    const int n0 = std::min(N, (int)((long)nu * tj / tn) * k.NR), n1 = std::min(N, (int)((long)nu * (tj + 1) / tn) * k.NR);
    if (m0 >= m1 || n0 >= n1) return;
    const float* As = transA ? A + m0 : A + (ptrdiff_t)m0 * lda;
    const float* Bs = transB ? B + (ptrdiff_t)n0 * ldb : B + n0;
    if (small_nn)
      k.small_nn(m1 - m0, n1 - n0, K, alpha, As, transA ? 1 : lda, transA ? lda : 1, Bs, ldb, beta,
                 C + (ptrdiff_t)m0 * ldc + n0, ldc);
    else if (dot)
      k.nt_dot(m1 - m0, n1 - n0, K, alpha, As, lda, Bs, ldb, beta, C + (ptrdiff_t)m0 * ldc + n0, ldc);
    else
      gemm_serial(k, transA, transB, m1 - m0, n1 - n0, K, alpha, As, lda, Bs, ldb, beta,
                  C + (ptrdiff_t)m0 * ldc + n0, ldc, KCb, direct);
  };
  if (tasks == 1) {
    run(0);
  } else {
    parallel_for((size_t)tasks, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) run(t);
    });
  }
}

}  // namespace rg::cpu
