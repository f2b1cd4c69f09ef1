// safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header
// size, a JSON header {name: {dtype, shape, data_offsets}}, then raw little-endian data.
// We write F32 tensors only; PyTorch, numpy and the HF library read them.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace rg {

struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float* data;  // size = product of shape
};

void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata);

struct LoadedTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// Reads every F32 tensor; errors name the file and the tensor (EFORMAT / EIO).
std::map<std::string, LoadedTensor> read_safetensors(const std::string& path,
                                                     std::map<std::string, std::string>* metadata = nullptr);

}  // namespace rg
