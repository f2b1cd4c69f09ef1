// Greedy, beam and sampling search over Transformer::decode_begin/step/reorder, and
// batched forced decoding. See search.h for the contract.
//
// Greedy and beam search read only each row's top few tokens from the backend
// (Transformer::decode_topk), not the whole [rows, V] log-probabilities; the choices are
// exactly those a scan of full rows makes (see greedy_pick and top_from_prefix).
// Sampling draws on the backend too (Backend::sample_rows, uniforms from the host), so
// only each row's token and log-prob come back. Beams too wide for the top-k read full rows.
#include "model/search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common/error.h"
#include "common/option_ranges.h"
#include "common/rng.h"
#include "model/batch.h"

namespace rg {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr uint64_t kSampleTag = 0x5A3D1E5EEDull;  // stream tag of sampling draws

void check_cancel(const std::function<bool()>& cancelled) {
  if (cancelled && cancelled()) fail("ECANCELED", "decoding cancelled");
}

// Sentence indices in batches of at most `batch_size`, sorted stably by key(i).
template <class Key>
std::vector<std::vector<int>> length_batches(int n, int batch_size, Key key) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
  std::vector<std::vector<int>> out;
  for (int i = 0; i < n; i += batch_size)
    out.emplace_back(order.begin() + i, order.begin() + std::min(n, i + batch_size));
  return out;
}

// A token with its log-probability; ordered best first, ties by lower id.
struct Tok {
  float lp;
  int id;
};
inline bool better(const Tok& a, const Tok& b) { return a.lp > b.lp || (a.lp == b.lp && a.id < b.id); }

inline bool emittable(int v, const ModelConfig& c) { return v != c.pad_id && v != c.bos_id; }

// Tokens of a row's top-k prefix that make every choice below exact: pad and bos are the
// only ids never emitted and they differ, so the best 2 + n entries hold the best n
// emittable ones (when that many are finite).
int prefix_size(int n, const ModelConfig& c) { return std::min(c.vocab_size, n + 2); }

// Greedy choice from a row's best-first top-k prefix (k = prefix_size(1)): the index in
// the prefix of the argmax over emittable ids (ties to the lowest id), or -1 (EOS) when
// no emittable value exceeds -inf. The first emittable prefix entry precedes every other
// emittable id in the top-k order, so it is the argmax unless it is -inf or NaN, and then
// so is every other emittable value.
int greedy_pick(const float* vals, const int* ids, int k, const ModelConfig& c) {
  for (int j = 0; j < k; ++j)
    if (emittable(ids[j], c)) return vals[j] > -std::numeric_limits<float>::infinity() ? j : -1;
  return -1;  // unreachable: the prefix holds an emittable id
}

// top_tokens(row, n) from the row's best-first top-k prefix (k = prefix_size(n)), when
// the prefix decides it: it holds n emittable finite tokens, or it is the whole row, or it
// ends in -inf/NaN (everything after is not finite either). False otherwise (only +inf
// entries could crowd finite ones out): the caller reads the full row.
bool top_from_prefix(const float* vals, const int* ids, int k, const ModelConfig& c, int n,
                     std::vector<Tok>& out) {
  out.clear();
  for (int j = 0; j < k && (int)out.size() < n; ++j)
    if (emittable(ids[j], c) && std::isfinite(vals[j])) out.push_back({vals[j], ids[j]});
  if ((int)out.size() == n || k == c.vocab_size) return true;
  const float last = vals[k - 1];
  return !(last > -std::numeric_limits<float>::infinity());
}

// The best `n` emittable finite tokens of one row, best first.
void top_tokens(const float* lp, const ModelConfig& c, int n, std::vector<Tok>& out) {
  out.clear();
  for (int v = 0; v < c.vocab_size; ++v)
    if (emittable(v, c) && std::isfinite(lp[v])) out.push_back({lp[v], v});
  if ((int)out.size() > n) {
    std::nth_element(out.begin(), out.begin() + n, out.end(), better);
    out.resize(n);
  }
  std::sort(out.begin(), out.end(), better);
}

struct Sources {
  int B = 0, S = 0;
  std::vector<int> ids, len, limit;
  int max_limit = 0;
};

Sources gather(const int* src, const int* src_off, const std::vector<int>& idx, const SearchOptions& opt,
               const ModelConfig& c) {
  Sources s;
  s.B = (int)idx.size();
  for (int p : idx) s.S = std::max(s.S, src_off[p + 1] - src_off[p]);
  s.S = std::max(s.S, 1);
  s.ids.assign((size_t)s.B * s.S, c.pad_id);
  for (int i = 0; i < s.B; ++i) {
    int p = idx[i], l = src_off[p + 1] - src_off[p];
    std::copy(src + src_off[p], src + src_off[p + 1], s.ids.begin() + (size_t)i * s.S);
    s.len.push_back(l);
    s.limit.push_back(output_limit(opt, c, l));
    s.max_limit = std::max(s.max_limit, s.limit.back());
  }
  return s;
}

