// Flash-style attention on the GPU (the FlashAttention-2 schedule): fp32 SIMT math by
// default (the reference path), or tensor cores (mma.sync bf16, fp32 softmax and
// accumulators) after attention_set_precision(true); see the bf16 section below.
// Why this shape: the [Tq, Tk] score matrix never exists in memory. The forward keeps a
// tile of query rows in shared memory, streams key/value tiles through shared memory and
// keeps a running max and sum per row (online softmax); it saves only each row's
// log-sum-exp. The backward recomputes P = exp(S - lse) tile by tile: one kernel per key
// tile accumulates dK and dV over query tiles, another per query tile accumulates dQ over
// key tiles, so every output element has one writer and no float atomics are needed
// (deterministic). FlashAttention-2 writes dS_ij = P_ij (dP_ij - D_i) with
// D_i = rowsum(dO_i * O_i); here dP_ij - D_i = dO_i . (V_j - O_i) is summed as one dot
// product, which keeps fp32 accurate where the two terms nearly cancel (a row that sees one
// key has V_j = O_i exactly and gets exactly zero gradient, as the CPU reference).
//
// Masks as cpu/attention.h: key j of batch b is visible to query row i iff
// j < k_len[b] and (causal) j <= i + (Tk - Tq), i.e. j < key_end(i). A row that sees no
// key gets out = 0 and lse = -inf; its dq is 0, and keys nobody sees get dk = dv = 0.
// Head dims up to 128 are compiled as D = 32, 64 or 128 (bf16: 64 or 128; rows zero-padded
// to D in shared memory); dh > 128 is refused with cudaErrorInvalidValue. Decoding shapes
//
// Files: this one holds the launchers of kernels.h; attention_f32.cu the fp32 kernels,
// attention_bf16.cu the tensor-core ones, attention_common.cuh what they share.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <cuda_runtime.h>

#include "attention_common.cuh"
#include "kernels.h"

namespace rg::cuda {
namespace {

using attn::Params;
using attn::kMaxDh;

// Shape checks shared by forward and backward: false for shapes the kernels do not take.
bool shape_ok(const cpu::AttnShape& s) {
  if (s.B < 0 || s.H < 0 || s.Tq < 0 || s.Tk < 0) return false;
  if (s.dh < 1 || s.dh > kMaxDh) return false;
  if ((long)s.B * s.H > 2147483647L) return false;
  return true;
}

Params make_params(const cpu::AttnShape& s) {
  Params p{};
  p.B = s.B;
  p.H = s.H;
  p.Tq = s.Tq;
  p.Tk = s.Tk;
  p.dh = s.dh;
  p.ldq = s.ldq;
  p.ldk = s.ldk;
  p.ldv = s.ldv;
  p.ldo = s.ldo;
  p.q_bs = s.q_bs;
  p.k_bs = s.k_bs;
  p.v_bs = s.v_bs;
  p.o_bs = s.o_bs;
  p.causal = s.causal ? 1 : 0;
  p.scale = s.scale;
  return p;
}

// Bench inputs: a hash of (seed, index) mapped to [lo, hi).
__global__ void fill_uniform(float* p, size_t n, uint32_t seed, float lo, float hi) {
  for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    uint32_t x = (uint32_t)i * 0x9E3779B1u ^ (uint32_t)(i >> 32) * 0x85EBCA77u ^ seed * 0xC2B2AE3Du;
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    p[i] = lo + (hi - lo) * (float)(x >> 8) * (1.0f / 16777216.0f);
  }
}

// attention_set_precision. Per thread: every caller sets it just before its calls, and two
// backends of different precisions may run at once on two threads (one would otherwise
// switch the other's kernels, even inside a CUDA graph it is recording).
thread_local bool g_bf16 = false;
bool env_split() {
  const char* e = std::getenv("REGURGITATE_ATTN_SPLIT");
  return !(e && std::strcmp(e, "0") == 0);
}
bool g_split = env_split();  // attention_set_split

}  // namespace

void attention_set_precision(bool bf16) { g_bf16 = bf16; }
void attention_set_split(bool split) { g_split = split; }
bool attention_split() { return g_split; }

// Declared where used (testing_attention.cc): not part of the backend contract.
int attention_bench_fill(float* p, size_t n, uint32_t seed, float lo, float hi, Stream stream) {
  if (n == 0) return (int)cudaSuccess;
  const int threads = 256;
  const size_t want = (n + threads - 1) / threads;
  const int blocks = (int)(want < 65535 * 16 ? want : 65535 * 16);
  fill_uniform<<<blocks, threads, 0, (cudaStream_t)stream>>>(p, n, seed, lo, hi);
  return (int)cudaGetLastError();
}

int attention_fwd(const cpu::AttnShape& s, const float* q, const float* k, const float* v,
                  const int* k_len, float* out, float* lse, Stream stream) {
  if (!shape_ok(s)) return (int)cudaErrorInvalidValue;
  if (s.B == 0 || s.H == 0 || s.Tq == 0) return (int)cudaSuccess;
  Params p = make_params(s);
  p.q = q;
  p.k = k;
  p.v = v;
  p.k_len = k_len;
  p.out = out;
  p.lse_out = lse;
  cudaStream_t st = (cudaStream_t)stream;
  if (g_bf16 && s.Tq > 8) return (int)attn::fwd_bf16(p, g_split, st);
  return (int)attn::fwd_f32(p, st);
}

size_t attention_bwd_scratch_bytes(const cpu::AttnShape& s) {
  if (s.B <= 0 || s.H <= 0 || s.Tq <= 0) return 0;
  return (size_t)s.B * s.H * s.Tq * sizeof(float);
}

int attention_bwd(const cpu::AttnShape& s, const float* q, const float* k, const float* v,
                  const int* k_len, const float* out, const float* lse, const float* dout,
                  float* dq, float* dk, float* dv, void* scratch, Stream stream) {
  if (!shape_ok(s)) return (int)cudaErrorInvalidValue;
  if (s.B == 0 || s.H == 0) return (int)cudaSuccess;
  Params p = make_params(s);
  p.q = q;
  p.k = k;
  p.v = v;
  p.k_len = k_len;
  p.o = out;
  p.lse = lse;
  p.dout = dout;
  p.dq = dq;
  p.dk = dk;
  p.dv = dv;
  cudaStream_t st = (cudaStream_t)stream;
  if (s.Tk == 0 && s.Tq == 0) return (int)cudaSuccess;
  if (g_bf16) {
    if (s.Tq > 0 && !scratch) return (int)cudaErrorInvalidValue;
    p.dsum = (float*)scratch;
    return (int)attn::bwd_bf16(p, g_split, st);
  }
  // The fp32 path needs no scratch.
  // Tq == 0 with Tk > 0: no query sees any key, dk = dv = 0 (the dkv kernel's loop is empty).
  return (int)attn::bwd_f32(p, st);
}

}  // namespace rg::cuda
