// The fused ops' default implementations: exactly the compositions their comments in
// backend.h state, so a backend that does not override one gives the same numbers as the
// unfused calls did.
#include <cmath>

#include "backend.h"

namespace rg {

void Backend::linear_fwd(float* y, const float* x, const void*, const float* W, const void*,
                         const float* b, int rows, int out, int in) {
  gemm(false, true, rows, out, in, 1.0f, x, in, W, in, 0.0f, y, out);
  if (b) bias_add(y, b, rows, out);
}

void Backend::linear_bwd(float* dW, float* db, float* din, bool accumulate, const float* dout,
                         const float* x, const void*, const float* W, const void*, int rows,
                         int out, int in) {
  gemm(true, false, out, in, rows, 1.0f, dout, out, x, in, 1.0f, dW, in);
  if (db) bias_grad(db, dout, rows, out);
  if (din) gemm(false, false, rows, in, out, 1.0f, dout, out, W, in, accumulate ? 1.0f : 0.0f, din, in);
}

void Backend::dropout_add_layernorm(float* h, const float* res, float p, uint64_t seed,
                                    uint64_t stream, float* y, void* y16, float* mean,
                                    float* rstd, const float* gamma, const float* beta, int rows,
                                    int cols, float eps) {
  const size_t n = (size_t)rows * cols;
  if (p > 0) dropout_fwd(h, h, n, p, seed, stream);
  add_inplace(h, res, n);
  layernorm_fwd(y, mean, rstd, h, gamma, beta, rows, cols, eps);
  if (y16) to_bf16(y16, y, n);
}

void Backend::layernorm_bwd_dropout(float* dx, float* dgamma, float* dbeta, const float* dy,
                                    const float* x, const float* mean, const float* rstd,
                                    const float* gamma, int rows, int cols, float* ddrop,
                                    float p, uint64_t seed, uint64_t stream) {
  layernorm_bwd(dx, dgamma, dbeta, dy, x, mean, rstd, gamma, rows, cols);
  const size_t n = (size_t)rows * cols;
  if (p > 0) dropout_bwd(ddrop, dx, n, p, seed, stream);
  else if (ddrop != dx) copy(ddrop, dx, n * sizeof(float));
}

void Backend::act_dropout_fwd(Act a, float* y, void* y16, const float* x, size_t n, float p,
                              uint64_t seed, uint64_t stream) {
  act_fwd(a, y, x, n);
  if (p > 0) dropout_fwd(y, y, n, p, seed, stream);
  if (y16) to_bf16(y16, y, n);
}

void Backend::act_dropout_bwd(Act a, float* dx, const float* dy, const float* x, size_t n,
                              float p, uint64_t seed, uint64_t stream) {
  if (p > 0) {
    dropout_bwd(dx, dy, n, p, seed, stream);
    act_bwd(a, dx, dx, x, n);
  } else {
    act_bwd(a, dx, dy, x, n);
  }
}

void Backend::clip_adamw(float* P, void* P16, float* G, float* M, float* V, size_t total,
                         const ParamSpan* spans, int n_spans, const AdamWHyper& h,
                         float weight_decay, double clip_norm) {
  if (clip_norm > 0) {
    const double norm = std::sqrt(sum_squares(G, total));
    const double coef = clip_norm / (norm + 1e-6);
    if (coef < 1.0) scale_inplace(G, total, (float)coef);
  }
  for (int i = 0; i < n_spans; ++i) {
    const ParamSpan& s = spans[i];
    adamw_update(P + s.offset, G + s.offset, M + s.offset, V + s.offset, s.size, h,
                 s.decay ? weight_decay : 0.0f);
    if (P16) to_bf16(static_cast<uint16_t*>(P16) + s.offset, P + s.offset, s.size);
  }
}

void Backend::append_rows(void* dst, size_t dst_pitch, size_t pos_bytes, int pos, const void* src,
                          size_t src_pitch, size_t row_bytes, int rows) {
  copy_rows(static_cast<char*>(dst) + (size_t)pos * pos_bytes, dst_pitch, src, src_pitch, row_bytes, rows);
}

}  // namespace rg
