// The model configuration (docs/model.md), read from and written to config.json.
#pragma once
#include <string>

#include "common/json.h"
#include "cpu/activation.h"

namespace rg {

struct ModelConfig {
  int vocab_size = 0;
  int d_model = 256;
  int n_heads = 4;
  int d_ff = 1024;
  int encoder_layers = 3;
  int decoder_layers = 3;
  int max_len = 256;
  double dropout = 0.1;
  double label_smoothing = 0.1;
  cpu::Act activation = cpu::Act::ReLU;
  double ln_eps = 1e-5;
  int pad_id = 0, bos_id = 1, eos_id = 2;

  int head_dim() const { return d_model / n_heads; }
  // Throws rg::Error(EINVAL) naming the field and the rule it breaks.
  void validate(const std::string& what) const;
  static ModelConfig from_json(const Json& j, const std::string& what);
  Json to_json() const;
};

}  // namespace rg
