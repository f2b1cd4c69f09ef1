// Row ops of incremental decoding (the Backend's "decoding" block): strided row copies,
// row gathers (in place allowed), a per-row top-k and per-row sampling draws. Semantics:
// native/src/backend.h.
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

// How sample_rows draws (Backend::sample_rows has the full contract).
struct SampleParams {
  static constexpr int kMaxExcluded = 4;
  float temperature = 1.0f;  // finite, > 0
  int top_k = 0;             // >= 0; 0: no top-k cut
  float top_p = 1.0f;        // in (0, 1]; 1: no top-p cut
  int fallback = 0;          // the token of a row with no candidate, or not drawn (EOS)
  int n_excluded = 0;        // ids never drawn (pad, bos): excluded[0 .. n_excluded)
  int excluded[kMaxExcluded] = {-1, -1, -1, -1};
};
// Throws EINVAL unless R >= 0, V >= 1 and sp is valid (every id in [0, V)).
void check_sample(int R, int V, const SampleParams& sp);
// One draw per row of lp [R, V] with uniform u[r] (host memory, all of it).
void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u,
                 int* tokens, float* token_lp);

// The top-k order: whether (a, ia) comes before (b, ib). Greater first, equal values by
// lower index, NaN last (NaNs by index). A strict total order over distinct indices.
inline bool topk_before(float a, int ia, float b, int ib) {
  if (b != b) return a == a || ia < ib;
  if (a != a) return false;
  return a > b || (a == b && ia < ib);
}

}  // namespace rg::cpu
