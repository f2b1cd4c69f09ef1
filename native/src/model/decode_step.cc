// Incremental decoding with key/value caches: the encoder runs once per batch, each
// step feeds one token per row and leaves log-probabilities for the next on the backend,
// read as a per-row top-k (greedy, beam), as one sampled token per row (sampling), or in
// full. Cache writes and beam reorders are one backend call per layer and cache, not one
// per row.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "common/error.h"
#include "model/pass_graphs.h"
#include "model/workspace.h"

namespace rg {

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

  decode_graphs_->clear();  // recordings refer to the old state's buffers
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
  s.ints = DeviceBuffer(be_.get(), (size_t)4 * R * sizeof(int) + 64);
  // tokens and self_len adjacent: decode_step uploads both at once.
  s.tokens = s.ints.i(); s.self_len = s.tokens + R; s.src_len = s.self_len + R; s.from = s.src_len + R;
  s.top = DeviceBuffer(be_.get(), (size_t)R * (2 * Backend::kTopkMax + 1) * sizeof(float));
  s.src_len_host.resize(R);
  for (int r = 0; r < R; ++r) s.src_len_host[r] = src_len[r / rows_per_src];
  be_->upload(s.src_len, s.src_len_host.data(), (size_t)R * sizeof(int));
  // Cross-attention keys/values, computed once per source and gathered to its rows.
  std::vector<int> src_of(R);
  for (int r = 0; r < R; ++r) src_of[r] = r / rows_per_src;
  be_->upload(s.from, src_of.data(), (size_t)R * sizeof(int));
  const float* P = params_.f();
  const uint16_t* P16 = params16();  // fresh: encode() refreshed it
  auto w16 = [&](size_t off) -> const void* { return P16 ? P16 + off : nullptr; };
  const size_t kv_row = (size_t)S * 2 * d * sizeof(float);
  for (int l = 0; l < Ld; ++l) {
    const DecLayerOff& o = layout_.dec[l];
    float* kv = w.dec[0].kv;  // scratch [B*S, 2d] from the dummy pass, reused per layer
    be_->linear_fwd(kv, w.enc_out, w.enc_out16, P + o.kv_proj.w, w16(o.kv_proj.w), P + o.kv_proj.b,
                    B * S, 2 * d, d);
    be_->gather_rows(s.cross_kv[l], kv_row, kv, kv_row, kv_row, s.from, R);
  }
  ds_ = std::move(st);
  dec_rows_ = R;
}

