// Incremental decoding with key/value caches: the encoder runs once per batch, each
// step feeds one token per row and returns log-probabilities for the next.
#include <cmath>
#include <vector>

#include "common/error.h"
#include "model/workspace.h"

namespace rg {

Transformer::~Transformer() = default;

void Transformer::decode_begin(const int* src, const int* src_len, int B, int S, int rows_per_src,
                               int max_steps) {
  const ModelConfig& c = cfg_;
  if (max_steps < 1 || max_steps > c.max_len) fail("EINVAL", "decode: max_steps out of range");
  const int d = c.d_model, f = c.d_ff, V = c.vocab_size, Ld = c.decoder_layers;
  const int R = B * rows_per_src;
  // The encoder output stays in the workspace; the one-token target only sizes it.
  Batch b;
  b.B = B; b.S = S; b.T = 1;
  b.src.assign(src, src + (size_t)B * S);
  b.tgt_in.assign(B, c.bos_id);
  b.labels.assign(B, c.eos_id);
  b.src_len.assign(src_len, src_len + B);
  b.tgt_len.assign(B, 1);
  b.label_tokens = B;
  encode(b);
  Workspace& w = *ws_;

  ds_.reset();
  auto st = std::make_unique<DecodeState>();
  DecodeState& s = *st;
  s.B = B; s.S = S; s.R = R; s.rows_per_src = rows_per_src; s.max_steps = max_steps;
  size_t per_layer = 2 * (size_t)R * max_steps * d + (size_t)R * S * 2 * d;
  size_t scratch = (size_t)R * (d * 8 + 2 + 3 * d + f + V) + 64 * 12;
  s.arena = DeviceBuffer(be_.get(), (per_layer * Ld + scratch) * sizeof(float));
  float* p = s.arena.f();
  auto take = [&](size_t n) { float* q = p; p += (n + 15) / 16 * 16; return q; };
  for (int l = 0; l < Ld; ++l) {
    s.self_k.push_back(take((size_t)R * max_steps * d));
    s.self_v.push_back(take((size_t)R * max_steps * d));
    s.cross_kv.push_back(take((size_t)R * S * 2 * d));
  }
  s.x = take((size_t)R * d); s.ln = take((size_t)R * d); s.m = take(R); s.r = take(R);
  s.qkv = take((size_t)R * 3 * d); s.att = take((size_t)R * d); s.tmp = take((size_t)R * d);
  s.q = take((size_t)R * d); s.f1 = take((size_t)R * f); s.logits = take((size_t)R * V);
  s.ints = DeviceBuffer(be_.get(), (size_t)3 * R * sizeof(int) + 64);
  s.tokens = s.ints.i(); s.self_len = s.tokens + R; s.src_len = s.self_len + R;
  s.src_len_host.resize(R);
  for (int r = 0; r < R; ++r) s.src_len_host[r] = src_len[r / rows_per_src];
  be_->upload(s.src_len, s.src_len_host.data(), (size_t)R * sizeof(int));
  // Cross-attention keys/values, computed once per source and copied to its rows.
  const float* P = params_.f();
  for (int l = 0; l < Ld; ++l) {
    const DecLayerOff& o = layout_.dec[l];
    float* kv = w.dec[0].kv;  // scratch [B*S, 2d] from the dummy pass, reused per layer
    be_->gemm(false, true, B * S, 2 * d, d, 1.0f, w.enc_out, d, P + o.kv_proj.w, d, 0.0f, kv, 2 * d);
    be_->bias_add(kv, P + o.kv_proj.b, B * S, 2 * d);
    for (int r = 0; r < R; ++r)
      be_->copy(s.cross_kv[l] + (size_t)r * S * 2 * d, kv + (size_t)(r / rows_per_src) * S * 2 * d,
                (size_t)S * 2 * d * sizeof(float));
  }
  ds_ = std::move(st);
  dec_rows_ = R;
}

void Transformer::decode_step(const int* tokens, int pos, float* logprobs_host) {
  if (!ds_) fail("EINTERNAL", "decode_step before decode_begin");
  DecodeState& s = *ds_;
  if (pos < 0 || pos >= s.max_steps) fail("EINVAL", "decode: position beyond max_steps");
  Backend& be = *be_;
  const ModelConfig& c = cfg_;
  const int d = c.d_model, f = c.d_ff, V = c.vocab_size, H = c.n_heads, dh = c.head_dim();
  const int R = s.R;
  const float* P = params_.f();
  const float eps = (float)c.ln_eps, scale = 1.0f / std::sqrt((float)dh);
  auto linear = [&](float* out, const float* in, LinearOff w, int o, int i) {
    be.gemm(false, true, R, o, i, 1.0f, in, i, P + w.w, i, 0.0f, out, o);
    be.bias_add(out, P + w.b, R, o);
  };
  auto ln = [&](const float* x, NormOff n) {
    be.layernorm_fwd(s.ln, s.m, s.r, x, P + n.g, P + n.b, R, d, eps);
  };
  be.upload(s.tokens, tokens, (size_t)R * sizeof(int));
  std::vector<int> len(R, pos + 1);
  be.upload(s.self_len, len.data(), (size_t)R * sizeof(int));
  be.embed_fwd(s.x, P + layout_.embed, s.tokens, R, 1, pos, d, std::sqrt((float)d), pe_.f());
  const long T = s.max_steps;
  for (int l = 0; l < c.decoder_layers; ++l) {
    const DecLayerOff& o = layout_.dec[l];
    ln(s.x, o.ln1);
    linear(s.qkv, s.ln, o.in_proj, 3 * d, d);
    for (int r = 0; r < R; ++r) {
      be.copy(s.self_k[l] + ((size_t)r * T + pos) * d, s.qkv + (size_t)r * 3 * d + d, d * sizeof(float));
      be.copy(s.self_v[l] + ((size_t)r * T + pos) * d, s.qkv + (size_t)r * 3 * d + 2 * d, d * sizeof(float));
    }
    AttnShape sa{R, H, 1, pos + 1, dh, 3L * d, d, d, d, 3L * d, T * d, T * d, d, false, scale};
    be.attention_fwd(sa, s.qkv, s.self_k[l], s.self_v[l], s.self_len, s.att, nullptr);
    linear(s.tmp, s.att, o.out_proj, d, d);
    be.add_inplace(s.x, s.tmp, (size_t)R * d);
    ln(s.x, o.ln2);
    linear(s.q, s.ln, o.q_proj, d, d);
    AttnShape cs{R, H, 1, s.S, dh, d, 2L * d, 2L * d, d, d, (long)s.S * 2 * d, (long)s.S * 2 * d, d, false, scale};
    be.attention_fwd(cs, s.q, s.cross_kv[l], s.cross_kv[l] + d, s.src_len, s.att, nullptr);
    linear(s.tmp, s.att, o.cross_out, d, d);
    be.add_inplace(s.x, s.tmp, (size_t)R * d);
    ln(s.x, o.ln3);
    linear(s.f1, s.ln, o.fc1, f, d);
    be.act_fwd(c.activation, s.f1, s.f1, (size_t)R * f);
    linear(s.tmp, s.f1, o.fc2, d, f);
    be.add_inplace(s.x, s.tmp, (size_t)R * d);
  }
  ln(s.x, layout_.dec_norm);
  be.gemm(false, true, R, V, d, 1.0f, s.ln, d, P + layout_.embed, d, 0.0f, s.logits, V);
  be.log_softmax_rows(s.logits, s.logits, R, V);
  be.download(logprobs_host, s.logits, (size_t)R * V * sizeof(float));
}

void Transformer::decode_reorder(const int* from, int pos) {
  if (!ds_) fail("EINTERNAL", "decode_reorder before decode_begin");
  DecodeState& s = *ds_;
  const int d = cfg_.d_model, R = s.R;
  const size_t T = s.max_steps, row = T * d, used = (size_t)(pos + 1) * d;
  // Only rows that take another row's history move, and only positions 0..pos matter:
  // stage their sources first (a source may itself be overwritten), then write back.
  std::vector<int> moved;
  for (int r = 0; r < R; ++r)
    if (from[r] != r) moved.push_back(r);
  if (moved.empty()) return;
  if (s.tmp_cache.bytes() < moved.size() * used * sizeof(float))
    s.tmp_cache = DeviceBuffer(be_.get(), (size_t)R * row * sizeof(float));
  for (int l = 0; l < cfg_.decoder_layers; ++l)
    for (float* cache : {s.self_k[l], s.self_v[l]}) {
      for (size_t i = 0; i < moved.size(); ++i)
        be_->copy(s.tmp_cache.f() + i * used, cache + (size_t)from[moved[i]] * row, used * sizeof(float));
      for (size_t i = 0; i < moved.size(); ++i)
        be_->copy(cache + (size_t)moved[i] * row, s.tmp_cache.f() + i * used, used * sizeof(float));
    }
}

}  // namespace rg
