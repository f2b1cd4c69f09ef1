// The fp32 attention kernels (CUDA cores): forward (also the decoding form, Tq <= 8),
// backward dK/dV per key tile and dQ per query tile. The reference path: exact fp32 math,
// what `cuda:fp32` and `cuda:tf32` run. Design and masks: attention.cu.
#include <cmath>
#include <cstdint>

#include <cuda_runtime.h>

#include "attention_common.cuh"

namespace rg::cuda::attn {
namespace {

// ---- forward ------------------------------------------------------------------------
// Block (b*H + h, query tile). Thread (r, t): query row r of the tile, lane t of the TPR
// lanes sharing that row (consecutive lanes of one warp). It scores keys t, t + TPR, ...
// of each key tile and owns out columns t, t + TPR, ...
template <int D, int BM, int BN, int TPR>
struct FwdCfg {
  static constexpr int NT = BM * TPR, DP = D + 1, PP = BN + 1;
  static constexpr size_t smem = sizeof(float) * ((size_t)BM * DP + 2 * (size_t)BN * DP + (size_t)BM * PP);
  static_assert(32 % TPR == 0 && BN % TPR == 0 && D % TPR == 0, "tile shape");
};

template <int D, int BM, int BN, int TPR>
__global__ void __launch_bounds__(BM * TPR) attn_fwd_f32(Params p) {
  using C = FwdCfg<D, BM, BN, TPR>;
  constexpr int NT = C::NT, DP = C::DP, PP = C::PP, JPT = BN / TPR, CPT = D / TPR;
  extern __shared__ float smem[];
  float* Qs = smem;          // [BM][DP]
  float* Ks = Qs + BM * DP;  // [BN][DP]
  float* Vs = Ks + BN * DP;  // [BN][DP]
  float* Ps = Vs + BN * DP;  // [BM][PP]

  const int tid = threadIdx.x, r = tid / TPR, t = tid % TPR;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int q0 = blockIdx.y * BM, i = q0 + r;
  const int klen = key_len(p, b);
  const int last = min(q0 + BM, p.Tq) - 1;
  const int kend_tile = key_end(p, klen, last);  // keys any row of the tile sees
  const int kend = i < p.Tq ? key_end(p, klen, i) : 0;

  const long hc = (long)h * p.dh;
  const float* qg = p.q + (long)b * p.q_bs + hc;
  const float* kg = p.k + (long)b * p.k_bs + hc;
  const float* vg = p.v + (long)b * p.v_bs + hc;
  load_tile<BM, D, NT>(Qs, qg + (long)q0 * p.ldq, p.ldq, 0, p.Tq - q0, p.dh);

  float m = -INFINITY, l = 0.0f, acc[CPT];
#pragma unroll
  for (int cc = 0; cc < CPT; ++cc) acc[cc] = 0.0f;

  for (int k0 = 0; k0 < kend_tile; k0 += BN) {
    __syncthreads();  // the previous tile's readers are done
    // Rows at or past kend_tile are zeros: never read past the visible prefix (a KV
    // cache may hold garbage there, and 0 * NaN would leak into acc).
    load_tile<BN, D, NT>(Ks, kg + (long)k0 * p.ldk, p.ldk, 0, kend_tile - k0, p.dh);
    load_tile<BN, D, NT>(Vs, vg + (long)k0 * p.ldv, p.ldv, 0, kend_tile - k0, p.dh);
    __syncthreads();

    float s[JPT];
#pragma unroll
    for (int jj = 0; jj < JPT; ++jj) s[jj] = 0.0f;
    const float* qr = Qs + r * DP;
#pragma unroll 8
    for (int c = 0; c < D; ++c) {
      const float qv = qr[c];
#pragma unroll
      for (int jj = 0; jj < JPT; ++jj) s[jj] = fmaf(qv, Ks[(t + TPR * jj) * DP + c], s[jj]);
    }
    float mt = -INFINITY;
#pragma unroll
    for (int jj = 0; jj < JPT; ++jj) {
      s[jj] *= p.scale;
      if (k0 + t + TPR * jj < kend) mt = fmaxf(mt, s[jj]);
    }
    mt = group_max<TPR>(mt);
    const float mnew = fmaxf(m, mt);
    float ls = 0.0f;
#pragma unroll
    for (int jj = 0; jj < JPT; ++jj) {
      // A visible key makes mnew finite, so no (-inf) - (-inf) here.
      const float pj = (k0 + t + TPR * jj < kend) ? expf(s[jj] - mnew) : 0.0f;
      ls += pj;
      Ps[r * PP + t + TPR * jj] = pj;
    }
    ls = group_sum<TPR>(ls);
    const float alpha = (m == -INFINITY) ? 0.0f : expf(m - mnew);
    l = l * alpha + ls;
    m = mnew;
#pragma unroll
    for (int cc = 0; cc < CPT; ++cc) acc[cc] *= alpha;
    __syncwarp();  // Ps row r is written and read by the same TPR lanes of one warp
    const int nk = min(BN, kend_tile - k0);
    const float* pr = Ps + r * PP;
    for (int jj = 0; jj < nk; ++jj) {
      const float pv = pr[jj];
      const float* vr = Vs + jj * DP + t;
#pragma unroll
      for (int cc = 0; cc < CPT; ++cc) acc[cc] = fmaf(pv, vr[TPR * cc], acc[cc]);
    }
    __syncwarp();  // the next tile's Ps writes come after these reads
  }

  if (i < p.Tq) {
    float* og = p.out + (long)b * p.o_bs + (long)i * p.ldo + hc;
#pragma unroll
    for (int cc = 0; cc < CPT; ++cc) {
      const int c = t + TPR * cc;
      if (c < p.dh) og[c] = l > 0.0f ? acc[cc] / l : 0.0f;
    }
    if (p.lse_out && t == 0)
      p.lse_out[((long)b * p.H + h) * p.Tq + i] = l > 0.0f ? m + logf(l) : -INFINITY;
  }
}

// ---- backward -----------------------------------------------------------------------
// dK, dV: block (b*H + h, key tile of BN keys). Thread (jl, t): key jl of the tile, lane t
// of the TPK lanes sharing it; it scores query rows t, t + TPK, ... of each query tile and
// owns dk/dv columns t, t + TPK, ...
template <int D, int BM, int BN, int TPK>
struct DkvCfg {
  static constexpr int NT = BN * TPK, DP = D + 1, PP = BM + 1;
  static constexpr size_t smem =
      sizeof(float) * (2 * (size_t)BN * DP + 3 * (size_t)BM * DP + 2 * (size_t)BN * PP + (size_t)BM);
  static_assert(32 % TPK == 0 && BM % TPK == 0 && D % TPK == 0, "tile shape");
};

template <int D, int BM, int BN, int TPK>
__global__ void __launch_bounds__(BN * TPK) attn_bwd_dkv_f32(Params p) {
  using C = DkvCfg<D, BM, BN, TPK>;
  constexpr int NT = C::NT, DP = C::DP, PP = C::PP, IPT = BM / TPK, CPT = D / TPK;
  extern __shared__ float smem[];
  float* Ks = smem;              // [BN][DP]
  float* Vs = Ks + BN * DP;      // [BN][DP]
  float* Qs = Vs + BN * DP;      // [BM][DP]
  float* dOs = Qs + BM * DP;     // [BM][DP]
  float* Os = dOs + BM * DP;     // [BM][DP]
  float* Ps = Os + BM * DP;      // [BN][PP]
  float* dSs = Ps + BN * PP;     // [BN][PP]
  float* lse_s = dSs + BN * PP;  // [BM]

  const int tid = threadIdx.x, jl = tid / TPK, t = tid % TPK;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int k0 = blockIdx.y * BN, j = k0 + jl;
  const int klen = key_len(p, b);
  const long hc = (long)h * p.dh;
  const float* qg = p.q + (long)b * p.q_bs + hc;
  const float* dog = p.dout + (long)b * p.o_bs + hc;
  const float* og = p.o + (long)b * p.o_bs + hc;
  const long rowbase = ((long)b * p.H + h) * p.Tq;

  load_tile<BN, D, NT>(Ks, p.k + (long)b * p.k_bs + hc + (long)k0 * p.ldk, p.ldk, 0, klen - k0, p.dh);
  load_tile<BN, D, NT>(Vs, p.v + (long)b * p.v_bs + hc + (long)k0 * p.ldv, p.ldv, 0, klen - k0, p.dh);

  float dk[CPT], dv[CPT];
#pragma unroll
  for (int cc = 0; cc < CPT; ++cc) dk[cc] = dv[cc] = 0.0f;

  // Query rows that can see key k0: i >= k0 - (Tk - Tq) when causal; none when k0 >= klen.
  int i_begin = 0;
  if (p.causal) {
    const long f = (long)k0 - (long)(p.Tk - p.Tq);
    i_begin = f <= 0 ? 0 : (f >= p.Tq ? p.Tq : (int)f);
  }
  i_begin = (i_begin / BM) * BM;
  if (k0 >= klen) i_begin = p.Tq;

  for (int i0 = i_begin; i0 < p.Tq; i0 += BM) {
    __syncthreads();  // the previous tile's readers are done (and K/V are loaded)
    load_tile<BM, D, NT>(Qs, qg + (long)i0 * p.ldq, p.ldq, 0, p.Tq - i0, p.dh);
    load_tile<BM, D, NT>(dOs, dog + (long)i0 * p.ldo, p.ldo, 0, p.Tq - i0, p.dh);
    load_tile<BM, D, NT>(Os, og + (long)i0 * p.ldo, p.ldo, 0, p.Tq - i0, p.dh);
    for (int x = tid; x < BM; x += NT) {
      const int i = i0 + x;
      lse_s[x] = i < p.Tq ? p.lse[rowbase + i] : -INFINITY;
    }
    __syncthreads();

    float s[IPT], dp[IPT];
#pragma unroll
    for (int ii = 0; ii < IPT; ++ii) s[ii] = dp[ii] = 0.0f;
    const float* kr = Ks + jl * DP;
    const float* vr = Vs + jl * DP;
#pragma unroll 4
    for (int c = 0; c < D; ++c) {
      const float kv = kr[c], vv = vr[c];
#pragma unroll
      for (int ii = 0; ii < IPT; ++ii) {
        const int il = t + TPK * ii;
        s[ii] = fmaf(Qs[il * DP + c], kv, s[ii]);
        dp[ii] = fmaf(dOs[il * DP + c], vv - Os[il * DP + c], dp[ii]);  // dP_ij - D_i
      }
    }
#pragma unroll
    for (int ii = 0; ii < IPT; ++ii) {
      const int il = t + TPK * ii, i = i0 + il;
      const bool vis = i < p.Tq && j < key_end(p, klen, i);
      const float pij = vis ? expf(s[ii] * p.scale - lse_s[il]) : 0.0f;
      Ps[jl * PP + il] = pij;
      dSs[jl * PP + il] = pij * dp[ii];
    }
    __syncwarp();  // row jl of Ps/dSs is written and read by the same TPK lanes
    const int ni = min(BM, p.Tq - i0);
    for (int il = 0; il < ni; ++il) {
      const float pv = Ps[jl * PP + il], dsv = dSs[jl * PP + il];
      const float* dor = dOs + il * DP + t;
      const float* qr = Qs + il * DP + t;
#pragma unroll
      for (int cc = 0; cc < CPT; ++cc) {
        dv[cc] = fmaf(pv, dor[TPK * cc], dv[cc]);
        dk[cc] = fmaf(dsv, qr[TPK * cc], dk[cc]);
      }
    }
  }

  if (j < p.Tk) {
    float* dkg = p.dk + (long)b * p.k_bs + (long)j * p.ldk + hc;
    float* dvg = p.dv + (long)b * p.v_bs + (long)j * p.ldv + hc;
#pragma unroll
    for (int cc = 0; cc < CPT; ++cc) {
      const int c = t + TPK * cc;
      if (c < p.dh) {
        dkg[c] = dk[cc] * p.scale;
        dvg[c] = dv[cc];
      }
    }
  }
}

// dQ: block (b*H + h, query tile of BM rows). Thread (r, t): row r, lane t of TPR; it
// scores keys t, t + TPR, ... of each key tile and owns dq columns t, t + TPR, ...
template <int D, int BM, int BN, int TPR>
struct DqCfg {
  static constexpr int NT = BM * TPR, DP = D + 1, PP = BN + 1;
  static constexpr size_t smem =
      sizeof(float) * (3 * (size_t)BM * DP + 2 * (size_t)BN * DP + (size_t)BM * PP);
  static_assert(32 % TPR == 0 && BN % TPR == 0 && D % TPR == 0, "tile shape");
};

template <int D, int BM, int BN, int TPR>
__global__ void __launch_bounds__(BM * TPR) attn_bwd_dq_f32(Params p) {
  using C = DqCfg<D, BM, BN, TPR>;
  constexpr int NT = C::NT, DP = C::DP, PP = C::PP, JPT = BN / TPR, CPT = D / TPR;
  extern __shared__ float smem[];
  float* Qs = smem;           // [BM][DP]
  float* dOs = Qs + BM * DP;  // [BM][DP]
  float* Os = dOs + BM * DP;  // [BM][DP]
  float* Ks = Os + BM * DP;   // [BN][DP]
  float* Vs = Ks + BN * DP;   // [BN][DP]
  float* dSs = Vs + BN * DP;  // [BM][PP]

  const int tid = threadIdx.x, r = tid / TPR, t = tid % TPR;
  const int b = blockIdx.x / p.H, h = blockIdx.x % p.H;
  const int q0 = blockIdx.y * BM, i = q0 + r;
  const int klen = key_len(p, b);
  const int last = min(q0 + BM, p.Tq) - 1;
  const int kend_tile = key_end(p, klen, last);
  const int kend = i < p.Tq ? key_end(p, klen, i) : 0;
  const long hc = (long)h * p.dh;
  const long row = ((long)b * p.H + h) * p.Tq + i;
  const float lse_i = i < p.Tq ? p.lse[row] : -INFINITY;
  const float* kg = p.k + (long)b * p.k_bs + hc;
  const float* vg = p.v + (long)b * p.v_bs + hc;

  load_tile<BM, D, NT>(Qs, p.q + (long)b * p.q_bs + hc + (long)q0 * p.ldq, p.ldq, 0, p.Tq - q0, p.dh);
  load_tile<BM, D, NT>(dOs, p.dout + (long)b * p.o_bs + hc + (long)q0 * p.ldo, p.ldo, 0, p.Tq - q0, p.dh);
  load_tile<BM, D, NT>(Os, p.o + (long)b * p.o_bs + hc + (long)q0 * p.ldo, p.ldo, 0, p.Tq - q0, p.dh);

  float acc[CPT];
#pragma unroll
  for (int cc = 0; cc < CPT; ++cc) acc[cc] = 0.0f;

  for (int k0 = 0; k0 < kend_tile; k0 += BN) {
    __syncthreads();
    load_tile<BN, D, NT>(Ks, kg + (long)k0 * p.ldk, p.ldk, 0, kend_tile - k0, p.dh);
    load_tile<BN, D, NT>(Vs, vg + (long)k0 * p.ldv, p.ldv, 0, kend_tile - k0, p.dh);
    __syncthreads();

    float s[JPT], dp[JPT];
#pragma unroll
    for (int jj = 0; jj < JPT; ++jj) s[jj] = dp[jj] = 0.0f;
    const float* qr = Qs + r * DP;
    const float* dor = dOs + r * DP;
    const float* orow = Os + r * DP;
#pragma unroll 4
    for (int c = 0; c < D; ++c) {
      const float qv = qr[c], dov = dor[c], ov = orow[c];
#pragma unroll
      for (int jj = 0; jj < JPT; ++jj) {
        const int jl = t + TPR * jj;
        s[jj] = fmaf(qv, Ks[jl * DP + c], s[jj]);
        dp[jj] = fmaf(dov, Vs[jl * DP + c] - ov, dp[jj]);  // dP_ij - D_i
      }
    }
#pragma unroll
    for (int jj = 0; jj < JPT; ++jj) {
      const int jl = t + TPR * jj;
      const float pij = (k0 + jl < kend) ? expf(s[jj] * p.scale - lse_i) : 0.0f;
      dSs[r * PP + jl] = pij * dp[jj];
    }
    __syncwarp();
    const int nk = min(BN, kend_tile - k0);
    const float* dsr = dSs + r * PP;
    for (int jl = 0; jl < nk; ++jl) {
      const float dsv = dsr[jl];
      const float* kr = Ks + jl * DP + t;
#pragma unroll
      for (int cc = 0; cc < CPT; ++cc) acc[cc] = fmaf(dsv, kr[TPR * cc], acc[cc]);
    }
    __syncwarp();
  }

  if (i < p.Tq) {
    float* dqg = p.dq + (long)b * p.q_bs + (long)i * p.ldq + hc;
#pragma unroll
    for (int cc = 0; cc < CPT; ++cc) {
      const int c = t + TPR * cc;
      if (c < p.dh) dqg[c] = acc[cc] * p.scale;
    }
  }
}

template <int D>
cudaError_t fwd_f32_d(const Params& p, cudaStream_t st) {
  if (p.Tq <= 8) {  // decoding: a warp per query row, few rows per block
    constexpr int BM = 4, BN = 64, TPR = 32;
    using C = FwdCfg<D, BM, BN, TPR>;
    return launch(attn_fwd_f32<D, BM, BN, TPR>, dim3(p.B * p.H, ceil_div(p.Tq, BM)), C::NT, C::smem, st, p);
  }
  constexpr int BM = 64, BN = 64, TPR = 4;
  using C = FwdCfg<D, BM, BN, TPR>;
  if (ceil_div(p.Tq, BM) > 65535u) return cudaErrorInvalidConfiguration;
  return launch(attn_fwd_f32<D, BM, BN, TPR>, dim3(p.B * p.H, ceil_div(p.Tq, BM)), C::NT, C::smem, st, p);
}

template <int D>
cudaError_t bwd_f32_d(const Params& p, cudaStream_t st) {
  {
    constexpr int BM = 32, BN = 64, TPK = 4;
    using C = DkvCfg<D, BM, BN, TPK>;
    if (ceil_div(p.Tk, BN) > 65535u) return cudaErrorInvalidConfiguration;
    cudaError_t err = launch(attn_bwd_dkv_f32<D, BM, BN, TPK>, dim3(p.B * p.H, ceil_div(p.Tk, BN)), C::NT,
                             C::smem, st, p);
    if (err != cudaSuccess) return err;
  }
  constexpr int BM = 64, BN = 32, TPR = 4;
  using C = DqCfg<D, BM, BN, TPR>;
  if (ceil_div(p.Tq, BM) > 65535u) return cudaErrorInvalidConfiguration;
  return launch(attn_bwd_dq_f32<D, BM, BN, TPR>, dim3(p.B * p.H, ceil_div(p.Tq, BM)), C::NT, C::smem, st, p);
}

}  // namespace

cudaError_t fwd_f32(const Params& p, cudaStream_t st) {
  if (p.dh <= 32) return fwd_f32_d<32>(p, st);
  if (p.dh <= 64) return fwd_f32_d<64>(p, st);
  return fwd_f32_d<128>(p, st);
}

cudaError_t bwd_f32(const Params& p, cudaStream_t st) {
  if (p.dh <= 32) return bwd_f32_d<32>(p, st);
  if (p.dh <= 64) return bwd_f32_d<64>(p, st);
  return bwd_f32_d<128>(p, st);
}

}  // namespace rg::cuda::attn
