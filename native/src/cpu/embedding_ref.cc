// Naive embedding backward, the reference for tests.
#include "cpu/embedding.h"

namespace rg::cpu {

void embed_bwd_ref(float* dE, const float* dout, const int* ids, int N, int d, float scale) {
  for (int i = 0; i < N; ++i) {
    float* row = dE + (long)ids[i] * d;
    const float* g = dout + (long)i * d;
    for (int c = 0; c < d; ++c) row[c] += scale * g[c];
  }
}

}  // namespace rg::cpu
