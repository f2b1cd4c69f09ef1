#include "train/checkpoint.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

// Test-only (REGURGITATE_TEST_CHECKPOINT_HOLD=N): the N-th checkpoint this process writes
// stops half-written for 60 s, so that a test can kill it there.
void test_hold(const std::string& name) {
  static std::atomic<long> count{0};
  const long n = ++count;
  const char* e = std::getenv("REGURGITATE_TEST_CHECKPOINT_HOLD");
  if (e == nullptr || std::atol(e) != n) return;
  std::fprintf(stderr, "checkpoint: holding in %s\n", name.c_str());
  std::fflush(stderr);
  std::this_thread::sleep_for(std::chrono::seconds(60));
}

}  // namespace

void save_checkpoint(const std::string& dir, int64_t step, const ModelConfig& cfg, const ParamLayout& layout,
                     const CheckpointData& d, const std::function<void()>& before_commit) {
  make_dirs(dir);
  // The committed checkpoint stays until the new one is: it is the one kept before it.
  const std::string lp = dir + "/latest.json";
  std::string prev;
  if (file_exists(lp)) {
    try {
      prev = Json::parse(read_file(lp), lp).string_or("checkpoint", "", lp);
    } catch (const Error&) {
      prev.clear();
    }
  }
  std::string name = step_name(step);
  if (name == prev) name += "-1";  // the same step again (a new run in an old directory)
  const std::string ck = dir + "/" + name, tmp = ck + ".tmp";
  remove_tree(tmp);  // leftovers of writes that were never committed
  remove_tree(ck);
  make_dirs(tmp);
  save_params(tmp + "/model.safetensors", layout, d.params.data());
  test_hold(name);
  write_file_atomic(tmp + "/config.json", cfg.to_json().dump() + "\n");
  std::vector<TensorView> opt;
  for (auto& t : layout.tensors) {
    std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
    opt.push_back({"exp_avg." + t.name, shape, d.adam_m.data() + t.offset});
    opt.push_back({"exp_avg_sq." + t.name, shape, d.adam_v.data() + t.offset});
  }
  write_safetensors(tmp + "/optimizer.safetensors", opt, {{"producer", "regurgitate"}});
  write_file_atomic(tmp + "/trainer.json", d.trainer.dump() + "\n");
  if (std::rename(tmp.c_str(), ck.c_str()) != 0)
    fail("EIO", "cannot rename " + tmp + " to " + ck + ": " + std::strerror(errno));
  fsync_dir(dir);
  if (before_commit) before_commit();
  Json latest = Json::make_object();
  latest.set("checkpoint", Json::make_string(name));
  latest.set("step", Json::make_number((double)step));
  write_file_atomic(lp, latest.dump() + "\n");
  // Keep the new checkpoint and the previous one; older ones and uncommitted leftovers go.
  std::vector<std::string> drop;
  if (DIR* dd = opendir(dir.c_str())) {
    while (dirent* e = readdir(dd)) {
      std::string n = e->d_name;
      if (n.rfind("step-", 0) == 0 && n != name && n != prev) drop.push_back(n);
    }
    closedir(dd);
  }
  for (auto& n : drop) remove_tree(dir + "/" + n);
}

CheckpointWriter::~CheckpointWriter() {
  if (thread_.joinable()) thread_.join();
}

void CheckpointWriter::start(int64_t step) {
  wait();
  done_.store(false);
  thread_ = std::thread([this, step] {
    try {
      save_checkpoint(dir_, step, cfg_, layout_, data_, before_commit_);
    } catch (...) {
      error_ = std::current_exception();
    }
    done_.store(true);
  });
}

void CheckpointWriter::wait() {
  if (thread_.joinable()) thread_.join();
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
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
