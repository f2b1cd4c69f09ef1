#include "train/batcher.h"

#include <algorithm>
#include <numeric>

#include "common/rng.h"

namespace rg {

std::vector<std::vector<int>> make_batches(const Pairs& p, int max_tokens, int max_sentences, uint64_t seed) {
  const int n = p.size();
  std::vector<uint32_t> key(n);
  CounterRng rng{seed, stream_id(0xBA7C, 1), 0};
  for (int i = 0; i < n; ++i) key[i] = rng.next_u32();
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int a, int b) {
    int sa = p.src_len(a), sb = p.src_len(b);
    if (sa != sb) return sa < sb;
    int ta = p.tgt_len(a), tb = p.tgt_len(b);
    if (ta != tb) return ta < tb;
    if (key[a] != key[b]) return key[a] < key[b];
    return a < b;
  });
  std::vector<std::vector<int>> batches;
  std::vector<int> cur;
  int S = 0, T = 0;
  for (int i : idx) {
    int s = std::max(S, std::max(1, p.src_len(i))), t = std::max(T, p.tgt_len(i) + 1);
    long cost = (long)(cur.size() + 1) * (s + t);
    if (!cur.empty() && (cost > max_tokens || (int)cur.size() >= max_sentences)) {
      batches.push_back(std::move(cur));
      cur.clear();
      s = std::max(1, p.src_len(i));
      t = p.tgt_len(i) + 1;
    }
    cur.push_back(i);
    S = s;
    T = t;
  }
  if (!cur.empty()) batches.push_back(std::move(cur));
  return batches;
}

std::vector<int> epoch_order(size_t n_batches, uint64_t seed, uint64_t epoch) {
  std::vector<int> order(n_batches);
  std::iota(order.begin(), order.end(), 0);
  CounterRng rng{seed, stream_id(0xE90C, epoch), 0};
  for (size_t i = n_batches; i > 1; --i) std::swap(order[i - 1], order[rng.below((uint32_t)i)]);
  return order;
}

}  // namespace rg
