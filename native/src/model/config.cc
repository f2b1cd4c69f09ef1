#include "model/config.h"

#include <cmath>

#include "common/error.h"

namespace rg {
namespace {

int get_int(const Json& j, const char* key, int dflt, const std::string& what, bool required = false) {
  const Json* v = j.find(key);
  if (!v || v->type == Json::Null) {
    if (required) fail("EINVAL", what + ": missing field '" + key + "'");
    return dflt;
  }
  if (v->type != Json::Number || !std::isfinite(v->num) || v->num != std::floor(v->num) ||
      std::fabs(v->num) > 2e9)
    fail("EINVAL", what + ": field '" + key + "' must be an integer");
  return (int)v->num;
}

double get_float(const Json& j, const char* key, double dflt, const std::string& what) {
  const Json* v = j.find(key);
  if (!v || v->type == Json::Null) return dflt;
  if (v->type != Json::Number || !std::isfinite(v->num))
    fail("EINVAL", what + ": field '" + key + "' must be a finite number");
  return v->num;
}

}  // namespace

void ModelConfig::validate(const std::string& what) const {
  auto need = [&](bool ok, const std::string& msg) {
    if (!ok) fail("EINVAL", what + ": " + msg);
  };
  need(vocab_size >= 4 && vocab_size <= (1 << 24), "vocab_size must be in [4, 16777216]");
  need(d_model >= 2 && d_model <= 16384, "d_model must be in [2, 16384]");
  need(n_heads >= 1 && n_heads <= d_model && d_model % n_heads == 0,
       "n_heads must divide d_model (d_model " + std::to_string(d_model) + ", n_heads " +
           std::to_string(n_heads) + ")");
  need(d_model % 2 == 0, "d_model must be even (sinusoidal positions)");
  need(d_ff >= 1 && d_ff <= 65536, "d_ff must be in [1, 65536]");
  need(encoder_layers >= 1 && encoder_layers <= 64, "encoder_layers must be in [1, 64]");
  need(decoder_layers >= 1 && decoder_layers <= 64, "decoder_layers must be in [1, 64]");
  need(max_len >= 2 && max_len <= 8192, "max_len must be in [2, 8192]");
  need(dropout >= 0 && dropout < 1, "dropout must be in [0, 1)");
  need(label_smoothing >= 0 && label_smoothing < 1, "label_smoothing must be in [0, 1)");
  need(ln_eps > 0 && ln_eps < 1, "ln_eps must be in (0, 1)");
  for (auto [name, id] : {std::pair<const char*, int>{"pad_id", pad_id}, {"bos_id", bos_id}, {"eos_id", eos_id}})
    need(id >= 0 && id < vocab_size, std::string(name) + " must be a valid id in [0, vocab_size)");
  need(pad_id != bos_id && pad_id != eos_id, "pad_id must differ from bos_id and eos_id");
}

ModelConfig ModelConfig::from_json(const Json& j, const std::string& what) {
  if (j.type != Json::Object) fail("EINVAL", what + ": must be a JSON object");
  ModelConfig c;
  c.vocab_size = get_int(j, "vocab_size", 0, what, true);
  c.d_model = get_int(j, "d_model", c.d_model, what);
  c.n_heads = get_int(j, "n_heads", c.n_heads, what);
  c.d_ff = get_int(j, "d_ff", c.d_ff, what);
  c.encoder_layers = get_int(j, "encoder_layers", c.encoder_layers, what);
  c.decoder_layers = get_int(j, "decoder_layers", c.decoder_layers, what);
  c.max_len = get_int(j, "max_len", c.max_len, what);
  c.dropout = get_float(j, "dropout", c.dropout, what);
  c.label_smoothing = get_float(j, "label_smoothing", c.label_smoothing, what);
  c.ln_eps = get_float(j, "ln_eps", c.ln_eps, what);
  c.pad_id = get_int(j, "pad_id", c.pad_id, what);
  c.bos_id = get_int(j, "bos_id", c.bos_id, what);
  c.eos_id = get_int(j, "eos_id", c.eos_id, what);
  std::string act = j.string_or("activation", "relu", what);
  if (act == "relu") c.activation = cpu::Act::ReLU;
  else if (act == "gelu") c.activation = cpu::Act::GELU;
  else fail("EINVAL", what + ": activation must be 'relu' or 'gelu' (got '" + act + "')");
  c.validate(what);
  return c;
}

Json ModelConfig::to_json() const {
  Json j = Json::make_object();
  j.set("vocab_size", Json::make_number(vocab_size));
  j.set("d_model", Json::make_number(d_model));
  j.set("n_heads", Json::make_number(n_heads));
  j.set("d_ff", Json::make_number(d_ff));
  j.set("encoder_layers", Json::make_number(encoder_layers));
  j.set("decoder_layers", Json::make_number(decoder_layers));
  j.set("max_len", Json::make_number(max_len));
  j.set("dropout", Json::make_number(dropout));
  j.set("label_smoothing", Json::make_number(label_smoothing));
  j.set("activation", Json::make_string(activation == cpu::Act::GELU ? "gelu" : "relu"));
  j.set("ln_eps", Json::make_number(ln_eps));
  j.set("pad_id", Json::make_number(pad_id));
  j.set("bos_id", Json::make_number(bos_id));
  j.set("eos_id", Json::make_number(eos_id));
  return j;
}

}  // namespace rg
