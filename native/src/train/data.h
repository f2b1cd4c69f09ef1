// A tokenized parallel corpus handed over from TypeScript once, and its checks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace rg {

struct Pairs {
  std::vector<int> src, src_off, tgt, tgt_off;  // offsets have size() + 1 entries
  int size() const { return src_off.empty() ? 0 : (int)src_off.size() - 1; }
  int src_len(int i) const { return src_off[i + 1] - src_off[i]; }
  int tgt_len(int i) const { return tgt_off[i + 1] - tgt_off[i]; }
};

// Offsets start at 0, never decrease and end at the array size; ids are in
// [0, vocab); sentences hold no pad or BOS (nor EOS in targets); a source has 1 to
// max_len tokens and a target at most max_len - 1 (BOS/EOS are added). Errors are
// rg::Error(EINVAL/ERANGE) naming `what`, the pair and the position.
void validate_pairs(const Pairs& p, const ModelConfig& c, const std::string& what);
void validate_sources(const std::vector<int>& ids, const std::vector<int>& off, const ModelConfig& c,
                      const std::string& what);
// FNV-1a over lengths and ids: a resumed run must see the same data.
uint64_t fingerprint(const Pairs& p);

}  // namespace rg