void Transformer::decode_step(const int* tokens, int pos) {
  if (!ds_) fail("EINTERNAL", "decode_step before decode_begin");
  DecodeState& s = *ds_;
  if (pos < 0 || pos >= s.max_steps) fail("EINVAL", "decode: position beyond max_steps");
  Backend& be = *be_;
  const ModelConfig& c = cfg_;
  const int d = c.d_model, f = c.d_ff, V = c.vocab_size, H = c.n_heads, dh = c.head_dim();
  const int R = s.R;
  const float* P = params_.f();
  const uint16_t* P16 = params16();  // refreshed if the weights changed since decode_begin
  auto w16 = [&](size_t off) -> const void* { return P16 ? P16 + off : nullptr; };
  const float eps = (float)c.ln_eps, scale = 1.0f / std::sqrt((float)dh);
  auto linear = [&](float* out, const float* in, LinearOff w, int o, int i) {
    be.linear_fwd(out, in, nullptr, P + w.w, w16(w.w), P + w.b, R, o, i);
  };
  // The tokens and the self-attention lengths (pos + 1) sit side by side: one upload.
  std::vector<int> up(2 * (size_t)R, pos + 1);
  std::copy(tokens, tokens + R, up.begin());
  be.upload(s.tokens, up.data(), up.size() * sizeof(int));
  const long T = s.max_steps;
  const NormOff first = c.decoder_layers > 0 ? layout_.dec[0].ln1 : layout_.dec_norm;

  // Every op of the step; only the position changes between steps (the tokens and lengths
  // are uploaded above, the self-attention spans the whole cache and masks by length), so
  // a backend that records (CUDA graphs) replays one recording for every position.
  auto ops = [&](std::vector<uint64_t>* slots) {
    // The residual stream lives in x; a sublayer's output goes to t. Each residual add is
    // fused with the next layer norm: t = t + x (no dropout when decoding), then the two
    // buffers swap roles so x holds the sum.
    float* x = s.x;
    float* t = s.tmp;
    auto residual_ln = [&](NormOff n) {
      if (slots) slots->push_back(PassGraphs::kZero);  // the (unused) dropout stream id
      be.dropout_add_layernorm(t, x, 0.0f, 0, 0, s.ln, nullptr, s.m, s.r, P + n.g, P + n.b, R, d, eps);
      std::swap(x, t);
    };
    if (slots) slots->push_back(PassGraphs::kPos);
    be.embed_fwd(x, P + layout_.embed, s.tokens, R, 1, pos, d, std::sqrt((float)d), pe_.f());
    be.layernorm_fwd(s.ln, s.m, s.r, x, P + first.g, P + first.b, R, d, eps);
    for (int l = 0; l < c.decoder_layers; ++l) {
      const DecLayerOff& o = layout_.dec[l];
      linear(s.qkv, s.ln, o.in_proj, 3 * d, d);
      // This position's keys and values into the caches: row r's at [r, pos, :].
      const size_t cache_pitch = (size_t)T * d * sizeof(float), qkv_pitch = (size_t)3 * d * sizeof(float);
      const size_t step_bytes = (size_t)d * sizeof(float);
      if (slots) slots->push_back(PassGraphs::kPos);
      be.append_rows(s.self_k[l], cache_pitch, step_bytes, pos, s.qkv + d, qkv_pitch, step_bytes, R);
      if (slots) slots->push_back(PassGraphs::kPos);
      be.append_rows(s.self_v[l], cache_pitch, step_bytes, pos, s.qkv + 2 * d, qkv_pitch, step_bytes, R);
      // Keys beyond pos are masked by self_len (pos + 1): the same keys, in the same order,
      // as a Tk of pos + 1, whatever the position.
      AttnShape sa{R, H, 1, (int)T, dh, 3L * d, d, d, d, 3L * d, T * d, T * d, d, false, scale};
      be.attention_fwd(sa, s.qkv, s.self_k[l], s.self_v[l], s.self_len, s.att, nullptr);
      linear(t, s.att, o.out_proj, d, d);
      residual_ln(o.ln2);
      linear(s.q, s.ln, o.q_proj, d, d);
      AttnShape cs{R, H, 1, s.S, dh, d, 2L * d, 2L * d, d, d, (long)s.S * 2 * d, (long)s.S * 2 * d, d, false, scale};
      be.attention_fwd(cs, s.q, s.cross_kv[l], s.cross_kv[l] + d, s.src_len, s.att, nullptr);
      linear(t, s.att, o.cross_out, d, d);
      residual_ln(o.ln3);
      linear(s.f1, s.ln, o.fc1, f, d);
      be.act_fwd(c.activation, s.f1, s.f1, (size_t)R * f);
      linear(t, s.f1, o.fc2, d, f);
      residual_ln(l + 1 < c.decoder_layers ? layout_.dec[l + 1].ln1 : layout_.dec_norm);
    }
    be.linear_fwd(s.logits, s.ln, nullptr, P + layout_.embed, w16(layout_.embed), nullptr, R, V, d);
    be.log_softmax_rows(s.logits, s.logits, R, V);
  };
  if (!decode_graphs_->run(R, s.S, (int)T, 0, PassGraphs::Step{0, 0.0f, pos}, ops)) ops(nullptr);
}

