// The bf16 tensor-core attention kernels (mma.sync m16n8k16, fp32 softmax and
// accumulators): what `cuda` (bf16) runs for Tq > 8. Design and masks: attention.cu.
#include <cmath>
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "attention_common.cuh"

namespace rg::cuda::attn {
namespace {

// ---- bf16 tensor-core path (attention_set_precision(true)) ----------------------------
// The same FlashAttention-2 schedule with mma.sync m16n8k16 (bf16 inputs, fp32
// accumulators): q, k, v, dout are rounded to bf16 when their tiles are stored in shared
// memory; scores, softmax, lse and every accumulator stay fp32. The probabilities P and
// dS, which feed the second product of each pair, are split into bf16 hi + lo parts (two
// MMAs), so they keep ~16 significant bits: the only rounding left is that of the inputs.
// D_i = rowsum(dO_i * O_i) is summed from the bf16-rounded dO (the operand the dP = dO V^T
// product sees) and the fp32 O, so dP - D cancels where V_j = O_i (a one-key row, whose O
// is the bf16-rounded V_j in the bf16 forward).
// Warp w of a block owns 16 rows of the tile; the fragment layouts are PTX's for
// m16n8k16 (g = lane / 4, t = lane % 4: C rows g and g + 8, columns 2t and 2t + 1).
using bf16 = __nv_bfloat16;
// SPLIT = false (attention_set_split, REGURGITATE_ATTN_SPLIT=0) drops the lo halves of P
// and dS: fewer MMAs, but P and dS are then rounded to bf16 too, as FlashAttention does
// (errors of about 0.2% of an output's rms, per element). Both are compiled; the launchers
// pick one per call.
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

__device__ __forceinline__ void mma_bf16(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldsm_x4(uint32_t r[4], const bf16* p) {
  const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

__device__ __forceinline__ void ldsm_x4_t(uint32_t r[4], const bf16* p) {
  const uint32_t a = (uint32_t)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(a));
}

__device__ __forceinline__ uint32_t bf2_bits(__nv_bfloat162 v) {
  uint32_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

// (a, b) -> bf16x2 hi (a in the low half) and lo = bf16x2 of the remainders.
__device__ __forceinline__ void split2(float a, float b, uint32_t& hi, uint32_t& lo) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
  const float2 hf = __bfloat1622float2(h);
  hi = bf2_bits(h);
  lo = bf2_bits(__floats2bfloat162_rn(a - hf.x, b - hf.y));
}

// The A fragment (16 x 16) of a product whose left operand is a C result of two n8
// tiles c0, c1 (P or dS): its bf16 hi parts, and lo parts of the remainders.
__device__ __forceinline__ void split_a(const float c0[4], const float c1[4], uint32_t hi[4], uint32_t lo[4]) {
  split2(c0[0], c0[1], hi[0], lo[0]);
  split2(c0[2], c0[3], hi[1], lo[1]);
  split2(c1[0], c1[1], hi[2], lo[2]);
  split2(c1[2], c1[3], hi[3], lo[3]);
}

// acc0, acc1 (two n8 tiles) += A B for the B fragments b of ldmatrix.x4 (b0, b1 per
// tile), A = hi (+ lo when SPLIT).
template <bool SPLIT>
__device__ __forceinline__ void mma_split(float acc0[4], float acc1[4], const uint32_t hi[4], const uint32_t lo[4],
                                          const uint32_t b[4]) {
  mma_bf16(acc0, hi, b[0], b[1]);
  mma_bf16(acc1, hi, b[2], b[3]);
  if constexpr (SPLIT) mma_bf16(acc0, lo, b[0], b[1]);
  if constexpr (SPLIT) mma_bf16(acc1, lo, b[2], b[3]);
}

// Row-major tile address for ldmatrix.x4 giving an A fragment (16 rows from row0, 16
// columns from col0): lanes 0-15 rows 0-15 at col0, lanes 16-31 the same rows at col0 + 8.
__device__ __forceinline__ const bf16* a_addr(const bf16* s, int SP, int row0, int col0, int lane) {
  return s + (row0 + (lane & 15)) * SP + col0 + ((lane >> 4) << 3);
}
// B fragments of two n8 tiles from a tile stored [n][k] (k contiguous), non-transposed
// ldmatrix.x4: r0, r1 = b0, b1 of n-tile n0; r2, r3 = b0, b1 of n-tile n0 + 8.
__device__ __forceinline__ const bf16* bn_addr(const bf16* s, int SP, int n0, int k0, int lane) {
  return s + (n0 + ((lane >> 4) << 3) + (lane & 7)) * SP + k0 + (((lane >> 3) & 1) << 3);
}
// B fragments of two n8 tiles from a tile stored [k][n] (n contiguous), transposed
// ldmatrix.x4: r0, r1 = b0, b1 of n-tile n0; r2, r3 = b0, b1 of n-tile n0 + 8.
__device__ __forceinline__ const bf16* bt_addr(const bf16* s, int SP, int k0, int n0, int lane) {
  return s + (k0 + (((lane >> 3) & 1) << 3) + (lane & 7)) * SP + n0 + ((lane >> 4) << 3);
}

// Rows [0, R) of a [T, dh] fp32 view -> s[R][D + 8] bf16 (padded rows against bank
// conflicts), zeros for rows >= rend and columns >= dh. vec: dh % 4 == 0 and the rows are
// 16-byte aligned (float4 loads).
template <int R, int D, int NT>
__device__ __forceinline__ void load_tile_bf16(bf16* __restrict__ s, const float* __restrict__ g, long ld,
                                               int rend, int dh, bool vec) {
  constexpr int SP = D + 8;
  if (vec) {
    constexpr int C4 = D / 4;
    for (int x = threadIdx.x; x < R * C4; x += NT) {
      const int r = x / C4, c = (x % C4) * 4;
      float4 f = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      if (r < rend && c < dh) f = __ldg(reinterpret_cast<const float4*>(g + (long)r * ld + c));
      __nv_bfloat162* d2 = reinterpret_cast<__nv_bfloat162*>(s + r * SP + c);
      d2[0] = __floats2bfloat162_rn(f.x, f.y);
      d2[1] = __floats2bfloat162_rn(f.z, f.w);
    }
  } else {
    for (int x = threadIdx.x; x < R * D; x += NT) {
      const int r = x / D, c = x % D;
      s[r * SP + c] = __float2bfloat16_rn((r < rend && c < dh) ? g[(long)r * ld + c] : 0.0f);
    }
  }
}

// The vec path streams tiles with cp.async: stage_tile copies rows [0, R) of the view into
// an fp32 staging buffer [R][D] (zeros past rend / dh) without waiting; unstage_tile, after
// cp_async_wait_all and a barrier, rounds the staged tile into the bf16 tile. So the next
// tile's global loads overlap this tile's MMAs.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  const uint32_t a = (uint32_t)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(a), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }

template <int R, int D, int NT>
__device__ __forceinline__ void stage_tile(float* stage, const float* g, long ld, int rend, int dh) {
  constexpr int C4 = D / 4;
  for (int x = threadIdx.x; x < R * C4; x += NT) {
    const int r = x / C4, c = (x % C4) * 4;
    float* dst = stage + r * D + c;
    if (r < rend && c < dh)
      cp_async16(dst, g + (long)r * ld + c);
    else
      *reinterpret_cast<float4*>(dst) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
}

template <int R, int D, int NT>
__device__ __forceinline__ void unstage_tile(bf16* s, const float* stage) {
  constexpr int SP = D + 8, C4 = D / 4;
  for (int x = threadIdx.x; x < R * C4; x += NT) {
    const int r = x / C4, c = (x % C4) * 4;
    const float4 f = *reinterpret_cast<const float4*>(stage + r * D + c);
    __nv_bfloat162* d2 = reinterpret_cast<__nv_bfloat162*>(s + r * SP + c);
    d2[0] = __floats2bfloat162_rn(f.x, f.y);
    d2[1] = __floats2bfloat162_rn(f.z, f.w);
  }
}

__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Forward: block (b*H + h, 64 query rows), 4 warps of 16 rows, key tiles of 64.
template <int D>
struct FwdBf16 {
  static constexpr int BM = 64, BN = 64, NT = 128, SP = D + 8;
  static constexpr size_t stage = sizeof(float) * 2 * (size_t)BN * D;  // K and V, fp32
  static constexpr size_t smem = stage + sizeof(bf16) * (size_t)(BM + 2 * BN) * SP;
};

template <int D, bool SPLIT>
__global__ void __launch_bounds__(128, 3) attn_fwd_bf16(Params p, int vec) {
  using C = FwdBf16<D>;
  constexpr int BM = C::BM, BN = C::BN, NT = C::NT, SP = C::SP, KC = D / 16, NO = D / 8;
  extern __shared__ __align__(16) unsigned char smem_bf[];
  float* stage = reinterpret_cast<float*>(smem_bf);  // [2][BN][D]
  bf16* Qs = reinterpret_cast<bf16*>(smem_bf + C::stage);
  bf16* Ks = Qs + BM * SP;
  bf16* Vs = Ks + BN * SP;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, t = lane & 3;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int q0 = blockIdx.y * BM;
  const int klen = key_len(p, b);
  const int kend_tile = key_end(p, klen, min(q0 + BM, p.Tq) - 1);
  const int r0 = q0 + warp * 16 + g, r1 = r0 + 8;
  const int kend0 = r0 < p.Tq ? key_end(p, klen, r0) : 0;
  const int kend1 = r1 < p.Tq ? key_end(p, klen, r1) : 0;
  const long hc = (long)h * p.dh;
  const float* kg = p.k + (long)b * p.k_bs + hc;
  const float* vg = p.v + (long)b * p.v_bs + hc;

  load_tile_bf16<BM, D, NT>(Qs, p.q + (long)b * p.q_bs + hc + (long)q0 * p.ldq, p.ldq, p.Tq - q0, p.dh, vec);
  __syncthreads();
  uint32_t qf[KC][4];
#pragma unroll
  for (int kc = 0; kc < KC; ++kc) ldsm_x4(qf[kc], a_addr(Qs, SP, warp * 16, kc * 16, lane));

  float o[NO][4];
#pragma unroll
  for (int n = 0; n < NO; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;  // m: log2 units
  const float sl2 = p.scale * kLog2e;

  if (vec && kend_tile > 0) {
    stage_tile<BN, D, NT>(stage, kg, p.ldk, kend_tile, p.dh);
    stage_tile<BN, D, NT>(stage + BN * D, vg, p.ldv, kend_tile, p.dh);
    cp_async_commit();
  }
  for (int k0 = 0; k0 < kend_tile; k0 += BN) {
    if (vec) cp_async_wait_all();
    __syncthreads();  // staged tile landed; the previous tile's readers are done
    if (vec) {
      unstage_tile<BN, D, NT>(Ks, stage);
      unstage_tile<BN, D, NT>(Vs, stage + BN * D);
    } else {
      load_tile_bf16<BN, D, NT>(Ks, kg + (long)k0 * p.ldk, p.ldk, kend_tile - k0, p.dh, false);
      load_tile_bf16<BN, D, NT>(Vs, vg + (long)k0 * p.ldv, p.ldv, kend_tile - k0, p.dh, false);
    }
    __syncthreads();  // Ks/Vs ready, the staging buffer is free
    if (vec && k0 + BN < kend_tile) {
      const int k1 = k0 + BN;
      stage_tile<BN, D, NT>(stage, kg + (long)k1 * p.ldk, p.ldk, kend_tile - k1, p.dh);
      stage_tile<BN, D, NT>(stage + BN * D, vg + (long)k1 * p.ldv, p.ldv, kend_tile - k1, p.dh);
      cp_async_commit();
    }

    float s[BN / 8][4];
#pragma unroll
    for (int n = 0; n < BN / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
    for (int kc = 0; kc < KC; ++kc)
#pragma unroll
      for (int np = 0; np < BN / 16; ++np) {
        uint32_t kb[4];
        ldsm_x4(kb, bn_addr(Ks, SP, np * 16, kc * 16, lane));
        mma_bf16(s[2 * np], qf[kc], kb[0], kb[1]);
        mma_bf16(s[2 * np + 1], qf[kc], kb[2], kb[3]);
      }
    float mx0 = -INFINITY, mx1 = -INFINITY;
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int key = k0 + 8 * n + 2 * t + e;
        s[n][e] = key < kend0 ? s[n][e] * sl2 : -INFINITY;
        s[n][2 + e] = key < kend1 ? s[n][2 + e] * sl2 : -INFINITY;
        mx0 = fmaxf(mx0, s[n][e]);
        mx1 = fmaxf(mx1, s[n][2 + e]);
      }
    mx0 = quad_max(mx0);
    mx1 = quad_max(mx1);
    const float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
    const float a0 = m0 == -INFINITY ? 0.0f : exp2f(m0 - mn0);
    const float a1 = m1 == -INFINITY ? 0.0f : exp2f(m1 - mn1);
    float ls0 = 0.0f, ls1 = 0.0f;
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        s[n][e] = mn0 == -INFINITY ? 0.0f : exp2f(s[n][e] - mn0);
        s[n][2 + e] = mn1 == -INFINITY ? 0.0f : exp2f(s[n][2 + e] - mn1);
        ls0 += s[n][e];
        ls1 += s[n][2 + e];
      }
    l0 = l0 * a0 + ls0;  // per-lane partial sums; the quad sums them at the end
    l1 = l1 * a1 + ls1;
    m0 = mn0;
    m1 = mn1;
#pragma unroll
    for (int n = 0; n < NO; ++n) {
      o[n][0] *= a0;
      o[n][1] *= a0;
      o[n][2] *= a1;
      o[n][3] *= a1;
    }
#pragma unroll
    for (int kc = 0; kc < BN / 16; ++kc) {
      uint32_t ph[4], pl[4];
      split_a(s[2 * kc], s[2 * kc + 1], ph, pl);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t vb[4];
        ldsm_x4_t(vb, bt_addr(Vs, SP, kc * 16, dp * 16, lane));
        mma_split<SPLIT>(o[2 * dp], o[2 * dp + 1], ph, pl, vb);
      }
    }
  }

  l0 = quad_sum(l0);
  l1 = quad_sum(l1);
  float* og = p.out + (long)b * p.o_bs + hc;
#pragma unroll
  for (int n = 0; n < NO; ++n)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int c = 8 * n + 2 * t + e;
      if (c < p.dh) {
        if (r0 < p.Tq) og[(long)r0 * p.ldo + c] = l0 > 0.0f ? o[n][e] / l0 : 0.0f;
        if (r1 < p.Tq) og[(long)r1 * p.ldo + c] = l1 > 0.0f ? o[n][2 + e] / l1 : 0.0f;
      }
    }
  if (p.lse_out && t == 0) {
    const long base = ((long)b * p.H + h) * p.Tq;
    if (r0 < p.Tq) p.lse_out[base + r0] = l0 > 0.0f ? (m0 + log2f(l0)) * kLn2 : -INFINITY;
    if (r1 < p.Tq) p.lse_out[base + r1] = l1 > 0.0f ? (m1 + log2f(l1)) * kLn2 : -INFINITY;
  }
}

// dsum[b, h, i] = sum_c bf16(dout[i, c]) * o[i, c]: one warp per row.
__global__ void attn_bwd_dsum_bf16(Params p) {
  const long rows = (long)p.B * p.H * p.Tq;
  const long row = (long)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps exit together
  const int i = (int)(row % p.Tq);
  const long bh = row / p.Tq;
  const int b = (int)(bh / p.H), h = (int)(bh % p.H);
  const long off = (long)b * p.o_bs + (long)i * p.ldo + (long)h * p.dh;
  float s = 0.0f;
  for (int c = lane; c < p.dh; c += 32)
    s = fmaf(__bfloat162float(__float2bfloat16_rn(p.dout[off + c])), p.o[off + c], s);
  s = group_sum<32>(s);
  if (lane == 0) p.dsum[row] = s;
}

// dK, dV: block (b*H + h, 64 keys), 4 warps of 16 keys, query tiles of BM rows. Per query
// tile: S^T = K Q^T and dP^T = V dO^T (16 keys x BM queries per warp), P^T, dS^T, then
// dV += P^T dO and dK += dS^T Q.
template <int D, int BM>
struct DkvBf16 {
  static constexpr int BN = 64, NT = 128, SP = D + 8;
  static constexpr size_t stage = sizeof(float) * 2 * (size_t)BM * D;  // Q and dO, fp32
  static constexpr size_t smem =
      stage + sizeof(bf16) * (size_t)(2 * BN + 2 * BM) * SP + sizeof(float) * 2 * (size_t)BM;
};

template <int D, int BM, bool SPLIT>
__global__ void __launch_bounds__(128, 2) attn_bwd_dkv_bf16(Params p, int vec) {
  using C = DkvBf16<D, BM>;
  constexpr int BN = C::BN, NT = C::NT, SP = C::SP, KC = D / 16, NO = D / 8, NQ = BM / 8;
  extern __shared__ __align__(16) unsigned char smem_bf[];
  float* stage = reinterpret_cast<float*>(smem_bf);  // [2][BM][D]
  bf16* Ks = reinterpret_cast<bf16*>(smem_bf + C::stage);
  bf16* Vs = Ks + BN * SP;
  bf16* Qs = Vs + BN * SP;
  bf16* dOs = Qs + BM * SP;
  float* lse_s = reinterpret_cast<float*>(dOs + BM * SP);  // log2 units
  float* dsum_s = lse_s + BM;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, t = lane & 3;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int k0 = blockIdx.y * BN;
  const int j0 = k0 + warp * 16 + g, j1 = j0 + 8;
  const int klen = key_len(p, b);
  const long hc = (long)h * p.dh;
  const float* qg = p.q + (long)b * p.q_bs + hc;
  const float* dog = p.dout + (long)b * p.o_bs + hc;
  const long rowbase = ((long)b * p.H + h) * p.Tq;
  const float sl2 = p.scale * kLog2e;

  load_tile_bf16<BN, D, NT>(Ks, p.k + (long)b * p.k_bs + hc + (long)k0 * p.ldk, p.ldk, klen - k0, p.dh, vec);
  load_tile_bf16<BN, D, NT>(Vs, p.v + (long)b * p.v_bs + hc + (long)k0 * p.ldv, p.ldv, klen - k0, p.dh, vec);

  float dk[NO][4], dv[NO][4];
#pragma unroll
  for (int n = 0; n < NO; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e) dk[n][e] = dv[n][e] = 0.0f;

  int i_begin = 0;
  if (p.causal) {
    const long f = (long)k0 - (long)(p.Tk - p.Tq);
    i_begin = f <= 0 ? 0 : (f >= p.Tq ? p.Tq : (int)f);
  }
  i_begin = (i_begin / BM) * BM;
  if (k0 >= klen) i_begin = p.Tq;

  if (vec && i_begin < p.Tq) {
    stage_tile<BM, D, NT>(stage, qg + (long)i_begin * p.ldq, p.ldq, p.Tq - i_begin, p.dh);
    stage_tile<BM, D, NT>(stage + BM * D, dog + (long)i_begin * p.ldo, p.ldo, p.Tq - i_begin, p.dh);
    cp_async_commit();
  }
  for (int i0 = i_begin; i0 < p.Tq; i0 += BM) {
    if (vec) cp_async_wait_all();
    __syncthreads();  // staged tile landed (and K/V stored); the previous tile's readers are done
    if (vec) {
      unstage_tile<BM, D, NT>(Qs, stage);
      unstage_tile<BM, D, NT>(dOs, stage + BM * D);
    } else {
      load_tile_bf16<BM, D, NT>(Qs, qg + (long)i0 * p.ldq, p.ldq, p.Tq - i0, p.dh, false);
      load_tile_bf16<BM, D, NT>(dOs, dog + (long)i0 * p.ldo, p.ldo, p.Tq - i0, p.dh, false);
    }
    for (int x = tid; x < BM; x += NT) {
      const int i = i0 + x;
      lse_s[x] = i < p.Tq ? p.lse[rowbase + i] * kLog2e : -INFINITY;
      dsum_s[x] = i < p.Tq ? p.dsum[rowbase + i] : 0.0f;
    }
    __syncthreads();  // tiles ready, the staging buffer is free
    if (vec && i0 + BM < p.Tq) {
      const int i1 = i0 + BM;
      stage_tile<BM, D, NT>(stage, qg + (long)i1 * p.ldq, p.ldq, p.Tq - i1, p.dh);
      stage_tile<BM, D, NT>(stage + BM * D, dog + (long)i1 * p.ldo, p.ldo, p.Tq - i1, p.dh);
      cp_async_commit();
    }

    float st[NQ][4], dpt[NQ][4];
#pragma unroll
    for (int n = 0; n < NQ; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) st[n][e] = dpt[n][e] = 0.0f;
#pragma unroll
    for (int kc = 0; kc < KC; ++kc) {
      uint32_t ka[4], va[4];
      ldsm_x4(ka, a_addr(Ks, SP, warp * 16, kc * 16, lane));
      ldsm_x4(va, a_addr(Vs, SP, warp * 16, kc * 16, lane));
#pragma unroll
      for (int np = 0; np < BM / 16; ++np) {
        uint32_t qb[4], ob[4];
        ldsm_x4(qb, bn_addr(Qs, SP, np * 16, kc * 16, lane));
        ldsm_x4(ob, bn_addr(dOs, SP, np * 16, kc * 16, lane));
        mma_bf16(st[2 * np], ka, qb[0], qb[1]);
        mma_bf16(st[2 * np + 1], ka, qb[2], qb[3]);
        mma_bf16(dpt[2 * np], va, ob[0], ob[1]);
        mma_bf16(dpt[2 * np + 1], va, ob[2], ob[3]);
      }
    }
#pragma unroll
    for (int n = 0; n < NQ; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int il = 8 * n + 2 * t + (e & 1), i = i0 + il;
        const int j = e < 2 ? j0 : j1;
        const bool vis = i < p.Tq && j < key_end(p, klen, i);
        const float pt = vis ? exp2f(st[n][e] * sl2 - lse_s[il]) : 0.0f;
        st[n][e] = pt;
        dpt[n][e] = pt * (dpt[n][e] - dsum_s[il]);
      }
#pragma unroll
    for (int kc = 0; kc < BM / 16; ++kc) {
      uint32_t ph[4], pl[4], sh[4], sl[4];
      split_a(st[2 * kc], st[2 * kc + 1], ph, pl);
      split_a(dpt[2 * kc], dpt[2 * kc + 1], sh, sl);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t ob[4], qb[4];
        ldsm_x4_t(ob, bt_addr(dOs, SP, kc * 16, dp * 16, lane));
        ldsm_x4_t(qb, bt_addr(Qs, SP, kc * 16, dp * 16, lane));
        mma_split<SPLIT>(dv[2 * dp], dv[2 * dp + 1], ph, pl, ob);
        mma_split<SPLIT>(dk[2 * dp], dk[2 * dp + 1], sh, sl, qb);
      }
    }
  }

