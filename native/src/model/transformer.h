// The encoder-decoder transformer of docs/model.md over a Backend: parameters and
// gradients in one contiguous buffer each, activations in one workspace sized for the
// largest batch seen. Forward/backward live in forward_backward.cc, incremental
// decoding in decode_step.cc.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "backend.h"
#include "model/batch.h"
#include "model/config.h"
#include "model/params.h"

namespace rg {

class PassGraphs;
struct PassGraphStats;

// A backend buffer that frees itself.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend* be, size_t bytes) : be_(be), bytes_(bytes), p_(bytes ? be->alloc(bytes) : nullptr) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      be_ = o.be_; bytes_ = o.bytes_; p_ = o.p_;
      o.p_ = nullptr; o.bytes_ = 0;
    }
    return *this;
  }
  void reset() {
    if (p_) be_->release(p_);
    p_ = nullptr;
    bytes_ = 0;
  }
  float* f() const { return (float*)p_; }
  int* i() const { return (int*)p_; }
  uint16_t* u16() const { return (uint16_t*)p_; }
  size_t bytes() const { return bytes_; }

 private:
  Backend* be_ = nullptr;
  size_t bytes_ = 0;
  void* p_ = nullptr;
};

struct LossResult {
  double loss_sum = 0;  // sum of per-token label-smoothed losses
  long tokens = 0;      // label tokens
};

class Transformer {
 public:
  Transformer(const ModelConfig& cfg, std::shared_ptr<Backend> backend);
  ~Transformer();

  const ModelConfig& config() const { return cfg_; }
  const ParamLayout& layout() const { return layout_; }
  Backend& backend() { return *be_; }
  size_t num_params() const;  // real parameters (no padding)
  size_t buffer_floats() const { return layout_.total; }

  // The fp32 parameters for writing. A write through this pointer leaves their bf16 copy
  // stale until the next pass or decode refreshes it; the optimizer, which updates both,
  // uses optimizer_view() instead.
  float* params() {
    params16_stale_ = true;
    return params_.f();
  }
  // The fp32 parameters and their bf16 copy (nullptr when the backend wants none), for an
  // update that writes both (Backend::clip_adamw): the copy stays as fresh as it was.
  struct OptimizerView {
    float* P;
    void* P16;
  };
  OptimizerView optimizer_view() { return {params_.f(), params16_.u16()}; }
  // Tests: the bf16 copy as it is (nullptr when none), and whether a write made it stale.
  const void* params16_unrefreshed() const { return params16_.u16(); }
  bool params16_stale() const { return params16_stale_; }
  float* grads() { return grads_.f(); }
  void init_params(uint64_t seed);
  void get_params(float* host) const;        // layout_.total floats
  void set_params(const float* host);
  void get_grads(float* host) const;
  void zero_grads();

  // Forward (and, if backward, backward: gradients ACCUMULATE into grads()). Dropout is
  // on iff train; its masks come from (dropout_seed, step, site). Gradients are of the
  // mean loss over `grad_tokens` label tokens (pass batch.label_tokens for one batch).
  LossResult forward_backward(const Batch& b, bool train, bool backward, uint64_t dropout_seed,
                              uint64_t step, long grad_tokens);
  // Runs only the encoder (decoding): its output stays in the workspace.
  void encode(const Batch& b);
  // Forced decoding: per-sentence sum of log p(label) over the sentence's labels.
  void score(const Batch& b, double* per_sentence);

  // ---- incremental decoding (decode_step.cc) ----
  // Encodes B sources, replicated `rows_per_src` times (beams), prepares KV caches for
  // targets up to max_steps tokens.
  void decode_begin(const int* src, const int* src_len, int B, int S, int rows_per_src, int max_steps);
  // Feeds one token per row at position pos (0 = BOS). The next-token log-probs [R, V]
  // stay on the backend; read them with decode_logprobs, decode_topk or decode_sample.
  void decode_step(const int* tokens, int pos);
  // The last step's log-probs of rows [row0, row0 + rows), [rows, V], to the host.
  void decode_logprobs(float* host, int row0, int rows);
  // The last step's k best tokens per row (Backend::topk_rows order: best first, ties to
  // the lower id, NaN last) to vals/ids [R, k] on the host, and each row's log-prob of
  // token `tok` (EOS) to tok_lp [R]: R * (2k + 1) values cross, not R * V.
  void decode_topk(int k, int tok, float* vals, int* ids, float* tok_lp);
  // One sampling draw per row (Backend::sample_rows) with uniforms u [R] from the host:
  // the tokens and their log-probs to tokens/tok_lp [R] on the host, 3R values crossing.
  void decode_sample(const Backend::SampleParams& sp, const float* u, int* tokens, float* tok_lp);
  // Beam search: row r of the cache becomes old row from[r] (positions 0..pos).
  void decode_reorder(const int* from, int pos);
  int decode_rows() const { return dec_rows_; }
  // How training passes and decoding steps ran: recorded and replayed as CUDA graphs, or
  // op by op.
  const PassGraphStats& graph_stats() const;
  const PassGraphStats& decode_graph_stats() const;

 private:
  struct Workspace;
  struct DecodeState;
  void ensure_workspace(int B, int S, int T, bool train);
  LossResult pass(const Batch& b, bool train, bool backward, uint64_t dropout_seed, uint64_t step,
                  long grad_tokens, bool encoder_only);
  // The bf16 copy of the parameters, refreshed first if stale; nullptr when there is none.
  // Every reader of the copy (a pass, a decoding step) gets it through here.
  const uint16_t* params16();

  ModelConfig cfg_;
  ParamLayout layout_;
  std::shared_ptr<Backend> be_;
  DeviceBuffer params_, grads_, pe_;
  // bf16(params_), same layout, only where the backend wants bf16 copies; stale after any
  // write to params_ but the optimizer's (set_params, params()).
  DeviceBuffer params16_;
  bool params16_stale_ = true;
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<DecodeState> ds_;
  int dec_rows_ = 0;
  std::unique_ptr<PassGraphs> graphs_, decode_graphs_;  // after be_: released before it
};

}  // namespace rg
