// HashingEmbedder: the built-in embedder, which needs no model weights and no network. It maps a
// text to a dense vector by signed feature hashing, so that texts sharing words (or parts of
// words) get a high cosine similarity. It knows no synonyms: it is the fallback for chatbots
// without an embedding provider, and what the tests use.
//
// Features, from search::Analyzer (stop words removed):
//   - unigrams: the stems;
//   - bigrams: pairs of consecutive stems ("reset my password" -> reset+password), for phrasing;
//   - character n-grams: the min_char_ngram..max_char_ngram code-point n-grams of each unstemmed
//     word wrapped in boundary markers ("<cat>": "<ca", "cat", "at>", "<cat", ...), which meet
//     across inflections, typos and compounds that stemming misses.
// Each feature counts 1 + ln(tf) (sublinear: a repeated word should not dominate). A feature is
// hashed (FNV-1a 64 over a family tag and its bytes, then the MurmurHash3 finaliser so that all
// output bits are mixed) to a coordinate, from the high 32 bits, and a sign, from the lowest bit;
// signs make collisions cancel out on average instead of piling up. Each family is L2-normalised
// on its own, scaled by its weight, and the sum is L2-normalised: a weight is the family's share
// of the vector whatever the length of the text.
//
// Determinism: vectors depend only on the options and the text's bytes, never on hash-table
// order, the process or the platform's std::hash; features are summed in a fixed order. Across
// platforms the only difference can be the last bit of std::log. Changing anything here changes
// the vectors: stored embeddings must be recomputed (the golden test in the _test file says so).
//
// Text with no feature (empty, punctuation, stop words only) embeds to the all-zero vector, which
// has cosine similarity 0 (or undefined) with everything: callers should treat it as "no match".
//
// Thread-safety: immutable after construction; Embed may be called from any number of threads.
#pragma once

#include <string_view>
#include <vector>

#include "ai/embedder.h"
#include "core/result.h"
#include "search/analyzer.h"

namespace studybot::ai {

class HashingEmbedder final : public Embedder {
 public:
  struct Options {
    // Vector length, in [1, 65536]. Must match the vector index's dimension.
    int dimensions = 384;
    // Analysis language; kAuto decides per text (see search/analyzer.h).
    search::Language language = search::Language::kAuto;
    // Shares of the three feature families; each finite and >= 0, not all 0.
    float unigram_weight = 1.0f;
    float bigram_weight = 0.5f;
    float char_ngram_weight = 0.8f;
    // Character n-gram lengths in code points, boundary markers included; 1 <= min <= max <= 8.
    int min_char_ngram = 3;
    int max_char_ngram = 5;

    // kInvalidArgument naming the first bad field.
    Status Validate() const;
  };

  // Throws std::invalid_argument with Validate()'s message when the options are invalid: they
  // come from configuration, and a bad one must stop start-up.
  explicit HashingEmbedder(Options options);

  // A unit-length vector of dimensions() floats, or all zeros (see the top comment).
  std::vector<float> Embed(std::string_view text) const;

  // Embedder: never fails. The id names this algorithm's version: change it with the features.
  std::string id() const override { return "hashing-v1/" + std::to_string(options_.dimensions); }
  int dimensions() const override { return options_.dimensions; }
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const auto& t : texts)
      out.push_back(Embed(std::string_view(t)));
    return out;
  }

  const Options& options() const { return options_; }

 private:
  Options options_;
  search::Analyzer analyzer_;
};

}  // namespace studybot::ai
