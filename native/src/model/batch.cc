#include "model/batch.h"

#include <algorithm>

namespace rg {

Batch make_batch(const int* src, const int* src_off, const int* tgt, const int* tgt_off,
                 const int* idx, int count, int pad_id, int bos_id, int eos_id) {
  Batch b;
  b.B = count;
  for (int i = 0; i < count; ++i) {
    int p = idx[i];
    b.S = std::max(b.S, src_off[p + 1] - src_off[p]);
    b.T = std::max(b.T, tgt_off[p + 1] - tgt_off[p] + 1);
  }
  b.S = std::max(b.S, 1);
  b.src.assign((size_t)b.B * b.S, pad_id);
  b.tgt_in.assign((size_t)b.B * b.T, pad_id);
  b.labels.assign((size_t)b.B * b.T, pad_id);
  b.src_len.resize(b.B);
  b.tgt_len.resize(b.B);
  for (int i = 0; i < count; ++i) {
    int p = idx[i];
    int sl = src_off[p + 1] - src_off[p], tl = tgt_off[p + 1] - tgt_off[p];
    std::copy(src + src_off[p], src + src_off[p + 1], b.src.begin() + (size_t)i * b.S);
    int* ti = &b.tgt_in[(size_t)i * b.T];
    int* la = &b.labels[(size_t)i * b.T];
    ti[0] = bos_id;
    for (int t = 0; t < tl; ++t) {
      ti[t + 1] = tgt[tgt_off[p] + t];
      la[t] = tgt[tgt_off[p] + t];
    }
    la[tl] = eos_id;
    b.src_len[i] = sl;
    b.tgt_len[i] = tl + 1;
    b.label_tokens += tl + 1;
    b.real_tokens += sl + tl + 1;
  }
  return b;
}

}  // namespace rg
