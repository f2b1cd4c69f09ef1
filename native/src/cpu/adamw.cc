// AdamW over blocks of elements in parallel (element-wise, so bitwise equal to the reference),
// global-norm pieces with fixed chunking.
#include <vector>

#include "cpu/adamw.h"
#include "cpu/parallel_util.h"

namespace rg::cpu {

void adamw_update(float* p, const float* g, float* m, float* v, size_t n, const AdamWHyper& h,
                  float weight_decay) {
  parallel_blocks(n, 16384, [&](size_t b, size_t e) {
    adamw_update_ref(p + b, g + b, m + b, v + b, e - b, h, weight_decay);
  });
}

// Fixed chunks of kChunk elements, each summed in double (4 lanes), partials added in order.
double sum_squares(const float* x, size_t n) {
  constexpr size_t kChunk = 16384;
  const size_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 0) return 0.0;
  std::vector<double> part(chunks);
  rg::parallel_chunks(chunks, [&](size_t c) {
    const size_t b = c * kChunk, e = std::min(n, b + kChunk);
    double s[4] = {0, 0, 0, 0};
    size_t i = b;
    for (; i + 4 <= e; i += 4)
      for (int l = 0; l < 4; ++l) s[l] += (double)x[i + l] * x[i + l];
    for (; i < e; ++i) s[0] += (double)x[i] * x[i];
    part[c] = (s[0] + s[1]) + (s[2] + s[3]);
  });
  double t = 0;
  for (double v : part) t += v;
  return t;
}

void scale_inplace(float* x, size_t n, float s) {
  parallel_blocks(n, 16384, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) x[i] *= s;
  });
}

}  // namespace rg::cpu
