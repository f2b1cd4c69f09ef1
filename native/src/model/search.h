// Batched decoding over the incremental (KV-cache) step API of Transformer: greedy,
// beam search and sampling, plus batched forced decoding (scores of given pairs).
//
// Sentences are processed in batches of `batch_size`, grouped by source length (indices
// sorted by length, stably, so padding is small); results come back in the original
// order. Everything is deterministic and independent of the thread count; sampling
// draws from a counter-based uniform keyed by (seed, sentence's original index, step),
// so a sentence's sample does not depend on batch composition or batch size.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "model/config.h"
#include "model/transformer.h"

namespace rg {

struct SearchOptions {
  enum Method { Greedy, Beam, Sample } method = Greedy;
  int beam_size = 4;
  float length_penalty = 0.6f;  // GNMT alpha; 0 = raw sum of log-probabilities
  float temperature = 1.0f;     // sampling only
  int top_k = 0;                // sampling only; 0 = off
  float top_p = 1.0f;           // sampling only; 1 = off
  float max_len_a = 1.2f;       // output limit = min(floor(a * src_len + b), max_len - 1)
  int max_len_b = 10;
  uint64_t seed = 0;
  int batch_size = 64;          // sentences per decoding batch (beam: beam_size rows each)
};

struct SearchResult {
  std::vector<int> ids;          // hypotheses without BOS/EOS, concatenated
  std::vector<int> offsets;      // n + 1
  std::vector<double> logprobs;  // per sentence: sum of model log-probs incl. EOS (unnormalised)
};

// Upper bound on generated tokens before EOS is forced, for a source of `src_len` tokens.
int output_limit(const SearchOptions& opt, const ModelConfig& c, int src_len);

// GNMT length penalty ((5 + len) / 6) ^ alpha; len counts EOS.
double length_penalty(int len, double alpha);

// src/src_off: n sentences (flat ids + n+1 offsets), already validated. `cancelled` is
// polled between steps; when it returns true, throws rg::Error("ECANCELED").
SearchResult search(Transformer& model, const int* src, const int* src_off, int n, const SearchOptions& opt,
                    const std::function<bool()>& cancelled);

// Throws rg::Error("EINVAL", ...) naming the offending option.
void validate(const SearchOptions& opt, const ModelConfig& c);

// Forced decoding of n validated pairs in batches of `batch_size` grouped by length:
// per-pair sum of target log-probabilities incl. EOS, in the original order.
std::vector<double> score_pairs(Transformer& model, const int* src, const int* src_off, const int* tgt,
                                const int* tgt_off, int n, int batch_size, const std::function<bool()>& cancelled);

}  // namespace rg
