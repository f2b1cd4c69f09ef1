// A model on disk: DIR/config.json + DIR/model.safetensors (names of docs/model.md).
#pragma once
#include <memory>
#include <string>

#include "model/transformer.h"

namespace rg {

void save_model(const std::string& dir, const Transformer& m);
// Writes model.safetensors from a host copy of the parameter buffer.
void save_params(const std::string& path, const ParamLayout& layout, const float* host);
// Reads a parameter buffer, checking every tensor's presence and shape.
void load_params(const std::string& path, const ParamLayout& layout, float* host);
std::unique_ptr<Transformer> load_model(const std::string& dir, std::shared_ptr<Backend> backend);

}  // namespace rg
