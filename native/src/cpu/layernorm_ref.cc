// Naive layer norm (double accumulation), the reference for tests.
#include <cmath>
#include <vector>

#include "cpu/layernorm.h"

namespace rg::cpu {

void layernorm_fwd_ref(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, int rows, int cols, float eps) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    double s = 0;
    for (int c = 0; c < cols; ++c) s += xr[c];
    double mu = s / cols;
    double ss = 0;
    for (int c = 0; c < cols; ++c) ss += (xr[c] - mu) * (xr[c] - mu);
    double rs = 1.0 / std::sqrt(ss / cols + (double)eps);
    for (int c = 0; c < cols; ++c)
      y[(long)r * cols + c] = (float)((xr[c] - mu) * rs * gamma[c] + beta[c]);
    mean[r] = (float)mu;
    rstd[r] = (float)rs;
  }
}

void layernorm_bwd_ref(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                       const float* mean, const float* rstd, const float* gamma, int rows, int cols) {
  std::vector<double> dg(cols, 0.0), db(cols, 0.0);
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    const float* dyr = dy + (long)r * cols;
    double mu = mean[r], rs = rstd[r];
    // dxhat = dy * gamma; dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
    double a = 0, b = 0;
    for (int c = 0; c < cols; ++c) {
      double xh = (xr[c] - mu) * rs;
      double dxh = (double)dyr[c] * gamma[c];
      a += dxh;
      b += dxh * xh;
    }
    a /= cols;
    b /= cols;
    for (int c = 0; c < cols; ++c) {
      double xh = (xr[c] - mu) * rs;
      double dxh = (double)dyr[c] * gamma[c];
      dx[(long)r * cols + c] += (float)(rs * (dxh - a - xh * b));
      dg[c] += dyr[c] * xh;
      db[c] += dyr[c];
    }
  }
  for (int c = 0; c < cols; ++c) {
    dgamma[c] += (float)dg[c];
    dbeta[c] += (float)db[c];
  }
}

}  // namespace rg::cpu
