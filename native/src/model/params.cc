#include "model/params.h"

#include <cmath>

namespace rg {
namespace {

struct Builder {
  ParamLayout& L;
  size_t add(const std::string& name, std::vector<int> shape, bool decay, ParamTensor::Init init,
             float scale) {
    size_t n = 1;
    for (int s : shape) n *= (size_t)s;
    ParamTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.offset = L.total;
    t.size = n;
    t.decay = decay;
    t.init = init;
    t.init_scale = scale;
    L.tensors.push_back(t);
    L.total += (n + 15) / 16 * 16;  // next tensor starts on 64 bytes
    return t.offset;
  }
  NormOff norm(const std::string& p, int d) {
    NormOff o;
    o.g = add(p + ".weight", {d}, false, ParamTensor::Ones, 0);
    o.b = add(p + ".bias", {d}, false, ParamTensor::Zeros, 0);
    return o;
  }
  // fused = number of [d_out/fused, d_in] blocks (Xavier bound per block).
  LinearOff linear(const std::string& p, int out, int in, int fused = 1) {
    LinearOff o;
    float bound = std::sqrt(6.0f / (float)(in + out / fused));
    o.w = add(p + ".weight", {out, in}, true, ParamTensor::Xavier, bound);
    o.b = add(p + ".bias", {out}, false, ParamTensor::Zeros, 0);
    return o;
  }
};

}  // namespace

ParamLayout ParamLayout::build(const ModelConfig& c) {
  ParamLayout L;
  Builder b{L};
  const int d = c.d_model, f = c.d_ff;
  L.embed = b.add("embed.weight", {c.vocab_size, d}, true, ParamTensor::Normal, 1.0f / std::sqrt((float)d));
  for (int i = 0; i < c.encoder_layers; ++i) {
    std::string p = "encoder.layers." + std::to_string(i) + ".";
    EncLayerOff e;
    e.ln1 = b.norm(p + "ln1", d);
    e.in_proj = b.linear(p + "self_attn.in_proj", 3 * d, d, 3);
    e.out_proj = b.linear(p + "self_attn.out_proj", d, d);
    e.ln2 = b.norm(p + "ln2", d);
    e.fc1 = b.linear(p + "ffn.fc1", f, d);
    e.fc2 = b.linear(p + "ffn.fc2", d, f);
    L.enc.push_back(e);
  }
  L.enc_norm = b.norm("encoder.norm", d);
  for (int i = 0; i < c.decoder_layers; ++i) {
    std::string p = "decoder.layers." + std::to_string(i) + ".";
    DecLayerOff e;
    e.ln1 = b.norm(p + "ln1", d);
    e.in_proj = b.linear(p + "self_attn.in_proj", 3 * d, d, 3);
    e.out_proj = b.linear(p + "self_attn.out_proj", d, d);
    e.ln2 = b.norm(p + "ln2", d);
    e.q_proj = b.linear(p + "cross_attn.q_proj", d, d);
    e.kv_proj = b.linear(p + "cross_attn.kv_proj", 2 * d, d, 2);
    e.cross_out = b.linear(p + "cross_attn.out_proj", d, d);
    e.ln3 = b.norm(p + "ln3", d);
    e.fc1 = b.linear(p + "ffn.fc1", f, d);
    e.fc2 = b.linear(p + "ffn.fc2", d, f);
    L.dec.push_back(e);
  }
  L.dec_norm = b.norm("decoder.norm", d);
  return L;
}

const ParamTensor* ParamLayout::find(const std::string& name) const {
  for (auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace rg
