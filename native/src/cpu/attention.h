// Multi-head scaled dot-product attention with padding and causal masks.
// Layout: row r of batch b of q is at q + b*q_bs + r*ldq, head h in columns [h*dh, (h+1)*dh)
// (likewise k, v, out and their gradients). This reads q/k/v straight out of fused
// projection buffers ([B*T, 3d] for self-attention) and writes into KV caches.
// Masks: key j of batch b is visible iff j < k_len[b] and, when causal,
// j <= i + (Tk - Tq) (so incremental decoding with Tq = 1 sees the whole cache).
// A query row that sees no key outputs zeros.
#pragma once

namespace rg::cpu {

struct AttnShape {
  int B, H, Tq, Tk, dh;
  long ldq, ldk, ldv, ldo;      // row strides (elements)
  long q_bs, k_bs, v_bs, o_bs;  // batch strides (elements)
  bool causal;
  float scale;  // usually 1/sqrt(dh)
};

// probs [B, H, Tq, Tk]: the softmax, saved for backward (nullable when not training).
void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, float* out, float* probs);
// OVERWRITES dq, dk, dv (same layouts and strides as q, k, v).
void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, const float* probs, const float* dout, float* dq, float* dk,
                   float* dv);

void attention_fwd_ref(const AttnShape& s, const float* q, const float* k, const float* v,
                       const int* k_len, float* out, float* probs);
void attention_bwd_ref(const AttnShape& s, const float* q, const float* k, const float* v,
                       const int* k_len, const float* probs, const float* dout, float* dq,
                       float* dk, float* dv);

}  // namespace rg::cpu