  float* dkg = p.dk + (long)b * p.k_bs + hc;
  float* dvg = p.dv + (long)b * p.v_bs + hc;
#pragma unroll
  for (int n = 0; n < NO; ++n)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int c = 8 * n + 2 * t + (e & 1), j = e < 2 ? j0 : j1;
      if (j < p.Tk && c < p.dh) {
        dkg[(long)j * p.ldk + c] = dk[n][e] * p.scale;
        dvg[(long)j * p.ldv + c] = dv[n][e];
      }
    }
}

// dQ: block (b*H + h, 64 query rows), 4 warps of 16 rows, key tiles of 64: S = Q K^T,
// dP = dO V^T, dS = P (dP - D), dQ += dS K.
template <int D>
struct DqBf16 {
  static constexpr int BM = 64, BN = 64, NT = 128, SP = D + 8;
  static constexpr size_t stage = sizeof(float) * 2 * (size_t)BN * D;  // K and V, fp32
  static constexpr size_t smem = stage + sizeof(bf16) * (size_t)(2 * BM + 2 * BN) * SP;
};

template <int D, bool SPLIT>
__global__ void __launch_bounds__(128, 3) attn_bwd_dq_bf16(Params p, int vec) {
  using C = DqBf16<D>;
  constexpr int BM = C::BM, BN = C::BN, NT = C::NT, SP = C::SP, KC = D / 16, NO = D / 8;
  extern __shared__ __align__(16) unsigned char smem_bf[];
  float* stage = reinterpret_cast<float*>(smem_bf);  // [2][BN][D]
  bf16* Qs = reinterpret_cast<bf16*>(smem_bf + C::stage);
  bf16* dOs = Qs + BM * SP;
  bf16* Ks = dOs + BM * SP;
  bf16* Vs = Ks + BN * SP;

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, t = lane & 3;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int q0 = blockIdx.y * BM;
  const int klen = key_len(p, b);
  const int kend_tile = key_end(p, klen, min(q0 + BM, p.Tq) - 1);
  const int r0 = q0 + warp * 16 + g, r1 = r0 + 8;
  const int kend0 = r0 < p.Tq ? key_end(p, klen, r0) : 0;
  const int kend1 = r1 < p.Tq ? key_end(p, klen, r1) : 0;
  const long rowbase = ((long)b * p.H + h) * p.Tq;
  const float lse0 = r0 < p.Tq ? p.lse[rowbase + r0] * kLog2e : -INFINITY;
  const float lse1 = r1 < p.Tq ? p.lse[rowbase + r1] * kLog2e : -INFINITY;
  const float ds0 = r0 < p.Tq ? p.dsum[rowbase + r0] : 0.0f;
  const float ds1 = r1 < p.Tq ? p.dsum[rowbase + r1] : 0.0f;
  const long hc = (long)h * p.dh;
  const float* kg = p.k + (long)b * p.k_bs + hc;
  const float* vg = p.v + (long)b * p.v_bs + hc;
  const float sl2 = p.scale * kLog2e;

  load_tile_bf16<BM, D, NT>(Qs, p.q + (long)b * p.q_bs + hc + (long)q0 * p.ldq, p.ldq, p.Tq - q0, p.dh, vec);
  load_tile_bf16<BM, D, NT>(dOs, p.dout + (long)b * p.o_bs + hc + (long)q0 * p.ldo, p.ldo, p.Tq - q0, p.dh, vec);

  float dq[NO][4];
#pragma unroll
  for (int n = 0; n < NO; ++n) dq[n][0] = dq[n][1] = dq[n][2] = dq[n][3] = 0.0f;

  if (vec && kend_tile > 0) {
    stage_tile<BN, D, NT>(stage, kg, p.ldk, kend_tile, p.dh);
    stage_tile<BN, D, NT>(stage + BN * D, vg, p.ldv, kend_tile, p.dh);
    cp_async_commit();
  }
  for (int k0 = 0; k0 < kend_tile; k0 += BN) {
    if (vec) cp_async_wait_all();
    __syncthreads();  // staged tile landed (and Q/dO stored); the previous tile's readers are done
    if (vec) {
      unstage_tile<BN, D, NT>(Ks, stage);
      unstage_tile<BN, D, NT>(Vs, stage + BN * D);
    } else {
      load_tile_bf16<BN, D, NT>(Ks, kg + (long)k0 * p.ldk, p.ldk, kend_tile - k0, p.dh, false);
      load_tile_bf16<BN, D, NT>(Vs, vg + (long)k0 * p.ldv, p.ldv, kend_tile - k0, p.dh, false);
    }
    __syncthreads();  // Ks/Vs ready, the staging buffer is free
    if (vec && k0 + BN < kend_tile) {
      const int k1 = k0 + BN;
      stage_tile<BN, D, NT>(stage, kg + (long)k1 * p.ldk, p.ldk, kend_tile - k1, p.dh);
      stage_tile<BN, D, NT>(stage + BN * D, vg + (long)k1 * p.ldv, p.ldv, kend_tile - k1, p.dh);
      cp_async_commit();
    }

    float s[BN / 8][4], dp[BN / 8][4];
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e) s[n][e] = dp[n][e] = 0.0f;
#pragma unroll
    for (int kc = 0; kc < KC; ++kc) {
      uint32_t qa[4], oa[4];
      ldsm_x4(qa, a_addr(Qs, SP, warp * 16, kc * 16, lane));
      ldsm_x4(oa, a_addr(dOs, SP, warp * 16, kc * 16, lane));
#pragma unroll
      for (int np = 0; np < BN / 16; ++np) {
        uint32_t kb[4], vb[4];
        ldsm_x4(kb, bn_addr(Ks, SP, np * 16, kc * 16, lane));
        ldsm_x4(vb, bn_addr(Vs, SP, np * 16, kc * 16, lane));
        mma_bf16(s[2 * np], qa, kb[0], kb[1]);
        mma_bf16(s[2 * np + 1], qa, kb[2], kb[3]);
        mma_bf16(dp[2 * np], oa, vb[0], vb[1]);
        mma_bf16(dp[2 * np + 1], oa, vb[2], vb[3]);
      }
    }
#pragma unroll
    for (int n = 0; n < BN / 8; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int key = k0 + 8 * n + 2 * t + e;
        const float p0 = key < kend0 ? exp2f(s[n][e] * sl2 - lse0) : 0.0f;
        const float p1 = key < kend1 ? exp2f(s[n][2 + e] * sl2 - lse1) : 0.0f;
        s[n][e] = p0 * (dp[n][e] - ds0);
        s[n][2 + e] = p1 * (dp[n][2 + e] - ds1);
      }
#pragma unroll
    for (int kc = 0; kc < BN / 16; ++kc) {
      uint32_t sh[4], sl[4];
      split_a(s[2 * kc], s[2 * kc + 1], sh, sl);
#pragma unroll
      for (int dd = 0; dd < D / 16; ++dd) {
        uint32_t kb[4];
        ldsm_x4_t(kb, bt_addr(Ks, SP, kc * 16, dd * 16, lane));
        mma_split<SPLIT>(dq[2 * dd], dq[2 * dd + 1], sh, sl, kb);
      }
    }
  }

  float* dqg = p.dq + (long)b * p.q_bs + hc;
