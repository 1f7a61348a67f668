// LsaModel: a semantic embedder learned from a chatbot's own chunks (latent semantic analysis),
// since no pretrained model can be shipped or downloaded. Training builds a TF-IDF matrix of the
// chunks (sublinear tf, smoothed idf, stems from the Analyzer, the `max_terms` most frequent
// terms with df >= min_df), and a truncated SVD of it by randomized range finding (Halko,
// Martinsson and Tropp 2011: a Gaussian sketch, `power_iterations` subspace iterations, then an
// exact SVD of the small projected matrix) with Eigen. A text is embedded by folding it in:
// its TF-IDF row times the top right singular vectors, L2-normalised. Terms that co-occur across
// chunks end up close, so a question can meet a passage that words it differently.
//
// Immutable once trained; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ai/embedder.h"
#include "core/result.h"
#include "search/analyzer.h"

namespace studybot::ai {

struct LsaOptions {
  int dimensions = 256;  // at most the number of training chunks
  std::size_t max_terms = 30000;
  int min_df = 2;         // terms in fewer chunks are dropped
  int oversampling = 10;  // extra sketch columns
  int power_iterations = 3;
  uint64_t seed = 42;  // the sketch's random numbers: training is deterministic
  search::Language language = search::Language::kAuto;
  // Polled between steps (every few hundred chunks, every subspace iteration): true stops the
  // training with kUnavailable, so that a shutdown does not wait for a large model.
  std::function<bool()> cancelled;
};

class LsaModel final : public Embedder {
 public:
  // kInvalidArgument when there are fewer than 2 chunks or no term survives the filters.
  static Result<LsaModel> Train(const std::vector<std::string>& chunks, const LsaOptions& options);

  std::string id() const override { return "lsa-v1/" + std::to_string(dims_) + "/" + fingerprint_; }
  int dimensions() const override { return dims_; }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override;
  std::vector<float> Embed(std::string_view text) const;

  std::size_t vocabulary_size() const { return idf_.size(); }

  // The whole model as bytes (checksummed), and back: kInvalidArgument for truncated, corrupt
  // or foreign bytes. Load(Save()) embeds exactly as the original.
  std::string Save() const;
  static Result<LsaModel> Load(std::string_view bytes);

 private:
  LsaModel(search::Language language) : analyzer_(language) {}

  search::Analyzer analyzer_;
  int dims_ = 0;
  std::unordered_map<std::string, uint32_t> term_ids_;
  std::vector<float> idf_;         // per term
  std::vector<float> projection_;  // terms x dims, row-major: term t's row is its direction
  std::string fingerprint_;        // of the training data and options, for id()
};

}  // namespace studybot::ai