struct Out {
  std::vector<int> toks;
  double logprob = 0;
};

// Greedy and sampling: one row per sentence.
void run_single(Transformer& m, const int* src, const int* src_off, const std::vector<int>& idx,
                const SearchOptions& opt, const std::function<bool()>& cancelled, std::vector<Out>& res) {
  const ModelConfig& c = m.config();
  Sources s = gather(src, src_off, idx, opt, c);
  const int B = s.B;
  m.decode_begin(s.ids.data(), s.len.data(), B, s.S, 1, s.max_limit + 1);
  const bool sample = opt.method == SearchOptions::Sample;
  const int k = prefix_size(1, c);  // greedy: each row's top k and its EOS log-prob
  std::vector<float> top_v(sample ? 0 : (size_t)B * k), eos_lp(sample ? 0 : B);
  std::vector<int> top_i(sample ? 0 : (size_t)B * k);
  // Sampling: each row's uniform (-1: no draw, the row ends or has ended), token, log-prob.
  std::vector<float> u(sample ? B : 0), drawn_lp(sample ? B : 0);
  std::vector<int> drawn(sample ? B : 0);
  Backend::SampleParams sp;
  sp.temperature = opt.temperature;
  sp.top_k = opt.top_k;
  sp.top_p = opt.top_p;
  sp.fallback = c.eos_id;
  sp.n_excluded = 2;  // the ids `emittable` rules out
  sp.excluded[0] = c.pad_id;
  sp.excluded[1] = c.bos_id;
  std::vector<int> tokens(B, c.bos_id);
  std::vector<char> done(B, 0);
  std::vector<Out> out(B);
  std::vector<uint64_t> stream(B);
  for (int i = 0; i < B; ++i) stream[i] = stream_id(kSampleTag, (uint64_t)idx[i]);
  int live = B;
  for (int pos = 0; pos <= s.max_limit && live > 0; ++pos) {
    check_cancel(cancelled);
    m.decode_step(tokens.data(), pos);
    if (sample) {
      for (int i = 0; i < B; ++i)
        u[i] = done[i] || pos >= s.limit[i] ? -1.0f : uniform_at(opt.seed, stream[i], (uint64_t)pos);
      m.decode_sample(sp, u.data(), drawn.data(), drawn_lp.data());
    } else {
      m.decode_topk(k, c.eos_id, top_v.data(), top_i.data(), eos_lp.data());
    }
    for (int i = 0; i < B; ++i) {
      if (done[i]) { tokens[i] = c.pad_id; continue; }
      int v;
      float v_lp;
      if (sample) {
        v = drawn[i];  // EOS when pos >= limit (u -1)
        v_lp = drawn_lp[i];
      } else {
        const size_t o = (size_t)i * k;
        const int j = pos < s.limit[i] ? greedy_pick(top_v.data() + o, top_i.data() + o, k, c) : -1;
        v = j < 0 ? c.eos_id : top_i[o + j];
        v_lp = j < 0 ? eos_lp[i] : top_v[o + j];
      }
      out[i].logprob += (double)v_lp;
      if (v == c.eos_id) {
        done[i] = 1;
        --live;
        tokens[i] = c.pad_id;
      } else {
        out[i].toks.push_back(v);
        tokens[i] = v;
      }
    }
  }
  for (int i = 0; i < B; ++i) res[idx[i]] = std::move(out[i]);
}

// Beam search: beam_size rows per sentence.
struct Beam {
  std::vector<int> toks;
  double sum = kNegInf;  // -inf: dead (no hypothesis in this row)
};
struct Cand {
  double score;
  int beam, id;
};

