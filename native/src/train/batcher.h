// Length-bucketed batches under a token budget. Pairs are sorted by length (ties broken
// by a seeded key), then cut greedily so that B * (S + T) <= max_tokens, where S and T
// are the padded source and decoder lengths. The batch list is fixed for a run; each
// epoch visits it in an order shuffled from (seed, epoch).
#pragma once
#include <cstdint>
#include <vector>

#include "train/data.h"

namespace rg {

std::vector<std::vector<int>> make_batches(const Pairs& p, int max_tokens, int max_sentences, uint64_t seed);
std::vector<int> epoch_order(size_t n_batches, uint64_t seed, uint64_t epoch);

}  // namespace rg
