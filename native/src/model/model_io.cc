#include "model/model_io.h"

#include <vector>

#include "common/error.h"
#include "common/fileio.h"
#include "model/safetensors.h"

namespace rg {

void save_params(const std::string& path, const ParamLayout& layout, const float* host) {
  std::vector<TensorView> views;
  for (auto& t : layout.tensors) {
    TensorView v;
    v.name = t.name;
    for (int s : t.shape) v.shape.push_back(s);
    v.data = host + t.offset;
    views.push_back(v);
  }
  write_safetensors(path, views, {{"format", "pt"}, {"producer", "regurgitate"}});
}

void load_params(const std::string& path, const ParamLayout& layout, float* host) {
  auto tensors = read_safetensors(path);
  for (auto& t : layout.tensors) {
    auto it = tensors.find(t.name);
    if (it == tensors.end()) fail("EFORMAT", path + ": missing tensor '" + t.name + "'");
    std::vector<int64_t> want(t.shape.begin(), t.shape.end());
    if (it->second.shape != want) {
      std::string got, exp;
      for (auto s : it->second.shape) got += (got.empty() ? "" : ",") + std::to_string(s);
      for (auto s : want) exp += (exp.empty() ? "" : ",") + std::to_string(s);
      fail("EFORMAT", path + ": tensor '" + t.name + "' has shape [" + got + "], config says [" + exp + "]");
    }
    std::copy(it->second.data.begin(), it->second.data.end(), host + t.offset);
    tensors.erase(it);
  }
  if (!tensors.empty())
    fail("EFORMAT", path + ": unexpected tensor '" + tensors.begin()->first + "' (does config.json match?)");
}

void save_model(const std::string& dir, const Transformer& m) {
  make_dirs(dir);
  std::vector<float> host(m.buffer_floats());
  m.get_params(host.data());
  save_params(dir + "/model.safetensors", m.layout(), host.data());
  write_file_atomic(dir + "/config.json", m.config().to_json().dump() + "\n");
}

std::unique_ptr<Transformer> load_model(const std::string& dir, std::shared_ptr<Backend> backend) {
  std::string cfg_path = dir + "/config.json";
  ModelConfig cfg = ModelConfig::from_json(Json::parse(read_file(cfg_path), cfg_path), cfg_path);
  auto m = std::make_unique<Transformer>(cfg, std::move(backend));
  std::vector<float> host(m->buffer_floats(), 0.0f);
  load_params(dir + "/model.safetensors", m->layout(), host.data());
  m->set_params(host.data());
  return m;
}

}  // namespace rg
