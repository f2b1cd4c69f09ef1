// CPU row ops of decoding: see decode_ops.h and the Backend's "decoding" block.
#include "cpu/decode_ops.h"

#include <algorithm>
#include <cmath>
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

namespace {

// A sampling candidate. `better`: the best-first order of top-k and top-p, greater
// log-prob first, ties to the lower id (a strict total order: ids are unique).
struct Tok {
  float lp;
  int id;
};
inline bool better(const Tok& a, const Tok& b) { return a.lp > b.lp || (a.lp == b.lp && a.id < b.id); }
inline bool by_id(const Tok& a, const Tok& b) { return a.id < b.id; }

// One draw (Backend::sample_rows). Sums run in id order except the top-p prefix's, which
// runs best first, so the result is a function of the row alone.
int sample_one(const float* lp, int V, const SampleParams& sp, float u, std::vector<Tok>& cand) {
  cand.clear();
  for (int v = 0; v < V; ++v) {
    if (!std::isfinite(lp[v])) continue;
    bool ok = true;
    for (int j = 0; j < sp.n_excluded; ++j) ok &= v != sp.excluded[j];
    if (ok) cand.push_back({lp[v], v});
  }
  if (cand.empty()) return sp.fallback;
  // Top-k by the log-probs (temperature is monotone, so this is the same set, and top_k 1
  // picks exactly the greedy token).
  if (sp.top_k > 0 && sp.top_k < (int)cand.size()) {
    std::nth_element(cand.begin(), cand.begin() + sp.top_k, cand.end(), better);
    cand.resize(sp.top_k);
    std::sort(cand.begin(), cand.end(), by_id);
  }
  float mx = cand[0].lp;
  for (const Tok& t : cand) mx = std::max(mx, t.lp);
  const double inv_t = 1.0 / (double)sp.temperature;
  auto weight = [&](const Tok& t) { return std::exp(((double)t.lp - (double)mx) * inv_t); };
  double total = 0;
  for (const Tok& t : cand) total += weight(t);
  if (sp.top_p < 1.0f) {
    // Smallest best-first prefix whose mass reaches top_p; sort it incrementally.
    const double need = (double)sp.top_p * total;
    size_t sorted = 0, keep = cand.size();
    double cum = 0;
    for (size_t i = 0; i < cand.size(); ++i) {
      if (i == sorted) {
        size_t next = std::min(cand.size(), std::max<size_t>(64, sorted * 2));
        std::partial_sort(cand.begin() + sorted, cand.begin() + next, cand.end(), better);
        sorted = next;
      }
      cum += weight(cand[i]);
      if (cum >= need) { keep = i + 1; break; }
    }
    cand.resize(keep);
    std::sort(cand.begin(), cand.end(), by_id);
    total = 0;
    for (const Tok& t : cand) total += weight(t);
  }
  // Inverse CDF over the kept tokens in id order.
  const double target = (double)u * total;
  double cum = 0;
  for (const Tok& t : cand) {
    cum += weight(t);
    if (target < cum) return t.id;
  }
  return cand.back().id;  // rounding: u * total at the very top
}

}  // namespace

void check_sample(int R, int V, const SampleParams& sp) {
  auto bad = [&](const std::string& what) { fail("EINVAL", "sample_rows: " + what); };
  if (R < 0 || V < 1) bad("need R >= 0 and V >= 1 (got R " + std::to_string(R) + ", V " + std::to_string(V) + ")");
  if (!(sp.temperature > 0 && std::isfinite(sp.temperature)))
    bad("temperature must be a finite number > 0 (got " + std::to_string(sp.temperature) + ")");
  if (sp.top_k < 0) bad("top_k must be >= 0 (got " + std::to_string(sp.top_k) + ")");
  if (!(sp.top_p > 0 && sp.top_p <= 1)) bad("top_p must be in (0, 1] (got " + std::to_string(sp.top_p) + ")");
  if (sp.fallback < 0 || sp.fallback >= V)
    bad("fallback must be a token id in [0, V) (got " + std::to_string(sp.fallback) + ", V " + std::to_string(V) + ")");
  if (sp.n_excluded < 0 || sp.n_excluded > SampleParams::kMaxExcluded)
    bad("n_excluded must be in [0, " + std::to_string(SampleParams::kMaxExcluded) + "] (got " +
        std::to_string(sp.n_excluded) + ")");
  for (int j = 0; j < sp.n_excluded; ++j)
    if (sp.excluded[j] < 0 || sp.excluded[j] >= V)
      bad("excluded ids must lie in [0, V) (got " + std::to_string(sp.excluded[j]) + ", V " + std::to_string(V) + ")");
}

void sample_rows(const float* lp, int R, int V, const SampleParams& sp, const float* u, int* tokens,
                 float* token_lp) {
  rg::parallel_for((size_t)R, [&](size_t r0, size_t r1) {
    std::vector<Tok> cand;
    for (size_t r = r0; r < r1; ++r) {
      const float* row = lp + r * V;
      const int v = u[r] >= 0 ? sample_one(row, V, sp, u[r], cand) : sp.fallback;  // NaN: no draw
      tokens[r] = v;
      token_lp[r] = row[v];
    }
  });
}

}  // namespace rg::cpu
