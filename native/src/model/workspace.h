// Activation and scratch buffers for one batch shape (internal to model/).
#pragma once
#include <vector>

#include "model/transformer.h"

namespace rg {

// *16: bf16 copies of the activations that feed linear layers (backend.h, "bf16 copies");
// null unless the backend wants them.
struct EncActs {
  float *ln1, *ln1_m, *ln1_r, *qkv, *probs, *att, *h, *ln2, *ln2_m, *ln2_r, *f1, *fa, *out;
  void *ln1_16, *ln2_16, *fa_16;
};
struct DecActs {
  float *ln1, *ln1_m, *ln1_r, *qkv, *probs, *att, *h1, *ln2, *ln2_m, *ln2_r, *q, *kv, *cprobs,
      *catt, *h2, *ln3, *ln3_m, *ln3_r, *f1, *fa, *out;
  void *ln1_16, *ln2_16, *ln3_16, *fa_16;
};

struct Transformer::Workspace {
  int B = 0, S = 0, T = 0;  // capacity
  bool train = false;
  DeviceBuffer arena;
  DeviceBuffer ints;  // src, tgt_in, labels, src_len, tgt_len
  float *enc_in, *enc_out, *enc_m, *enc_r;  // embedding output, final-norm output + stats
  float *dec_in, *dec_out, *dec_m, *dec_r, *logits, *losses, *tlp;
  void *enc_out16, *dec_out16;
  std::vector<EncActs> enc;
  std::vector<DecActs> dec;
  // backward scratch
  float *g_res, *g_a, *g_b, *g_f, *g_qkv, *g_kv, *g_enc;
  int *src, *tgt_in, *labels, *src_len, *tgt_len;  // in this order, in `ints`
  std::vector<int> ints_host;                       // the pass's staging copy of them
};

}  // namespace rg

namespace rg {

// Key/value caches and scratch for incremental decoding of R rows (sources x beams).
struct Transformer::DecodeState {
  int B = 0, S = 0, R = 0, rows_per_src = 1, max_steps = 0;
  DeviceBuffer arena, ints, top;
  std::vector<float*> self_k, self_v;  // per layer [R, max_steps, d]
  std::vector<float*> cross_kv;        // per layer [R, S, 2d]
  float *x, *ln, *m, *r, *qkv, *att, *tmp, *q, *f1, *logits;
  int *tokens, *self_len, *src_len, *from;  // [R] each; from: gather indices (reorders)
  std::vector<int> src_len_host;     // [R]
  std::vector<float> top_host;       // decode_topk's and decode_sample's downloads
};

}  // namespace rg
