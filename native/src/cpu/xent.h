// Softmax fused with label-smoothed cross-entropy (PyTorch's label_smoothing semantics):
// loss_i = (1 - eps) * -logp[t_i] + eps * mean_v(-logp[v]).
// Rows whose target is ignore_index (or < 0) get loss 0 and gradient 0.
#pragma once

namespace rg::cpu {

// logits [N, V]. losses [N] (nullable), target_logprob [N] = logp[t_i], unsmoothed
// (nullable; 0 for ignored rows). dlogits (nullable) = grad_scale * dloss_i/dlogits;
// dlogits may alias logits (computed in place, saving an [N, V] buffer).
void xent_fwd_bwd(const float* logits, const int* targets, int N, int V, float eps,
                  int ignore_index, float grad_scale, float* losses, float* target_logprob,
                  float* dlogits);
void xent_fwd_bwd_ref(const float* logits, const int* targets, int N, int V, float eps,
                      int ignore_index, float grad_scale, float* losses, float* target_logprob,
                      float* dlogits);

// Row-wise log-softmax, in place allowed (decoding).
void log_softmax_rows(float* out, const float* logits, int N, int V);

}  // namespace rg::cpu
