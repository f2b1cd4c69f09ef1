#include "cpu/attention.h"

namespace rg::cpu {

void attention_fwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, float* out, float* probs) {
  attention_fwd_ref(s, q, k, v, k_len, out, probs);
}
void attention_bwd(const AttnShape& s, const float* q, const float* k, const float* v,
                   const int* k_len, const float* probs, const float* dout, float* dq, float* dk,
                   float* dv) {
  attention_bwd_ref(s, q, k, v, k_len, probs, dout, dq, dk, dv);
}

}  // namespace rg::cpu
