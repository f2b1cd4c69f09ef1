#include "train/data.h"

#include "common/error.h"

namespace rg {
namespace {

void check_offsets(const std::vector<int>& ids, const std::vector<int>& off, const std::string& what,
                   const char* side) {
  if (off.empty() || off[0] != 0)
    fail("EINVAL", what + ": " + side + "Offsets must start with 0");
  for (size_t i = 1; i < off.size(); ++i)
    if (off[i] < off[i - 1])
      fail("EINVAL", what + ": " + side + "Offsets[" + std::to_string(i) + "] = " + std::to_string(off[i]) +
                         " is smaller than the previous offset");
  if ((size_t)off.back() != ids.size())
    fail("EINVAL", what + ": " + side + "Offsets end at " + std::to_string(off.back()) + " but " + side +
                       " holds " + std::to_string(ids.size()) + " ids");
}

void check_sentence(const int* ids, int n, int max_n, const ModelConfig& c, bool allow_eos,
                    const std::string& what, const char* side, int pair) {
  std::string where = what + ": pair " + std::to_string(pair) + " " + side;
  if (n > max_n)
    fail("ERANGE", where + " has " + std::to_string(n) + " tokens, more than the model's limit of " +
                       std::to_string(max_n) + " (max_len " + std::to_string(c.max_len) + ")");
  for (int t = 0; t < n; ++t) {
    int id = ids[t];
    if (id < 0 || id >= c.vocab_size)
      fail("ERANGE", where + "[" + std::to_string(t) + "] = " + std::to_string(id) +
                         " is outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")");
    if (id == c.pad_id || id == c.bos_id || (id == c.eos_id && !(allow_eos && t == n - 1)))
      fail("EINVAL", where + "[" + std::to_string(t) + "] = " + std::to_string(id) +
                         " is a special id (pad/bos/eos) inside a sentence");
  }
}

}  // namespace

void validate_sources(const std::vector<int>& ids, const std::vector<int>& off, const ModelConfig& c,
                      const std::string& what) {
  check_offsets(ids, off, what, "src");
  for (size_t i = 0; i + 1 < off.size(); ++i) {
    int n = off[i + 1] - off[i];
    if (n < 1) fail("EINVAL", what + ": pair " + std::to_string(i) + " src is empty");
    check_sentence(ids.data() + off[i], n, c.max_len, c, true, what, "src", (int)i);
  }
}

void validate_pairs(const Pairs& p, const ModelConfig& c, const std::string& what) {
  validate_sources(p.src, p.src_off, c, what);
  check_offsets(p.tgt, p.tgt_off, what, "tgt");
  if (p.src_off.size() != p.tgt_off.size())
    fail("EINVAL", what + ": srcOffsets and tgtOffsets describe different numbers of pairs (" +
                       std::to_string(p.src_off.size() - 1) + " vs " + std::to_string(p.tgt_off.size() - 1) + ")");
  for (int i = 0; i < p.size(); ++i)
    check_sentence(p.tgt.data() + p.tgt_off[i], p.tgt_len(i), c.max_len - 1, c, false, what, "tgt", i);
}

uint64_t fingerprint(const Pairs& p) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](int v) {
    for (int k = 0; k < 4; ++k) {
      h ^= (uint64_t)((v >> (8 * k)) & 0xFF);
      h *= 1099511628211ull;
    }
  };
  for (auto* v : {&p.src_off, &p.src, &p.tgt_off, &p.tgt}) {
    mix((int)v->size());
    for (int x : *v) mix(x);
  }
  return h;
}

}  // namespace rg
