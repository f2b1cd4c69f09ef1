// CPU row ops of decoding: see decode_ops.h and the Backend's "decoding" block.
#include "cpu/decode_ops.h"

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/threadpool.h"

namespace rg::cpu {

void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
               int rows) {
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  for (int r = 0; r < rows; ++r) std::memcpy(d + r * dst_pitch, s + r * src_pitch, row_bytes);
}

void gather_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                 const int* idx, int rows, std::vector<char>& staging) {
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  if (d != s) {
    for (int r = 0; r < rows; ++r) std::memcpy(d + r * dst_pitch, s + (size_t)idx[r] * src_pitch, row_bytes);
    return;
  }
  // In place: stage the rows that move (a source may itself be overwritten), then write.
  std::vector<int> moved;
  for (int r = 0; r < rows; ++r)
    if (idx[r] != r) moved.push_back(r);
  if (moved.empty()) return;
  if (staging.size() < moved.size() * row_bytes) staging.resize(moved.size() * row_bytes);
  char* tmp = staging.data();
  for (size_t i = 0; i < moved.size(); ++i)
    std::memcpy(tmp + i * row_bytes, s + (size_t)idx[moved[i]] * src_pitch, row_bytes);
  for (size_t i = 0; i < moved.size(); ++i)
    std::memcpy(d + (size_t)moved[i] * dst_pitch, tmp + i * row_bytes, row_bytes);
}

void check_topk(int R, int V, int k, int k_max) {
  if (R < 0 || V < 1 || k < 1 || k > V || k > k_max)
    fail("EINVAL", "topk_rows: k must be in [1, min(V, " + std::to_string(k_max) + ")] (got k " +
                       std::to_string(k) + ", V " + std::to_string(V) + ", R " + std::to_string(R) + ")");
}

void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx) {
  rg::parallel_for((size_t)R, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* row = x + r * V;
      float* bv = vals + r * k;
      int* bi = idx + r * k;
      // A sorted list of the best seen so far; ids arrive in increasing order, so a new
      // entry equal to a kept one goes after it (ties to the lower id).
      int n = 0;
      for (int v = 0; v < V; ++v) {
        const float y = row[v];
        if (n == k && !topk_before(y, v, bv[k - 1], bi[k - 1])) continue;
        int j = n < k ? n++ : k - 1;
        for (; j > 0 && topk_before(y, v, bv[j - 1], bi[j - 1]); --j) {
          bv[j] = bv[j - 1];
          bi[j] = bi[j - 1];
        }
        bv[j] = y;
        bi[j] = v;
      }
    }
  });
}

}  // namespace rg::cpu