void run_beam(Transformer& m, const int* src, const int* src_off, const std::vector<int>& idx,
              const SearchOptions& opt, const std::function<bool()>& cancelled, std::vector<Out>& res) {
  const ModelConfig& c = m.config();
  const int V = c.vocab_size, K = opt.beam_size;
  const double alpha = opt.length_penalty;
  Sources s = gather(src, src_off, idx, opt, c);
  const int B = s.B, R = B * K;
  m.decode_begin(s.ids.data(), s.len.data(), B, s.S, K, s.max_limit + 1);
  // Per row: the best 2K emittable tokens and the EOS log-prob, from the backend's top-k
  // (kk per row) when kk fits it, else from full rows.
  const int kk = prefix_size(2 * K, c);
  const bool full = kk > Backend::kTopkMax;
  std::vector<float> lp(full ? (size_t)R * V : 0), top_v(full ? 0 : (size_t)R * kk), eos_lp(full ? 0 : R), row_lp;
  std::vector<int> top_i(full ? 0 : (size_t)R * kk);
  auto eos_of = [&](int r) { return full ? lp[(size_t)r * V + c.eos_id] : eos_lp[r]; };
  auto tops_of = [&](int r, std::vector<Tok>& out) {
    if (full) return top_tokens(lp.data() + (size_t)r * V, c, 2 * K, out);
    if (top_from_prefix(top_v.data() + (size_t)r * kk, top_i.data() + (size_t)r * kk, kk, c, 2 * K, out)) return;
    row_lp.resize(V);  // the prefix does not decide it: this row in full
    m.decode_logprobs(row_lp.data(), r, 1);
    top_tokens(row_lp.data(), c, 2 * K, out);
  };
  std::vector<int> tokens(R, c.bos_id), from(R);
  std::vector<std::vector<Beam>> beams(B, std::vector<Beam>(K));
  for (int i = 0; i < B; ++i) beams[i][0].sum = 0;  // step 0: only beam 0 is live
  struct Best {
    bool have = false;
    double score = kNegInf, sum = kNegInf;
    std::vector<int> toks;
    int finished = 0;
  };
  std::vector<Best> best(B);
  std::vector<char> done(B, 0);
  std::vector<Tok> top;
  std::vector<Cand> cands;
  std::vector<Beam> next;
  int live = B;
  for (int pos = 0; pos <= s.max_limit && live > 0; ++pos) {
    check_cancel(cancelled);
    m.decode_step(tokens.data(), pos);
    if (full) m.decode_logprobs(lp.data(), 0, R);
    else m.decode_topk(kk, c.eos_id, top_v.data(), top_i.data(), eos_lp.data());
    bool moved = false;
    for (int i = 0; i < B; ++i) {
      for (int k = 0; k < K; ++k) from[i * K + k] = i * K + k;
      if (done[i]) {
        for (int k = 0; k < K; ++k) tokens[i * K + k] = c.pad_id;
        continue;
      }
      std::vector<Beam>& bm = beams[i];
      Best& b = best[i];
      const bool forced = pos >= s.limit[i];
      // Candidates: top 2K over live beams x vocabulary (each beam's own top 2K suffice).
      cands.clear();
      for (int k = 0; k < K; ++k) {
        if (bm[k].sum == kNegInf) continue;
        if (forced) {
          cands.push_back({bm[k].sum + (double)eos_of(i * K + k), k, c.eos_id});
          continue;
        }
        tops_of(i * K + k, top);
        for (const Tok& t : top) cands.push_back({bm[k].sum + (double)t.lp, k, t.id});
      }
      std::sort(cands.begin(), cands.end(), [V](const Cand& a, const Cand& x) {
        return a.score > x.score || (a.score == x.score && (long)a.beam * V + a.id < (long)x.beam * V + x.id);
      });
      if (!forced && (int)cands.size() > 2 * K) cands.resize(2 * K);
      next.assign(K, Beam());
      int n_next = 0;
      const int len = pos + 1;  // generated tokens so far incl. this step's
      for (size_t j = 0; j < cands.size(); ++j) {
        const Cand& cd = cands[j];
        if (!(cd.score > kNegInf)) break;
        if (cd.id == c.eos_id) {
          if (!forced && (int)j >= K) continue;  // an EOS outside the top K is not taken
          ++b.finished;
          double sc = cd.score / length_penalty(len, alpha);
          if (!b.have || sc > b.score) {
            b.have = true;
            b.score = sc;
            b.sum = cd.score;
            b.toks = bm[cd.beam].toks;
          }
        } else if (n_next < K) {
          Beam& nb = next[n_next];
          nb.toks.reserve(len);
          nb.toks = bm[cd.beam].toks;
          nb.toks.push_back(cd.id);
          nb.sum = cd.score;
          from[i * K + n_next] = i * K + cd.beam;
          tokens[i * K + n_next] = cd.id;
          ++n_next;
        }
      }
      for (int k = n_next; k < K; ++k) tokens[i * K + k] = c.pad_id;
      // Done when forced, when no live beam is left, or when beam_size hypotheses have
      // finished and no live beam, scored at its current length, beats the best one.
      bool finish = forced || n_next == 0;
      if (!finish && b.finished >= K) {
        double top_live = next[0].sum;  // candidates are sorted: the first live is the best
        finish = top_live / length_penalty(len, alpha) <= b.score;
      }
      if (finish) {
        done[i] = 1;
        --live;
        for (int k = 0; k < K; ++k) {
          tokens[i * K + k] = c.pad_id;
          from[i * K + k] = i * K + k;
        }
        continue;
      }
      bm.swap(next);
      for (int k = 0; k < K; ++k) moved |= from[i * K + k] != i * K + k;
    }
    if (live > 0 && moved) m.decode_reorder(from.data(), pos);
  }
  for (int i = 0; i < B; ++i) {
    Out o;
    if (best[i].have) {
      o.toks = std::move(best[i].toks);
      o.logprob = best[i].sum;
    } else {
      o.logprob = kNegInf;  // no finite hypothesis (degenerate model output)
    }
    res[idx[i]] = std::move(o);
  }
}

