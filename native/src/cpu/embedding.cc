// Embedding: forward over rows in parallel; backward over classes of ids in parallel.
#include <cmath>
#include <vector>

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

// Tokens are bucketed by id class (id mod kClasses, a stable counting sort), and classes run in
// parallel: each dE row belongs to one class, and receives its tokens in increasing order,
// exactly as in embed_bwd_ref, so the result is bitwise equal for any thread count.
void embed_bwd(float* dE, const float* dout, const int* ids, int N, int d, float scale) {
  if (N <= 0) return;
  if (rg::num_threads() == 1 || (size_t)N * d < 65536) {  // one thread: the plain loop is fastest
    embed_bwd_ref(dE, dout, ids, N, d, scale);
    return;
  }
  constexpr int kClasses = 64;
  std::vector<int> start(kClasses + 1, 0), order(N);
  for (int i = 0; i < N; ++i) ++start[(ids[i] & (kClasses - 1)) + 1];
  for (int c = 0; c < kClasses; ++c) start[c + 1] += start[c];
  {
    std::vector<int> pos(start.begin(), start.end() - 1);
    for (int i = 0; i < N; ++i) order[pos[ids[i] & (kClasses - 1)]++] = i;
  }
  rg::parallel_chunks(kClasses, [&](size_t c) {
    for (int k = start[c]; k < start[c + 1]; ++k) {
      const int i = order[k];
      float* __restrict row = dE + (long)ids[i] * d;
      const float* __restrict g = dout + (long)i * d;
      for (int j = 0; j < d; ++j) row[j] += scale * g[j];
    }
  });
}

}  // namespace rg::cpu
