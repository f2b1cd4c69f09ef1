// The training pass: forward, loss, backward, exactly as docs/model.md states.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/rng.h"
#include "model/pass_graphs.h"
#include "model/workspace.h"

namespace rg {
namespace {

// Dropout sites (the masks' stream ids): embeddings 1 (encoder) and 2 (decoder);
// encoder layer l: 100 + 10 l + {0 attention out, 1 activation, 2 ffn out};
// decoder layer l: 1000 + 10 l + {0 self out, 1 cross out, 2 activation, 3 ffn out}.
inline uint64_t enc_site(int l, int k) { return 100 + 10 * (uint64_t)l + k; }
inline uint64_t dec_site(int l, int k) { return 1000 + 10 * (uint64_t)l + k; }

struct Pass {
  Backend& be;
  const ModelConfig& c;
  const ParamLayout& L;
  float* P;
  float* G;
  bool train;
  uint64_t seed, step;
  const uint16_t* P16;  // bf16(P), or null
  std::vector<uint64_t>* slots = nullptr;  // while recording a graph: what each slot holds

  // The bf16 copy of the weight at offset off, or null.
  const void* w16(size_t off) const { return P16 ? P16 + off : nullptr; }

  // The stream id of a dropout site's mask; a recording notes the site (pass_graphs.h).
  uint64_t sid(uint64_t site) {
    if (slots) slots->push_back(site);
    return stream_id(step, site);
  }

