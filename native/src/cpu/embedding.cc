// Embedding: forward over rows in parallel; backward over blocks of columns in parallel, each
// block walking the tokens in order, so every dE element receives its contributions in token
// order exactly as the reference does (bitwise equal to embed_bwd_ref for any thread count).
#include <cmath>

#include "cpu/embedding.h"
#include "cpu/parallel_util.h"

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
  parallel_blocks((size_t)N, 64, [&](size_t i0, size_t i1) {
    for (size_t i = i0; i < i1; ++i) {
      const float* e = E + (long)ids[i] * d;
      const float* p = pe + (long)(pos0 + (int)(i % T)) * d;
      float* o = out + (long)i * d;
      for (int c = 0; c < d; ++c) o[c] = scale * e[c] + p[c];
    }
  });
}

void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, float scale) {
  constexpr int kCols = 32;
  const size_t blocks = ((size_t)d + kCols - 1) / kCols;
  rg::parallel_for(blocks, [&](size_t b0, size_t b1) {
    const int c0 = (int)b0 * kCols, c1 = std::min(d, (int)b1 * kCols);
    for (int i = 0; i < N; ++i) {
      float* row = dE + (long)ids[i] * d;
      const float* g = dout + (long)i * d;
      for (int c = c0; c < c1; ++c) row[c] += scale * g[c];
    }
  });
}

}  // namespace rg::cpu
