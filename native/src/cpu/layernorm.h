// Layer norm over the last dimension: y = (x - mean) * rstd * gamma + beta,
// rstd = 1 / sqrt(var + eps), var the biased variance (as PyTorch).
#pragma once

namespace rg::cpu {

// Writes y [rows, cols], mean [rows], rstd [rows] (saved for backward).
void layernorm_fwd(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                   const float* beta, int rows, int cols, float eps);
// ACCUMULATES: dx += dL/dx (pre-LN residual: the residual gradient is already in dx),
// dgamma += ..., dbeta += ... (deterministic: fixed row chunks reduced in order).
void layernorm_bwd(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                   const float* mean, const float* rstd, const float* gamma, int rows, int cols);

void layernorm_fwd_ref(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, int rows, int cols, float eps);
void layernorm_bwd_ref(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                       const float* mean, const float* rstd, const float* gamma, int rows, int cols);

}  // namespace rg::cpu