  float p() const { return train ? (float)c.dropout : 0.0f; }
  void drop(float* x, size_t n, uint64_t site) {
    if (p() > 0) be.dropout_fwd(x, x, n, p(), seed, sid(site));
  }
  // out[rows, o] = in[rows, i] W^T + b; in16: in's bf16 copy or null.
  void linear(float* out, const float* in, const void* in16, int rows, LinearOff w, int o, int i) {
    be.linear_fwd(out, in, in16, P + w.w, w16(w.w), P + w.b, rows, o, i);
  }
  // h = res + drop(h); y = LN(h): the end of a residual branch and the next sublayer's norm.
  void residual_ln(float* h, const float* res, uint64_t site, float* y, void* y16, float* m,
                   float* r, NormOff n, int rows) {
    be.dropout_add_layernorm(h, res, p(), seed, sid(site), y, y16, m, r, P + n.g,
                             P + n.b, rows, c.d_model, (float)c.ln_eps);
  }
  // y = drop(act(x)), the feed-forward's hidden layer.
  void act_drop(float* y, void* y16, const float* x, size_t n, uint64_t site) {
    be.act_dropout_fwd(c.activation, y, y16, x, n, p(), seed, sid(site));
  }
  void act_drop_bwd(float* dx, const float* dy, const float* x, size_t n, uint64_t site) {
    be.act_dropout_bwd(c.activation, dx, dy, x, n, p(), seed, sid(site));
  }
  // dW += dout^T in, db += sum dout, din = dout W (+ din if accumulate); din nullable.
  void linear_bwd(float* din, bool accumulate, const float* dout, const float* in,
                  const void* in16, int rows, LinearOff w, int o, int i) {
    be.linear_bwd(G + w.w, G + w.b, din, accumulate, dout, in, in16, P + w.w, w16(w.w), rows, o, i);
  }
  void ln(float* y, void* y16, float* m, float* r, const float* x, NormOff n, int rows) {
    be.layernorm_fwd(y, m, r, x, P + n.g, P + n.b, rows, c.d_model, (float)c.ln_eps);
    if (y16) be.to_bf16(y16, y, (size_t)rows * c.d_model);
  }
  // dx += LN_bwd(dy); ddrop = drop_bwd(dx) for the dropout `site` whose branch ended in x.
  void ln_bwd_drop(float* dx, const float* dy, const float* x, const float* m, const float* r,
                   NormOff n, int rows, float* ddrop, uint64_t site) {
    be.layernorm_bwd_dropout(dx, G + n.g, G + n.b, dy, x, m, r, P + n.g, rows, c.d_model, ddrop,
                             p(), seed, sid(site));
  }
};

AttnShape self_shape(int B, int H, int T, int dh, bool causal) {
  long d = (long)H * dh;
  return AttnShape{B, H, T, T, dh, 3 * d, 3 * d, 3 * d, d, T * 3 * d, T * 3 * d, T * 3 * d, T * d,
                   causal, 1.0f / std::sqrt((float)dh)};
}
AttnShape cross_shape(int B, int H, int T, int S, int dh) {
  long d = (long)H * dh;
  return AttnShape{B, H, T, S, dh, d, 2 * d, 2 * d, d, T * d, S * 2 * d, S * 2 * d, T * d,
                   false, 1.0f / std::sqrt((float)dh)};
}

}  // namespace

// The weights' bf16 copy is refreshed (if stale) here, before pass(), which reads it as is.
LossResult Transformer::forward_backward(const Batch& b, bool train, bool backward,
                                         uint64_t dropout_seed, uint64_t step, long grad_tokens) {
  params16();
  return pass(b, train, backward, dropout_seed, step, grad_tokens, false);
}

void Transformer::encode(const Batch& b) {
  params16();
  pass(b, false, false, 0, 0, 0, true);
}

LossResult Transformer::pass(const Batch& b, bool train, bool backward, uint64_t dropout_seed,
                             uint64_t step, long grad_tokens, bool encoder_only) {
  ensure_workspace(b.B, b.S, b.T, train);
  Workspace& w = *ws_;
  Backend& be = *be_;
  const ModelConfig& c = cfg_;
  const ParamLayout& L = layout_;
  const int B = b.B, S = b.S, T = b.T, N = B * S, M = B * T;
  const int d = c.d_model, f = c.d_ff, V = c.vocab_size, H = c.n_heads, dh = c.head_dim();
  const float emb_scale = std::sqrt((float)d);
  Pass ps{be, c, L, params_.f(), grads_.f(), train, dropout_seed, step, params16_.u16()};
  float* P = ps.P;

  // The batch's ints in one upload (one host-to-device wait, not five), laid out as the
  // workspace carves them: at offsets of its capacity.
  {
    std::vector<int>& h = w.ints_host;
    const int* base = w.src;
    h.resize((size_t)(w.tgt_len - base) + B);
    std::copy(b.src.begin(), b.src.begin() + N, h.begin());
    std::copy(b.tgt_in.begin(), b.tgt_in.begin() + M, h.begin() + (w.tgt_in - base));
    std::copy(b.labels.begin(), b.labels.begin() + M, h.begin() + (w.labels - base));
    std::copy(b.src_len.begin(), b.src_len.begin() + B, h.begin() + (w.src_len - base));
    std::copy(b.tgt_len.begin(), b.tgt_len.begin() + B, h.begin() + (w.tgt_len - base));
    be.upload(w.src, h.data(), h.size() * sizeof(int));
  }
  const float gscale = grad_tokens > 0 ? 1.0f / (float)grad_tokens : 0.0f;

  // Every op of the pass, from the embeddings to the last gradient; ops only (nothing comes
  // back to the host), so a training pass can be recorded once per shape and replayed.
  auto ops = [&](std::vector<uint64_t>* slots) {
    ps.slots = slots;
    // ---- encoder ----
    const AttnShape sa = self_shape(B, H, S, dh, false);
    if (slots) slots->push_back(PassGraphs::kPos);  // embed_fwd's pos0 (0 here)
    be.embed_fwd(w.enc_in, P + L.embed, w.src, N, S, 0, d, emb_scale, pe_.f());
    ps.drop(w.enc_in, (size_t)N * d, 1);
    // Each residual add is fused with the layer norm that reads its sum: the next sublayer's,
    // the next layer's ln1, or the final norm.
    const float* x = w.enc_in;
    if (c.encoder_layers == 0) ps.ln(w.enc_out, w.enc_out16, w.enc_m, w.enc_r, x, L.enc_norm, N);
    else ps.ln(w.enc[0].ln1, w.enc[0].ln1_16, w.enc[0].ln1_m, w.enc[0].ln1_r, x, L.enc[0].ln1, N);
    for (int l = 0; l < c.encoder_layers; ++l) {
      EncActs& e = w.enc[l];
      const EncLayerOff& o = L.enc[l];
      ps.linear(e.qkv, e.ln1, e.ln1_16, N, o.in_proj, 3 * d, d);
      be.attention_fwd(sa, e.qkv, e.qkv + d, e.qkv + 2 * d, w.src_len, e.att, e.probs);
      ps.linear(e.h, e.att, nullptr, N, o.out_proj, d, d);
      ps.residual_ln(e.h, x, enc_site(l, 0), e.ln2, e.ln2_16, e.ln2_m, e.ln2_r, o.ln2, N);
      ps.linear(e.f1, e.ln2, e.ln2_16, N, o.fc1, f, d);
      ps.act_drop(e.fa, e.fa_16, e.f1, (size_t)N * f, enc_site(l, 1));
      ps.linear(e.out, e.fa, e.fa_16, N, o.fc2, d, f);
      if (l + 1 < c.encoder_layers) {
        EncActs& n = w.enc[l + 1];
        ps.residual_ln(e.out, e.h, enc_site(l, 2), n.ln1, n.ln1_16, n.ln1_m, n.ln1_r, L.enc[l + 1].ln1, N);
      } else {
        ps.residual_ln(e.out, e.h, enc_site(l, 2), w.enc_out, w.enc_out16, w.enc_m, w.enc_r, L.enc_norm, N);
      }
      x = e.out;
    }
    if (encoder_only) return;

    // ---- decoder ----
    const AttnShape ds = self_shape(B, H, T, dh, true);
    const AttnShape cs = cross_shape(B, H, T, S, dh);
    if (slots) slots->push_back(PassGraphs::kPos);
    be.embed_fwd(w.dec_in, P + L.embed, w.tgt_in, M, T, 0, d, emb_scale, pe_.f());
    ps.drop(w.dec_in, (size_t)M * d, 2);
    const float* y = w.dec_in;
    if (c.decoder_layers == 0) ps.ln(w.dec_out, w.dec_out16, w.dec_m, w.dec_r, y, L.dec_norm, M);
    else ps.ln(w.dec[0].ln1, w.dec[0].ln1_16, w.dec[0].ln1_m, w.dec[0].ln1_r, y, L.dec[0].ln1, M);
    for (int l = 0; l < c.decoder_layers; ++l) {
      DecActs& e = w.dec[l];
      const DecLayerOff& o = L.dec[l];
      ps.linear(e.qkv, e.ln1, e.ln1_16, M, o.in_proj, 3 * d, d);
      be.attention_fwd(ds, e.qkv, e.qkv + d, e.qkv + 2 * d, w.tgt_len, e.att, e.probs);
      ps.linear(e.h1, e.att, nullptr, M, o.out_proj, d, d);
      ps.residual_ln(e.h1, y, dec_site(l, 0), e.ln2, e.ln2_16, e.ln2_m, e.ln2_r, o.ln2, M);
      ps.linear(e.q, e.ln2, e.ln2_16, M, o.q_proj, d, d);
      ps.linear(e.kv, w.enc_out, w.enc_out16, N, o.kv_proj, 2 * d, d);
      be.attention_fwd(cs, e.q, e.kv, e.kv + d, w.src_len, e.catt, e.cprobs);
      ps.linear(e.h2, e.catt, nullptr, M, o.cross_out, d, d);
      ps.residual_ln(e.h2, e.h1, dec_site(l, 1), e.ln3, e.ln3_16, e.ln3_m, e.ln3_r, o.ln3, M);
      ps.linear(e.f1, e.ln3, e.ln3_16, M, o.fc1, f, d);
      ps.act_drop(e.fa, e.fa_16, e.f1, (size_t)M * f, dec_site(l, 2));
      ps.linear(e.out, e.fa, e.fa_16, M, o.fc2, d, f);
      if (l + 1 < c.decoder_layers) {
        DecActs& n = w.dec[l + 1];
        ps.residual_ln(e.out, e.h2, dec_site(l, 3), n.ln1, n.ln1_16, n.ln1_m, n.ln1_r, L.dec[l + 1].ln1, M);
      } else {
        ps.residual_ln(e.out, e.h2, dec_site(l, 3), w.dec_out, w.dec_out16, w.dec_m, w.dec_r, L.dec_norm, M);
      }
      y = e.out;
    }
    // The tied output projection (no bias).
    be.linear_fwd(w.logits, w.dec_out, w.dec_out16, P + L.embed, ps.w16(L.embed), nullptr, M, V, d);
    // log p(label) comes out of the same pass (each row is read before it is overwritten).
    if (slots) slots->push_back(PassGraphs::kGradScale);
    be.xent_fwd_bwd(w.logits, w.labels, M, V, (float)c.label_smoothing, c.pad_id, gscale, w.losses,
                    w.tlp, backward ? w.logits : nullptr);
    if (!backward) return;

    // ---- backward: logits hold dlogits ----
    float* G = ps.G;
    float *g_res = w.g_res, *g_a = w.g_a, *g_b = w.g_b, *g_f = w.g_f, *g_qkv = w.g_qkv;
    // The tied output projection: dE += dlogits^T dec_out, g_a = dlogits E (no bias).
    be.linear_bwd(G + L.embed, nullptr, g_a, false, w.logits, w.dec_out, w.dec_out16, P + L.embed,
                  ps.w16(L.embed), M, V, d);
    // Each layer norm's backward also applies the backward of the dropout that ended the
    // residual branch feeding it (the previous layer's output, or the embedding's), writing
    // the branch's gradient into g_a (g_res itself for the embedding).
    const int DL = c.decoder_layers, EL = c.encoder_layers;
    be.zero(g_res, (size_t)M * d * sizeof(float));
    ps.ln_bwd_drop(g_res, g_a, y, w.dec_m, w.dec_r, L.dec_norm, M, DL > 0 ? g_a : g_res,
                   DL > 0 ? dec_site(DL - 1, 3) : 2);
    be.zero(w.g_enc, (size_t)N * d * sizeof(float));
    for (int l = DL - 1; l >= 0; --l) {
      DecActs& e = w.dec[l];
      const DecLayerOff& o = L.dec[l];
      const float* y_in = l == 0 ? w.dec_in : w.dec[l - 1].out;
      // out = h2 + drop(fc2(drop(act(fc1(ln3(h2)))))); g_a holds drop_bwd(g_res).
      ps.linear_bwd(g_f, false, g_a, e.fa, e.fa_16, M, o.fc2, d, f);
      ps.act_drop_bwd(g_f, g_f, e.f1, (size_t)M * f, dec_site(l, 2));
      ps.linear_bwd(g_a, false, g_f, e.ln3, e.ln3_16, M, o.fc1, f, d);
      ps.ln_bwd_drop(g_res, g_a, e.h2, e.ln3_m, e.ln3_r, o.ln3, M, g_a, dec_site(l, 1));
      // h2 = h1 + drop(cross_out(cross_attn(q_proj(ln2(h1)), kv_proj(enc))))
      ps.linear_bwd(g_b, false, g_a, e.catt, nullptr, M, o.cross_out, d, d);
      be.attention_bwd(cs, e.q, e.kv, e.kv + d, w.src_len, e.catt, e.cprobs, g_b, g_a, w.g_kv, w.g_kv + d);
      ps.linear_bwd(g_b, false, g_a, e.ln2, e.ln2_16, M, o.q_proj, d, d);
      ps.linear_bwd(w.g_enc, true, w.g_kv, w.enc_out, w.enc_out16, N, o.kv_proj, 2 * d, d);
      ps.ln_bwd_drop(g_res, g_b, e.h1, e.ln2_m, e.ln2_r, o.ln2, M, g_a, dec_site(l, 0));
      // h1 = y + drop(out_proj(self_attn(in_proj(ln1(y)))))
      ps.linear_bwd(g_b, false, g_a, e.att, nullptr, M, o.out_proj, d, d);
      be.attention_bwd(ds, e.qkv, e.qkv + d, e.qkv + 2 * d, w.tgt_len, e.att, e.probs, g_b, g_qkv, g_qkv + d, g_qkv + 2 * d);
      ps.linear_bwd(g_a, false, g_qkv, e.ln1, e.ln1_16, M, o.in_proj, 3 * d, d);
      ps.ln_bwd_drop(g_res, g_a, y_in, e.ln1_m, e.ln1_r, o.ln1, M, l > 0 ? g_a : g_res,
                     l > 0 ? dec_site(l - 1, 3) : 2);
    }
    be.embed_bwd(G + L.embed, g_res, w.tgt_in, M, d, V, emb_scale);

    be.zero(g_res, (size_t)N * d * sizeof(float));
    ps.ln_bwd_drop(g_res, w.g_enc, x, w.enc_m, w.enc_r, L.enc_norm, N, EL > 0 ? g_a : g_res,
                   EL > 0 ? enc_site(EL - 1, 2) : 1);
    for (int l = EL - 1; l >= 0; --l) {
      EncActs& e = w.enc[l];
      const EncLayerOff& o = L.enc[l];
      const float* x_in = l == 0 ? w.enc_in : w.enc[l - 1].out;
      ps.linear_bwd(g_f, false, g_a, e.fa, e.fa_16, N, o.fc2, d, f);
      ps.act_drop_bwd(g_f, g_f, e.f1, (size_t)N * f, enc_site(l, 1));
      ps.linear_bwd(g_a, false, g_f, e.ln2, e.ln2_16, N, o.fc1, f, d);
      ps.ln_bwd_drop(g_res, g_a, e.h, e.ln2_m, e.ln2_r, o.ln2, N, g_a, enc_site(l, 0));
      ps.linear_bwd(g_b, false, g_a, e.att, nullptr, N, o.out_proj, d, d);
      be.attention_bwd(sa, e.qkv, e.qkv + d, e.qkv + 2 * d, w.src_len, e.att, e.probs, g_b, g_qkv, g_qkv + d, g_qkv + 2 * d);
      ps.linear_bwd(g_a, false, g_qkv, e.ln1, e.ln1_16, N, o.in_proj, 3 * d, d);
      ps.ln_bwd_drop(g_res, g_a, x_in, e.ln1_m, e.ln1_r, o.ln1, N, l > 0 ? g_a : g_res,
                     l > 0 ? enc_site(l - 1, 2) : 1);
    }
    be.embed_bwd(G + L.embed, g_res, w.src, N, d, V, emb_scale);
  };

  // Training passes go through the graph cache (CUDA); everything else runs op by op.
  const bool graphed = train && backward && !encoder_only &&
                       graphs_->run(B, S, T, dropout_seed, PassGraphs::Step{step, gscale, 0}, ops);
  if (!graphed) ops(nullptr);
  if (encoder_only) return LossResult{};
  // The losses stay untouched by the backward, so they are read once everything is issued.
  std::vector<float> losses(M);
  be.download(losses.data(), w.losses, (size_t)M * sizeof(float));
  LossResult r;
  for (int i = 0; i < M; ++i) r.loss_sum += losses[i];
  r.tokens = b.label_tokens;
  return r;
}

void Transformer::score(const Batch& b, double* per_sentence) {
  // Forward without dropout; the loss pass also leaves log p(label) per position in tlp.
  forward_backward(b, false, false, 0, 0, 0);
  Workspace& w = *ws_;
  const int M = b.B * b.T;
  std::vector<float> tlp(M);
  be_->download(tlp.data(), w.tlp, (size_t)M * sizeof(float));
  for (int i = 0; i < b.B; ++i) {
    double s = 0;
    for (int t = 0; t < b.tgt_len[i]; ++t) s += tlp[(size_t)i * b.T + t];
    per_sentence[i] = s;
  }
}

}  // namespace rg
