// Token embedding scaled by sqrt(d_model) plus sinusoidal positions.
#pragma once

namespace rg::cpu {

// pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)) (computed in double).
void sinusoidal_table(float* pe, int max_len, int d);
// out[i, :] = scale * E[ids[i], :] + pe[pos0 + i % T, :] for i in [0, N).
// ids must be valid (the caller checks ranges once per batch).
void embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
               float scale, const float* pe);
// ACCUMULATES dE[ids[i], :] += scale * dout[i, :]; deterministic (order of i kept per row).
void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, float scale);

void embed_bwd_ref(float* dE, const float* dout, const int* ids, int N, int d, float scale);

}  // namespace rg::cpu