void Transformer::decode_logprobs(float* host, int row0, int rows) {
  if (!ds_) fail("EINTERNAL", "decode_logprobs before decode_begin");
  const DecodeState& s = *ds_;
  if (row0 < 0 || rows < 0 || row0 + rows > s.R) fail("EINTERNAL", "decode_logprobs: rows out of range");
  const size_t V = cfg_.vocab_size;
  be_->download(host, s.logits + (size_t)row0 * V, (size_t)rows * V * sizeof(float));
}

void Transformer::decode_topk(int k, int tok, float* vals, int* ids, float* tok_lp) {
  if (!ds_) fail("EINTERNAL", "decode_topk before decode_begin");
  DecodeState& s = *ds_;
  const int R = s.R, V = cfg_.vocab_size;
  if (tok < 0 || tok >= V) fail("EINTERNAL", "decode_topk: token out of range");
  // One buffer [vals R*k | ids R*k | tok_lp R], so one download (one sync) per step.
  float* dv = s.top.f();
  int* di = reinterpret_cast<int*>(dv + (size_t)R * k);
  float* dt = dv + (size_t)2 * R * k;
  be_->topk_rows(s.logits, R, V, k, dv, di);
  be_->copy_rows(dt, sizeof(float), s.logits + tok, (size_t)V * sizeof(float), sizeof(float), R);
  s.top_host.resize((size_t)R * (2 * k + 1));
  be_->download(s.top_host.data(), dv, s.top_host.size() * sizeof(float));
  std::memcpy(vals, s.top_host.data(), (size_t)R * k * sizeof(float));
  std::memcpy(ids, s.top_host.data() + (size_t)R * k, (size_t)R * k * sizeof(int));
  std::memcpy(tok_lp, s.top_host.data() + (size_t)2 * R * k, (size_t)R * sizeof(float));
}

void Transformer::decode_sample(const Backend::SampleParams& sp, const float* u, int* tokens, float* tok_lp) {
  if (!ds_) fail("EINTERNAL", "decode_sample before decode_begin");
  DecodeState& s = *ds_;
  const int R = s.R, V = cfg_.vocab_size;
  // In the top-k buffer: [tokens R | tok_lp R | u R]; the first 2R come back in one download.
  int* dt = reinterpret_cast<int*>(s.top.f());
  float* dl = s.top.f() + R;
  float* du = s.top.f() + 2 * (size_t)R;
  be_->upload(du, u, (size_t)R * sizeof(float));
  be_->sample_rows(s.logits, R, V, sp, du, dt, dl);
  s.top_host.resize((size_t)2 * R);
  be_->download(s.top_host.data(), s.top.f(), s.top_host.size() * sizeof(float));
  std::memcpy(tokens, s.top_host.data(), (size_t)R * sizeof(int));
  std::memcpy(tok_lp, s.top_host.data() + R, (size_t)R * sizeof(float));
}

void Transformer::decode_reorder(const int* from, int pos) {
  if (!ds_) fail("EINTERNAL", "decode_reorder before decode_begin");
  DecodeState& s = *ds_;
  const int d = cfg_.d_model, R = s.R;
  if (pos < 0 || pos >= s.max_steps) fail("EINTERNAL", "decode_reorder: position beyond max_steps");
  bool moved = false;
  for (int r = 0; r < R; ++r) {
    if (from[r] < 0 || from[r] >= R) fail("EINTERNAL", "decode_reorder: row out of range");
    moved |= from[r] != r;
  }
  if (!moved) return;
  // Only positions 0..pos matter; the gather is in place (rows that keep their own
  // history are left alone).
  be_->upload(s.from, from, (size_t)R * sizeof(int));
  const size_t pitch = (size_t)s.max_steps * d * sizeof(float), used = (size_t)(pos + 1) * d * sizeof(float);
  for (int l = 0; l < cfg_.decoder_layers; ++l)
    for (float* cache : {s.self_k[l], s.self_v[l]}) be_->gather_rows(cache, pitch, cache, pitch, used, s.from, R);
}

}  // namespace rg
