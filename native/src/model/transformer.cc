#include "model/transformer.h"

#include <cmath>
#include <vector>

#include "common/error.h"
#include "common/rng.h"
#include "model/pass_graphs.h"
#include "model/workspace.h"

namespace rg {


Transformer::Transformer(const ModelConfig& cfg, std::shared_ptr<Backend> backend)
    : cfg_(cfg), layout_(ParamLayout::build(cfg)), be_(std::move(backend)) {
  cfg_.validate("model config");
  params_ = DeviceBuffer(be_.get(), layout_.total * sizeof(float));
  grads_ = DeviceBuffer(be_.get(), layout_.total * sizeof(float));
  be_->zero(params_.f(), layout_.total * sizeof(float));
  be_->zero(grads_.f(), layout_.total * sizeof(float));
  pe_ = DeviceBuffer(be_.get(), (size_t)cfg_.max_len * cfg_.d_model * sizeof(float));
  be_->sinusoidal_table(pe_.f(), cfg_.max_len, cfg_.d_model);
  // The weights' bf16 copy on the same terms as the activations' (ensure_workspace): every
  // weight row is d or d_ff long, so 16-byte aligned rows need both to be multiples of 8.
  if (be_->wants_bf16_copies() && cfg_.d_model % 8 == 0 && cfg_.d_ff % 8 == 0)
    params16_ = DeviceBuffer(be_.get(), layout_.total * sizeof(uint16_t));
  graphs_ = std::make_unique<PassGraphs>(*be_);
  decode_graphs_ = std::make_unique<PassGraphs>(*be_);
}

Transformer::~Transformer() = default;

const PassGraphStats& Transformer::graph_stats() const { return graphs_->stats(); }
const PassGraphStats& Transformer::decode_graph_stats() const { return decode_graphs_->stats(); }

size_t Transformer::num_params() const {
  size_t n = 0;
  for (auto& t : layout_.tensors) n += t.size;
  return n;
}

void Transformer::init_params(uint64_t seed) {
  std::vector<float> host(layout_.total, 0.0f);
  for (size_t ti = 0; ti < layout_.tensors.size(); ++ti) {
    const ParamTensor& t = layout_.tensors[ti];
    CounterRng rng{seed, stream_id(0x1A17, ti), 0};  // one stream per tensor: layout changes stay local
    float* p = host.data() + t.offset;
    for (size_t i = 0; i < t.size; ++i) {
      switch (t.init) {
        case ParamTensor::Normal: p[i] = rng.normal() * t.init_scale; break;
        case ParamTensor::Xavier: p[i] = (2.0f * rng.uniform() - 1.0f) * t.init_scale; break;
        case ParamTensor::Ones: p[i] = 1.0f; break;
        case ParamTensor::Zeros: p[i] = 0.0f; break;
      }
    }
  }
  set_params(host.data());
}

void Transformer::get_params(float* host) const {
  be_->download(host, params_.f(), layout_.total * sizeof(float));
}
void Transformer::set_params(const float* host) {
  be_->upload(params_.f(), host, layout_.total * sizeof(float));
  params16_stale_ = true;
}

const uint16_t* Transformer::params16() {
  if (!params16_.u16()) return nullptr;
  if (params16_stale_) be_->to_bf16(params16_.u16(), params_.f(), layout_.total);
  params16_stale_ = false;
  return params16_.u16();
}
void Transformer::get_grads(float* host) const {
  be_->download(host, grads_.f(), layout_.total * sizeof(float));
}
void Transformer::zero_grads() { be_->zero(grads_.f(), layout_.total * sizeof(float)); }

void Transformer::ensure_workspace(int B, int S, int T, bool train) {
  if (ws_ && B <= ws_->B && S <= ws_->S && T <= ws_->T && (ws_->train || !train)) return;
  if (ws_) {  // grow to cover both old and new shapes, so alternating shapes settle
    B = std::max(B, ws_->B);
    S = std::max(S, ws_->S);
    T = std::max(T, ws_->T);
    train = train || ws_->train;
  }
  graphs_->clear();  // recordings refer to the old workspace's addresses
  ws_.reset();
  auto w = std::make_unique<Workspace>();
  w->B = B; w->S = S; w->T = T; w->train = train;
  const size_t d = cfg_.d_model, f = cfg_.d_ff, V = cfg_.vocab_size, H = cfg_.n_heads;
  const size_t N = (size_t)B * S, M = (size_t)B * T;
  const size_t pe = be_->attention_saved_floats(B, H, S, S);
  const size_t pd = be_->attention_saved_floats(B, H, T, T);
  const size_t pc = be_->attention_saved_floats(B, H, T, S);
  // Two passes: count, then carve (every piece 64-byte aligned).
  size_t used = 0;
  float* base = nullptr;
  auto take = [&](size_t n) {
    float* p = base ? base + used : nullptr;
    used += (n + 15) / 16 * 16;
    return p;
  };
  // bf16 copies only where the backend rounds GEMM operands to bf16, and only when rows of
  // d and d_ff values stay 16-byte aligned (the GEMM reads them in 8-element vectors).
  const bool copies = be_->wants_bf16_copies() && d % 8 == 0 && f % 8 == 0;
  auto take16 = [&](size_t n) -> void* { return copies ? static_cast<void*>(take((n + 1) / 2)) : nullptr; };
  auto carve = [&] {
    used = 0;
    w->enc_in = take(N * d);
    w->enc.assign(cfg_.encoder_layers, EncActs{});
    for (auto& e : w->enc) {
      e.ln1 = take(N * d); e.ln1_m = take(N); e.ln1_r = take(N);
      e.qkv = take(N * 3 * d); e.probs = take(pe); e.att = take(N * d); e.h = take(N * d);
      e.ln2 = take(N * d); e.ln2_m = take(N); e.ln2_r = take(N);
      e.f1 = take(N * f); e.fa = take(N * f); e.out = take(N * d);
      e.ln1_16 = take16(N * d); e.ln2_16 = take16(N * d); e.fa_16 = take16(N * f);
    }
    w->enc_out = take(N * d); w->enc_m = take(N); w->enc_r = take(N);
    w->enc_out16 = take16(N * d);
    w->dec_in = take(M * d);
    w->dec.assign(cfg_.decoder_layers, DecActs{});
    for (auto& e : w->dec) {
      e.ln1 = take(M * d); e.ln1_m = take(M); e.ln1_r = take(M);
      e.qkv = take(M * 3 * d); e.probs = take(pd); e.att = take(M * d); e.h1 = take(M * d);
      e.ln2 = take(M * d); e.ln2_m = take(M); e.ln2_r = take(M);
      e.q = take(M * d); e.kv = take(N * 2 * d); e.cprobs = take(pc); e.catt = take(M * d);
      e.h2 = take(M * d);
      e.ln3 = take(M * d); e.ln3_m = take(M); e.ln3_r = take(M);
      e.f1 = take(M * f); e.fa = take(M * f); e.out = take(M * d);
      e.ln1_16 = take16(M * d); e.ln2_16 = take16(M * d); e.ln3_16 = take16(M * d);
      e.fa_16 = take16(M * f);
    }
    w->dec_out = take(M * d); w->dec_m = take(M); w->dec_r = take(M);
    w->dec_out16 = take16(M * d);
    w->logits = take(M * V); w->losses = take(M); w->tlp = take(M);
    size_t R = std::max(N, M);
    w->g_res = take(R * d); w->g_a = take(R * d); w->g_b = take(R * d);
    w->g_f = take(R * f); w->g_qkv = take(R * 3 * d); w->g_kv = take(N * 2 * d); w->g_enc = take(N * d);
  };
  carve();
  w->arena = DeviceBuffer(be_.get(), used * sizeof(float));
  base = w->arena.f();
  carve();
  w->ints = DeviceBuffer(be_.get(), (N + 2 * M + 2 * (size_t)B + 16) * sizeof(int));
  int* ip = w->ints.i();
  w->src = ip; ip += N;
  w->tgt_in = ip; ip += M;
  w->labels = ip; ip += M;
  w->src_len = ip; ip += B;
  w->tgt_len = ip;
  ws_ = std::move(w);
}

}  // namespace rg
