// Row ops of incremental decoding (the Backend's "decoding" block): strided row copies,
// row gathers (in place allowed) and a per-row top-k. Semantics: native/src/backend.h.
#pragma once
#include <cstddef>
#include <vector>

namespace rg::cpu {

void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
               int rows);
// staging: holds the moved rows when in place (grow-only, reused across calls).
void gather_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes,
                 const int* idx, int rows, std::vector<char>& staging);
void topk_rows(const float* x, int R, int V, int k, float* vals, int* idx);
// Throws EINVAL unless R >= 0, V >= 1 and 1 <= k <= min(V, Backend::kTopkMax) (every
// backend checks the same, so a search takes the same path on all of them).
void check_topk(int R, int V, int k, int k_max);

// The top-k order: whether (a, ia) comes before (b, ib). Greater first, equal values by
// lower index, NaN last (NaNs by index). A strict total order over distinct indices.
inline bool topk_before(float a, int ia, float b, int ib) {
  if (b != b) return a == a || ia < ib;
  if (a != a) return false;
  return a > b || (a == b && ia < ib);
}

}  // namespace rg::cpu
