#include <cmath>

#include "cpu/embedding.h"

namespace rg::cpu {

void sinusoidal_table(float* pe, int max_len, int d) {
  for (int p = 0; p < max_len; ++p)
    for (int c = 0; c < d; ++c) {
      int i2 = c & ~1;  // 2i
      double ang = (double)p / std::pow(10000.0, (double)i2 / d);
      pe[(long)p * d + c] = (float)((c & 1) ? std::cos(ang) : std::sin(ang));
    }
}

void embed_fwd(float* out, const float* E, const int* ids, int N, int T, int pos0, int d,
               float scale, const float* pe) {
  for (int i = 0; i < N; ++i) {
    const float* e = E + (long)ids[i] * d;
    const float* p = pe + (long)(pos0 + i % T) * d;
    float* o = out + (long)i * d;
    for (int c = 0; c < d; ++c) o[c] = scale * e[c] + p[c];
  }
}

void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, float scale) {
  embed_bwd_ref(dE, dout, ids, N, d, scale);
}

}  // namespace rg::cpu
