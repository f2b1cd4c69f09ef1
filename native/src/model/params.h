// Where every parameter lives in the one contiguous buffer (docs/model.md, "Parameters
// and their order"), and typed views of one layer's tensors.
#pragma once
#include <string>
#include <vector>

#include "model/config.h"

namespace rg {

struct ParamTensor {
  std::string name;
  std::vector<int> shape;
  size_t offset = 0;  // floats
  size_t size = 0;    // floats
  bool decay = false;  // weight decay applies (Linear weights and the embedding)
  enum Init { Normal, Xavier, Zeros, Ones } init = Zeros;
  float init_scale = 0;  // std for Normal, bound for Xavier
};

struct LinearOff { size_t w, b; };
struct NormOff { size_t g, b; };

struct EncLayerOff {
  NormOff ln1, ln2;
  LinearOff in_proj, out_proj, fc1, fc2;
};
struct DecLayerOff {
  NormOff ln1, ln2, ln3;
  LinearOff in_proj, out_proj, q_proj, kv_proj, cross_out, fc1, fc2;
};

struct ParamLayout {
  std::vector<ParamTensor> tensors;
  size_t total = 0;  // floats, incl. alignment padding
  size_t embed = 0;
  std::vector<EncLayerOff> enc;
  std::vector<DecLayerOff> dec;
  NormOff enc_norm, dec_norm;

  static ParamLayout build(const ModelConfig& c);
  const ParamTensor* find(const std::string& name) const;
};

}  // namespace rg
