// One padded batch of sentence pairs, as the model consumes it (host memory).
#pragma once
#include <vector>

namespace rg {

struct Batch {
  int B = 0, S = 0, T = 0;    // sentences, padded source length, padded target length (BOS + y)
  std::vector<int> src;       // [B*S], right-padded with pad_id
  std::vector<int> tgt_in;    // [B*T] = BOS y1 .. yn, padded
  std::vector<int> labels;    // [B*T] = y1 .. yn EOS, padded with pad_id (ignored)
  std::vector<int> src_len;   // [B]
  std::vector<int> tgt_len;   // [B] = n + 1
  long label_tokens = 0;      // sum of tgt_len
  long real_tokens = 0;       // sum of src_len + tgt_len (throughput accounting)
};

// Builds a batch from flat ids + offsets for the given pair indices. Callers have
// validated ids and lengths (see train/data.h).
Batch make_batch(const int* src, const int* src_off, const int* tgt, const int* tgt_off,
                 const int* idx, int count, int pad_id, int bos_id, int eos_id);

}  // namespace rg