#pragma unroll
  for (int n = 0; n < NO; ++n)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int c = 8 * n + 2 * t + e;
      if (c < p.dh) {
        if (r0 < p.Tq) dqg[(long)r0 * p.ldq + c] = dq[n][e] * p.scale;
        if (r1 < p.Tq) dqg[(long)r1 * p.ldq + c] = dq[n][2 + e] * p.scale;
      }
    }
}

template <int D, bool SPLIT>
cudaError_t fwd_bf16_d(const Params& p, cudaStream_t st) {
  using C = FwdBf16<D>;
  if (ceil_div(p.Tq, C::BM) > 65535u) return cudaErrorInvalidConfiguration;
  return launch(attn_fwd_bf16<D, SPLIT>, dim3(p.B * p.H, ceil_div(p.Tq, C::BM)), C::NT, C::smem, st, p,
                vec_ok(p, false));
}

template <int D, bool SPLIT>
cudaError_t bwd_bf16_d(const Params& p, cudaStream_t st) {
  const int vec = vec_ok(p, true);
  if (p.Tq > 0) {
    const long rows = (long)p.B * p.H * p.Tq;
    const int warps = 8;
    const long blocks = (rows + warps - 1) / warps;
    if (blocks > 2147483647L) return cudaErrorInvalidConfiguration;
    attn_bwd_dsum_bf16<<<(unsigned)blocks, warps * 32, 0, st>>>(p);
    cudaError_t err = cudaGetLastError();
    if (err != cudaSuccess) return err;
  }
  {
    constexpr int BM = D <= 64 ? 64 : 32;
    using C = DkvBf16<D, BM>;
    if (ceil_div(p.Tk, C::BN) > 65535u) return cudaErrorInvalidConfiguration;
    cudaError_t err = launch(attn_bwd_dkv_bf16<D, BM, SPLIT>, dim3(p.B * p.H, ceil_div(p.Tk, C::BN)), C::NT,
                             C::smem, st, p, vec);
    if (err != cudaSuccess) return err;
  }
  using C = DqBf16<D>;
  if (ceil_div(p.Tq, C::BM) > 65535u) return cudaErrorInvalidConfiguration;
  return launch(attn_bwd_dq_bf16<D, SPLIT>, dim3(p.B * p.H, ceil_div(p.Tq, C::BM)), C::NT, C::smem, st, p, vec);
}

}  // namespace

cudaError_t fwd_bf16(const Params& p, bool split, cudaStream_t st) {
  if (p.dh <= 64) return split ? fwd_bf16_d<64, true>(p, st) : fwd_bf16_d<64, false>(p, st);
  return split ? fwd_bf16_d<128, true>(p, st) : fwd_bf16_d<128, false>(p, st);
}

cudaError_t bwd_bf16(const Params& p, bool split, cudaStream_t st) {
  if (p.dh <= 64) return split ? bwd_bf16_d<64, true>(p, st) : bwd_bf16_d<64, false>(p, st);
  return split ? bwd_bf16_d<128, true>(p, st) : bwd_bf16_d<128, false>(p, st);
}

}  // namespace rg::cuda::attn
