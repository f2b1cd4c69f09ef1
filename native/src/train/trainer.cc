#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "common/error.h"
#include "common/fileio.h"
#include "model/model_io.h"
#include "train/batcher.h"
#include "train/checkpoint.h"

namespace rg {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string hex64(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%016llx", (unsigned long long)v);
  return b;
}

Batch batch_of(const Pairs& p, const std::vector<int>& idx, const ModelConfig& c) {
  return make_batch(p.src.data(), p.src_off.data(), p.tgt.data(), p.tgt_off.data(), idx.data(),
                    (int)idx.size(), c.pad_id, c.bos_id, c.eos_id);
}

}  // namespace

Trainer::Trainer(Transformer& model, const Pairs& train, const Pairs* valid, const TrainOptions& opts)
    : m_(model), train_(train), valid_(valid), o_(opts) {
  o_.validate();
  validate_pairs(train_, m_.config(), "train data");
  if (train_.size() == 0) fail("EINVAL", "train data: no pairs");
  if (valid_) {
    validate_pairs(*valid_, m_.config(), "valid data");
    if (valid_->size() == 0) valid_ = nullptr;
  }
}

double Trainer::evaluate(const Pairs& data) {
  auto batches = make_batches(data, o_.max_tokens, o_.max_sentences, o_.seed);
  double sum = 0;
  long tokens = 0;
  for (auto& idx : batches) {
    LossResult r = m_.forward_backward(batch_of(data, idx, m_.config()), false, false, 0, 0, 0);
    sum += r.loss_sum;
    tokens += r.tokens;
  }
  return tokens ? sum / (double)tokens : 0.0;
}

