// The range of every training and decoding option, in one table. The N-API layer reads
// options with these, TrainOptions::validate and search's validate check them again, and
// optionRanges() exports them so a test holds them equal to TypeScript's table
// (ts/src/engine/ranges.ts): a value TypeScript accepts is never refused here.
#pragma once
#include <limits>
#include <string>

namespace rg {

struct OptionRange {
  const char* name;
  double min, max;
  bool integer;
  bool min_open = false, max_open = false;

  // Finite, integral if `integer`, within the bounds.
  bool contains(double x) const;
  // The same test for a value stored as float: against the bounds rounded to float, so
  // that rounding an accepted double never makes it fail (bounds here are all closed).
  bool contains_float(float x) const;
  // "an integer in [2, 2147483647]", "a finite number in (0, 10]", "a finite number >= 0".
  std::string describe() const;
};

// The shortest decimal that reads back as v, as JavaScript prints it (1e-30, 0.1), so
// messages read as TypeScript's.
std::string shortest_number(double v);

namespace ranges {
inline constexpr double kI32 = 2147483647.0;               // counts the engine stores in int
inline constexpr double kSafe = 9007199254740991.0;         // 2^53 - 1: seeds survive a double
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Training (TrainOptions; doubles, so open bounds are exact).
inline constexpr OptionRange kSeed{"seed", 0, kSafe, true};
// The smallest pair costs 2 batch tokens: one source position and BOS/EOS.
inline constexpr OptionRange kMaxTokens{"maxTokens", 2, kI32, true};
inline constexpr OptionRange kMaxSentences{"maxSentences", 1, kI32, true};
inline constexpr OptionRange kMaxSteps{"maxSteps", 0, kI32, true};
inline constexpr OptionRange kMaxEpochs{"maxEpochs", 0, kI32, true};
inline constexpr OptionRange kLr{"lr", 0, 10, false, true};
inline constexpr OptionRange kWarmupSteps{"warmupSteps", 0, kI32, true};
inline constexpr OptionRange kMinLr{"minLr", 0, 10, false};
// Betas are fp32 in the optimizer: closer to 1 they round to 1 and 1 - beta^t is 0.
inline constexpr OptionRange kBeta1{"beta1", 0, 0.999999, false};
inline constexpr OptionRange kBeta2{"beta2", 0, 0.999999, false};
// fp32 too: far below 1e-30 it flushes to 0 and m / (sqrt(v) + eps) can be 0 / 0.
inline constexpr OptionRange kAdamEps{"adamEps", 1e-30, 1, false};
// Decoupled decay, p *= 1 - lr * weightDecay (docs/model.md).
inline constexpr OptionRange kWeightDecay{"weightDecay", 0, 1, false};
inline constexpr OptionRange kClipNorm{"clipNorm", 0, kInf, false};
inline constexpr OptionRange kValidEvery{"validEvery", 0, kI32, true};
inline constexpr OptionRange kPatience{"patience", 0, kI32, true};
inline constexpr OptionRange kProgressEvery{"progressEvery", 1, kI32, true};
inline constexpr OptionRange kCheckpointEvery{"checkpointEvery", 0, kI32, true};
// Seconds of training between checkpoints (0: off); a finite bound, some 30 years.
inline constexpr OptionRange kCheckpointSeconds{"checkpointSeconds", 0, 1e9, false};
inline constexpr OptionRange kStopAfterSteps{"stopAfterSteps", 0, kI32, true};

// Decoding (SearchOptions; the real-valued ones are fp32, so every bound is closed).
inline constexpr OptionRange kBeamSize{"beamSize", 1, 256, true};
inline constexpr OptionRange kLengthPenalty{"lengthPenalty", 0, 10, false};
// Smaller temperatures and top-p values round to 0 in fp32.
inline constexpr OptionRange kTemperature{"temperature", 1e-6, 100, false};
inline constexpr OptionRange kTopK{"topK", 0, 16777216, true};  // the largest vocabulary
inline constexpr OptionRange kTopP{"topP", 1e-9, 1, false};
inline constexpr OptionRange kMaxLenA{"maxLenA", 0, 1000, false};
inline constexpr OptionRange kMaxLenB{"maxLenB", 0, 1048576, true};
inline constexpr OptionRange kDecodeSeed{"seed", 0, kSafe, true};
inline constexpr OptionRange kBatchSize{"batchSize", 1, 65536, true};
// Beam search holds batchSize * beamSize rows at once.
inline constexpr double kMaxBeamRows = 1048576;

// Model.score(pairs, batchSize).
inline constexpr OptionRange kScoreBatchSize{"batchSize", 1, 65536, true};

inline constexpr const OptionRange* kTrain[] = {
    &kSeed,   &kMaxTokens,  &kMaxSentences, &kMaxSteps,     &kMaxEpochs, &kLr,       &kWarmupSteps,
    &kMinLr,  &kBeta1,      &kBeta2,        &kAdamEps,      &kWeightDecay, &kClipNorm, &kValidEvery,
    &kPatience, &kProgressEvery, &kCheckpointEvery, &kCheckpointSeconds, &kStopAfterSteps};
inline constexpr const OptionRange* kDecode[] = {&kBeamSize, &kLengthPenalty, &kTemperature, &kTopK, &kTopP,
                                                 &kMaxLenA,  &kMaxLenB,       &kDecodeSeed,  &kBatchSize};
inline constexpr const OptionRange* kScore[] = {&kScoreBatchSize};
}  // namespace ranges

}  // namespace rg