std::string num(double x) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

}  // namespace

double length_penalty(int len, double alpha) {
  if (alpha == 0) return 1.0;
  return std::pow((5.0 + len) / 6.0, alpha);
}

int output_limit(const SearchOptions& opt, const ModelConfig& c, int src_len) {
  // A tiny relative slack so that e.g. a = 0.7f (0.69999998...) times 10 still gives 7,
  // as the decimal the user wrote would.
  double x = (double)opt.max_len_a * src_len;
  x += 1e-6 * (1.0 + x) + (double)opt.max_len_b;
  double cap = c.max_len - 1;
  return (int)std::max(0.0, std::min(std::floor(x), cap));
}

void validate(const SearchOptions& o, const ModelConfig& c) {
  const std::string w = "decode options: ";
  if (o.method != SearchOptions::Greedy && o.method != SearchOptions::Beam && o.method != SearchOptions::Sample)
    fail("EINVAL", w + "method must be 'greedy', 'beam' or 'sample'");
  // The ranges TypeScript checks too (common/option_ranges.h); fp32 fields against fp32 bounds.
  namespace R = ranges;
  auto in = [&](const OptionRange& r, double x) {
    if (!r.contains(x)) fail("EINVAL", w + r.name + " must be " + r.describe() + " (got " + shortest_number(x) + ")");
  };
  auto in_f = [&](const OptionRange& r, float x) {
    if (!r.contains_float(x)) fail("EINVAL", w + r.name + " must be " + r.describe() + " (got " + num(x) + ")");
  };
  in(R::kBeamSize, o.beam_size);
  in_f(R::kLengthPenalty, o.length_penalty);
  in_f(R::kTemperature, o.temperature);
  in(R::kTopK, o.top_k);
  in_f(R::kTopP, o.top_p);
  in_f(R::kMaxLenA, o.max_len_a);
  in(R::kMaxLenB, o.max_len_b);
  in(R::kDecodeSeed, (double)o.seed);
  in(R::kBatchSize, o.batch_size);
  if (o.method == SearchOptions::Beam && (double)o.batch_size * o.beam_size > R::kMaxBeamRows)
    fail("EINVAL", w + "batchSize * beamSize must be at most " + shortest_number(R::kMaxBeamRows) + " rows (got " +
                       std::to_string((long)o.batch_size * o.beam_size) + ")");
  (void)c;
}

SearchResult search(Transformer& model, const int* src, const int* src_off, int n, const SearchOptions& opt,
                    const std::function<bool()>& cancelled) {
  validate(opt, model.config());
  std::vector<Out> res(n);
  auto batches = length_batches(n, opt.batch_size, [&](int i) { return src_off[i + 1] - src_off[i]; });
  for (const auto& idx : batches) {
    check_cancel(cancelled);
    if (opt.method == SearchOptions::Beam) run_beam(model, src, src_off, idx, opt, cancelled, res);
    else run_single(model, src, src_off, idx, opt, cancelled, res);
  }
  SearchResult r;
  r.offsets.reserve(n + 1);
  r.offsets.push_back(0);
  r.logprobs.reserve(n);
  for (const Out& o : res) {
    r.ids.insert(r.ids.end(), o.toks.begin(), o.toks.end());
    r.offsets.push_back((int)r.ids.size());
    r.logprobs.push_back(o.logprob);
  }
  return r;
}

std::vector<double> score_pairs(Transformer& model, const int* src, const int* src_off, const int* tgt,
                                const int* tgt_off, int n, int batch_size, const std::function<bool()>& cancelled) {
  if (batch_size < 1) fail("EINVAL", "score: batchSize must be an integer >= 1");
  const ModelConfig& c = model.config();
  std::vector<double> out(n);
  auto batches = length_batches(n, batch_size, [&](int i) {
    return std::make_pair(src_off[i + 1] - src_off[i], tgt_off[i + 1] - tgt_off[i]);
  });
  std::vector<double> per;
  for (const auto& idx : batches) {
    check_cancel(cancelled);
    Batch b = make_batch(src, src_off, tgt, tgt_off, idx.data(), (int)idx.size(), c.pad_id, c.bos_id, c.eos_id);
    per.assign(b.B, 0.0);
    model.score(b, per.data());
    for (int i = 0; i < b.B; ++i) out[idx[i]] = per[i];
  }
  return out;
}

}  // namespace rg