TrainResult Trainer::run(const std::function<void(const TrainProgress&)>& progress,
                         const std::atomic<bool>& cancel, const std::function<void()>& flush) {
  const auto t0 = Clock::now();
  Backend& be = m_.backend();
  const ParamLayout& L = m_.layout();
  const size_t total = m_.buffer_floats();
  const auto batches = make_batches(train_, o_.max_tokens, o_.max_sentences, o_.seed);
  const size_t nb = batches.size();
  const uint64_t fp = fingerprint(train_);

  std::vector<ParamSpan> spans;
  for (auto& t : L.tensors) spans.push_back(ParamSpan{t.offset, t.size, t.decay});
  DeviceBuffer adam_m(&be, total * sizeof(float)), adam_v(&be, total * sizeof(float));
  be.zero(adam_m.f(), total * sizeof(float));
  be.zero(adam_v.f(), total * sizeof(float));

  int64_t step = 0, epoch = 0, pos = 0, bad_evals = 0, best_step = -1, last_eval = -1;
  double best_valid = INFINITY;
  std::vector<float> best_params;
  // Loss since the last progress report (kept in checkpoints: a resumed run reports the same).
  double loss_sum = 0;
  long loss_tokens = 0, real_tokens = 0;
  int64_t saved_step = -1;

  if (o_.resume && !o_.checkpoint_dir.empty()) {
    CheckpointData ck;
    if (load_latest_checkpoint(o_.checkpoint_dir, m_, ck)) {
      const Json& t = ck.trainer;
      const std::string tp = o_.checkpoint_dir + " (trainer.json)";
      if (t.string_or("fingerprint", "", tp) != hex64(fp) || (size_t)t.number("n_batches", tp) != nb ||
          (uint64_t)t.number("seed", tp) != o_.seed)
        fail("EINVAL", "cannot resume from " + o_.checkpoint_dir +
                           ": it was made with different training data, batch settings or seed");
      m_.set_params(ck.params.data());
      be.upload(adam_m.f(), ck.adam_m.data(), total * sizeof(float));
      be.upload(adam_v.f(), ck.adam_v.data(), total * sizeof(float));
      step = (int64_t)t.number("step", tp);
      epoch = (int64_t)t.number("epoch", tp);
      pos = (int64_t)t.number("pos", tp);
      bad_evals = (int64_t)t.number("bad_evals", tp);
      best_step = (int64_t)t.number_or("best_step", -1, tp);
      best_valid = t.number_or("best_valid", INFINITY, tp);
      last_eval = (int64_t)t.number_or("last_eval", -1, tp);
      loss_sum = t.number_or("loss_sum", 0, tp);
      loss_tokens = (long)t.number_or("loss_tokens", 0, tp);
      real_tokens = (long)t.number_or("real_tokens", 0, tp);
      saved_step = step;  // this checkpoint is the state now: never written again
      if (best_step >= 0 && o_.restore_best && file_exists(o_.checkpoint_dir + "/best/model.safetensors")) {
        best_params.assign(total, 0.0f);
        load_params(o_.checkpoint_dir + "/best/model.safetensors", L, best_params.data());
      }
    }
  }

  // Checkpoints are written on a thread of their own from a snapshot of the state: the
  // loop only waits for the copy. `background`: a periodic one, skipped while the previous
  // write is still going (a slow disk) unless `wait_busy`.
  std::unique_ptr<CheckpointWriter> writer;
  if (!o_.checkpoint_dir.empty()) writer = std::make_unique<CheckpointWriter>(o_.checkpoint_dir, m_, flush);
  auto last_ckpt = Clock::now();
  auto save = [&](bool background, bool wait_busy) {
    if (!writer || saved_step == step) return;
    if (background && !wait_busy && writer->busy()) return;
    writer->wait();
    saved_step = step;
    last_ckpt = Clock::now();
    CheckpointData& ck = writer->buffers();
    ck.params.resize(total);
    ck.adam_m.resize(total);
    ck.adam_v.resize(total);
    m_.get_params(ck.params.data());
    be.download(ck.adam_m.data(), adam_m.f(), total * sizeof(float));
    be.download(ck.adam_v.data(), adam_v.f(), total * sizeof(float));
    Json t = Json::make_object();
    t.set("format", Json::make_number(1));
    t.set("step", Json::make_number((double)step));
    t.set("epoch", Json::make_number((double)epoch));
    t.set("pos", Json::make_number((double)pos));
    t.set("bad_evals", Json::make_number((double)bad_evals));
    t.set("best_step", Json::make_number((double)best_step));
    if (std::isfinite(best_valid)) t.set("best_valid", Json::make_number(best_valid));
    t.set("last_eval", Json::make_number((double)last_eval));
    t.set("loss_sum", Json::make_number(loss_sum));
    t.set("loss_tokens", Json::make_number((double)loss_tokens));
    t.set("real_tokens", Json::make_number((double)real_tokens));
    t.set("seed", Json::make_number((double)o_.seed));
    t.set("n_batches", Json::make_number((double)nb));
    t.set("fingerprint", Json::make_string(hex64(fp)));
    ck.trainer = t;
    writer->start(step);
    if (!background) writer->wait();
  };

  TrainResult res;
  std::vector<int> order = epoch_order(nb, o_.seed, (uint64_t)epoch);
  auto last_report = Clock::now();
  int64_t steps_here = 0;
  bool stop_early = false;

  auto run_eval = [&](TrainProgress& pr) {
    double v = evaluate(*valid_);
    last_eval = step;
    pr.valid_loss = v;
    if (v < best_valid) {
      best_valid = v;
      best_step = step;
      bad_evals = 0;
      if (o_.restore_best) {
        best_params.resize(total);
        m_.get_params(best_params.data());
      }
      if (!o_.checkpoint_dir.empty()) save_model(o_.checkpoint_dir + "/best", m_);
    } else if (++bad_evals >= o_.patience && o_.patience > 0) {
      stop_early = true;
    }
    pr.best_valid_loss = best_valid;
  };

  while (true) {
    if (o_.max_steps > 0 && step >= o_.max_steps) break;
    if ((size_t)pos >= nb) {
      ++epoch;
      pos = 0;
      order = epoch_order(nb, o_.seed, (uint64_t)epoch);
    }
    if (o_.max_epochs > 0 && epoch >= o_.max_epochs) break;
    if (cancel.load()) { res.cancelled = true; break; }
    if (o_.stop_after_steps > 0 && steps_here >= o_.stop_after_steps) { res.interrupted = true; break; }

    Batch b = batch_of(train_, batches[order[pos]], m_.config());
    ++step;
    ++pos;
    ++steps_here;
    m_.zero_grads();
    LossResult r = m_.forward_backward(b, true, true, o_.seed, (uint64_t)step, b.label_tokens);
    if (!std::isfinite(r.loss_sum))
      fail("ENUMERIC", "loss is not finite at step " + std::to_string(step) +
                           " (learning rate too high?); the last checkpoint is kept");
    const double lr = o_.lr_at(step);
    AdamWHyper h{(float)lr, (float)o_.beta1, (float)o_.beta2, (float)o_.adam_eps, step};
    const Transformer::OptimizerView pv = m_.optimizer_view();  // updates P16 with P
    be.clip_adamw(pv.P, pv.P16, m_.grads(), adam_m.f(), adam_v.f(), total, spans.data(),
                  (int)spans.size(), h, (float)o_.weight_decay, o_.clip_norm);
    loss_sum += r.loss_sum;
    loss_tokens += r.tokens;
    real_tokens += b.real_tokens;
    res.last_loss = r.loss_sum / (double)std::max(1L, r.tokens);

    TrainProgress pr;
    bool report = step % o_.progress_every == 0;
    if (valid_ && o_.valid_every > 0 && step % o_.valid_every == 0) {
      run_eval(pr);
      report = true;
    }
    if (report && progress) {
      double dt = since(last_report);
      pr.step = step;
      pr.epoch = (double)epoch + (double)pos / (double)nb;
      pr.loss = loss_tokens ? loss_sum / (double)loss_tokens : 0;
      pr.lr = lr;
      pr.tokens_per_sec = dt > 0 ? (double)real_tokens / dt : 0;
      pr.elapsed_sec = since(t0);
      progress(pr);
      loss_sum = 0;
      loss_tokens = real_tokens = 0;
      last_report = Clock::now();
    }
    // Periodic checkpoints, except on the last step: the final one follows the last evaluation.
    const bool last = stop_early || (o_.max_steps > 0 && step >= o_.max_steps) ||
                      (o_.max_epochs > 0 && (size_t)pos >= nb && epoch + 1 >= o_.max_epochs);
    if (!last) {
      if (o_.checkpoint_every > 0 && step % o_.checkpoint_every == 0) save(true, true);
      else if (o_.checkpoint_seconds > 0 && since(last_ckpt) >= o_.checkpoint_seconds) save(true, false);
    }
    if (stop_early) { res.stopped_early = true; break; }
  }

  if (!res.interrupted) {
    if (valid_ && last_eval != step && step > 0 && !res.cancelled) {
      TrainProgress pr;
      run_eval(pr);
      pr.step = step;
      pr.epoch = (double)epoch + (double)pos / (double)nb;
      pr.lr = o_.lr_at(std::max<int64_t>(step, 1));
      pr.elapsed_sec = since(t0);
      if (progress) progress(pr);
    }
    save(false, true);
    if (o_.restore_best && !best_params.empty()) m_.set_params(best_params.data());
  }
  if (writer) writer->wait();  // a write in flight is committed before training returns
  res.steps = step;
  res.epochs = (double)epoch + (double)pos / (double)nb;
  res.seconds = since(t0);
  if (std::isfinite(best_valid)) {
    res.best_valid_loss = best_valid;
    res.best_step = best_step;
  }
  return res;
}

}  // namespace rg
