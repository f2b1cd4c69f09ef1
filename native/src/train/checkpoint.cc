#include "train/checkpoint.h"

#include <dirent.h>

#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "common/fileio.h"
#include "model/model_io.h"
#include "model/safetensors.h"

namespace rg {
namespace {

std::string step_name(int64_t step) {
  char b[32];
  std::snprintf(b, sizeof b, "step-%08lld", (long long)step);
  return b;
}

}  // namespace

void save_checkpoint(const std::string& dir, int64_t step, const Transformer& m, const CheckpointData& d,
                     int keep) {
  const std::string name = step_name(step), ck = dir + "/" + name;
  make_dirs(ck);
  save_params(ck + "/model.safetensors", m.layout(), d.params.data());
  write_file_atomic(ck + "/config.json", m.config().to_json().dump() + "\n");
  std::vector<TensorView> opt;
  for (auto& t : m.layout().tensors) {
    std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
    opt.push_back({"exp_avg." + t.name, shape, d.adam_m.data() + t.offset});
    opt.push_back({"exp_avg_sq." + t.name, shape, d.adam_v.data() + t.offset});
  }
  write_safetensors(ck + "/optimizer.safetensors", opt, {{"producer", "regurgitate"}});
  write_file_atomic(ck + "/trainer.json", d.trainer.dump() + "\n");
  Json latest = Json::make_object();
  latest.set("checkpoint", Json::make_string(name));
  latest.set("step", Json::make_number((double)step));
  write_file_atomic(dir + "/latest.json", latest.dump() + "\n");
  // Prune older step directories, newest `keep` stay.
  std::vector<std::string> steps;
  if (DIR* dd = opendir(dir.c_str())) {
    while (dirent* e = readdir(dd)) {
      std::string n = e->d_name;
      if (n.rfind("step-", 0) == 0 && n.find('.') == std::string::npos) steps.push_back(n);
    }
    closedir(dd);
  }
  std::sort(steps.begin(), steps.end());
  for (size_t i = 0; i + keep < steps.size(); ++i)
    if (steps[i] != name) remove_tree(dir + "/" + steps[i]);
}

bool load_latest_checkpoint(const std::string& dir, const Transformer& m, CheckpointData& d) {
  const std::string lp = dir + "/latest.json";
  if (!file_exists(lp)) return false;
  Json latest = Json::parse(read_file(lp), lp);
  std::string name = latest.string_or("checkpoint", "", lp);
  if (name.rfind("step-", 0) != 0 || name.find('/') != std::string::npos)
    fail("EFORMAT", lp + ": field 'checkpoint' must name a step-N directory");
  const std::string ck = dir + "/" + name;
  const std::string cfg_path = ck + "/config.json";
  ModelConfig saved = ModelConfig::from_json(Json::parse(read_file(cfg_path), cfg_path), cfg_path);
  if (saved.to_json().dump() != m.config().to_json().dump())
    fail("EINVAL", cfg_path + ": the checkpoint's model config differs from this model's; resume needs the same model");
  d.params.assign(m.buffer_floats(), 0.0f);
  d.adam_m.assign(m.buffer_floats(), 0.0f);
  d.adam_v.assign(m.buffer_floats(), 0.0f);
  load_params(ck + "/model.safetensors", m.layout(), d.params.data());
  const std::string op = ck + "/optimizer.safetensors";
  auto opt = read_safetensors(op);
  for (auto& t : m.layout().tensors) {
    for (auto [prefix, dst] : {std::pair<const char*, float*>{"exp_avg.", d.adam_m.data()}, {"exp_avg_sq.", d.adam_v.data()}}) {
      auto it = opt.find(prefix + t.name);
      if (it == opt.end() || it->second.data.size() != t.size)
        fail("EFORMAT", op + ": missing or mis-sized tensor '" + std::string(prefix) + t.name + "'");
      std::copy(it->second.data.begin(), it->second.data.end(), dst + t.offset);
    }
  }
  const std::string tp = ck + "/trainer.json";
  d.trainer = Json::parse(read_file(tp), tp);
  return true;
}

}  // namespace rg
