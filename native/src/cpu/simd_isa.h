// Row kernels compiled once per instruction set. The bodies live in rowkernels.inc and are
// compiled three times, each in its own namespace and translation unit:
//   simd_generic.cc (baseline x86-64 / any CPU), simd_avx2.cc (-mavx2 -mfma),
//   simd_avx512.cc (-mavx512f/bw/dq/vl).
// The ISA files include only <immintrin.h>, <cstddef>, <cstdint>, <cmath>, this header and
// rowkernels.inc; every helper there is static or in the ISA's own namespace, so no AVX code
// can be ODR-merged into baseline code. Pick a table with isa_kernels() (dispatch.cc).
// Plain header: no STL, no inline functions.
#pragma once
#include <cstdint>

namespace rg::cpu {

// One (batch, head) of attention; pointers already offset to the batch and head.
struct AttnHead {
  const float* q;
  const float* k;
  const float* v;
  const float* dout;   // bwd
  const float* probs;  // bwd: saved softmax [Tq, Tk]
  float* out;          // fwd
  float* probs_out;    // fwd: [Tq, Tk] or null
  float* dq;           // bwd (overwritten)
  float* dk;
  float* dv;
  float* scratch;      // Tk floats
  long ldq, ldk, ldv, ldo;
  int Tq, Tk, dh;
  int klen;            // keys visible: j < klen (already clamped to [0, Tk])
  int causal;          // nonzero: also j <= i + (Tk - Tq)
  float scale;
};

struct IsaKernels {
  const char* name;
  void (*attn_fwd_head)(const AttnHead& a);
  void (*attn_bwd_head)(const AttnHead& a);
  // One row of label-smoothed cross-entropy; t is a valid target. d may alias x or be null.
  void (*xent_row)(const float* x, int V, int t, float eps, float gs, float* loss, float* tlp,
                   float* d);
  void (*log_softmax_row)(float* out, const float* x, int V);  // out may alias x
  void (*layernorm_fwd_row)(float* y, float* mean, float* rstd, const float* x, const float* g,
                            const float* b, int cols, float eps);
  // dx += ..., dg_acc += dy * xhat, db_acc += dy (row-chunk partials).
  void (*layernorm_bwd_row)(float* dx, float* dg_acc, float* db_acc, const float* dy,
                            const float* x, float mean, float rstd, const float* g, int cols);
  // GELU, exact erf form: y = x/2 (1 + erf(x/sqrt 2)); dx = dy (Phi(x) + x phi(x)).
  // The vector versions use a rational erf (max rel error ~1e-7) and the vectorized exp.
  void (*gelu_fwd)(float* y, const float* x, long n);                   // y may alias x
  void (*gelu_bwd)(float* dx, const float* dy, const float* x, long n);  // dx may alias dy
  // Inverted dropout of elements [first, first + n) of a logical array: y[i] = x[i] * s if
  // uniform_at(seed, stream, first + i) >= p else 0 (Philox4x32-10 vectorized over 8 or 16
  // counters; bitwise the same numbers as rg::uniform_at). y may alias x.
  void (*dropout)(float* y, const float* x, long n, uint64_t first, float p, float s,
                  uint64_t seed, uint64_t stream);
};

namespace generic { extern const IsaKernels kTable; }
namespace avx2 { extern const IsaKernels kTable; }
namespace avx512 { extern const IsaKernels kTable; }

// The table for the active ISA (rg::active_isa(), unless a test override is set).
const IsaKernels& isa_kernels();
// Testing hook: -1 = none, else an rg::Isa value, capped to what the CPU supports.
void set_isa_override(int isa);

}  // namespace rg::cpu
