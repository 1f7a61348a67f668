#include "ai/hashing_embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace studybot::ai {
namespace {

constexpr int kMaxDimensions = 1 << 16;
constexpr int kMaxCharNgram = 8;

// Family tags, hashed first so that the unigram "cat" and the n-gram "cat" are different features.
enum class Family : unsigned char { kUnigram = 'u', kBigram = 'b', kCharNgram = 'c' };

// FNV-1a 64 keeps the hash a few obviously portable lines; its weak avalanche on short inputs is
// fixed by the MurmurHash3 finaliser in Finish.
class FeatureHash {
 public:
  explicit FeatureHash(Family family) { Byte(static_cast<unsigned char>(family)); }

  FeatureHash& Bytes(std::string_view bytes) {
    for (char c : bytes)
      Byte(static_cast<unsigned char>(c));
    return *this;
  }

  FeatureHash& Byte(unsigned char c) {
    hash_ ^= c;
    hash_ *= 1099511628211ULL;
    return *this;
  }

  uint64_t Finish() const {
    uint64_t h = hash_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb93fe53b86a9ULL;
    h ^= h >> 33;
    return h;
  }

 private:
  uint64_t hash_ = 14695981039346656037ULL;
};

// Byte offsets of the code points of `word` (valid UTF-8, as the analyzer gives it), plus the end.
std::vector<std::size_t> CodePointOffsets(std::string_view word) {
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) offsets.push_back(i);
  }
  offsets.push_back(word.size());
  return offsets;
}

// Adds the family's features into `out`, normalised to length `weight`. `hashes` is consumed
// (sorted) so that equal features are counted together and summed in an order independent of how
// they were found.
void AddFamily(std::vector<uint64_t>& hashes, float weight, std::vector<float>& out) {
  if (hashes.empty() || weight == 0) return;
  std::ranges::sort(hashes);
  const auto dims = static_cast<uint64_t>(out.size());
  std::vector<float> family(out.size(), 0.0f);
  for (std::size_t i = 0; i < hashes.size();) {
    std::size_t j = i;
    while (j < hashes.size() && hashes[j] == hashes[i])
      ++j;
    const uint64_t h = hashes[i];
    const auto value = static_cast<float>(1.0 + std::log(static_cast<double>(j - i)));
    // (high 32 bits * dims) >> 32 maps to [0, dims) without the bias of a modulo.
    const std::size_t index = ((h >> 32) * dims) >> 32;
    family[index] += (h & 1) ? value : -value;
    i = j;
  }
  double norm = 0;
  for (float v : family)
    norm += static_cast<double>(v) * v;
  if (norm == 0) return;  // every feature cancelled out
  const auto scale = static_cast<float>(weight / std::sqrt(norm));
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] += family[i] * scale;
}

}  // namespace

Status HashingEmbedder::Options::Validate() const {
  if (dimensions < 1 || dimensions > kMaxDimensions) {
    return Error::InvalidArgument("hashing embedder dimensions must be within [1, 65536]");
  }
  for (float weight : {unigram_weight, bigram_weight, char_ngram_weight}) {
    if (!std::isfinite(weight) || weight < 0) {
      return Error::InvalidArgument("hashing embedder weights must be finite and >= 0");
    }
  }
  if (unigram_weight == 0 && bigram_weight == 0 && char_ngram_weight == 0) {
    return Error::InvalidArgument("hashing embedder weights must not all be 0");
  }
  if (min_char_ngram < 1 || min_char_ngram > max_char_ngram || max_char_ngram > kMaxCharNgram) {
    return Error::InvalidArgument(
        "hashing embedder n-gram lengths must satisfy 1 <= min_char_ngram <= max_char_ngram <= 8");
  }
  return OkStatus();
}

HashingEmbedder::HashingEmbedder(Options options) : options_(options), analyzer_(options.language) {
  if (Status status = options_.Validate(); !status.ok()) {
    throw std::invalid_argument(status.error().message);
  }
}

std::vector<float> HashingEmbedder::Embed(std::string_view text) const {
  std::vector<float> out(static_cast<std::size_t>(options_.dimensions), 0.0f);
  const std::vector<search::AnalyzedWord> words = analyzer_.Analyze(text);
  if (words.empty()) return out;

  std::vector<uint64_t> unigrams;
  std::vector<uint64_t> bigrams;
  std::vector<uint64_t> char_ngrams;
  unigrams.reserve(words.size());
  bigrams.reserve(words.size());
  const auto min_n = static_cast<std::size_t>(options_.min_char_ngram);
  const auto max_n = static_cast<std::size_t>(options_.max_char_ngram);
  std::string marked;
  for (std::size_t i = 0; i < words.size(); ++i) {
    unigrams.push_back(FeatureHash(Family::kUnigram).Bytes(words[i].stem).Finish());
    if (i > 0) {
      // 0x1F (unit separator) never occurs in a token, so "ab"+"c" and "a"+"bc" differ.
      bigrams.push_back(FeatureHash(Family::kBigram)
                            .Bytes(words[i - 1].stem)
                            .Byte(0x1F)
                            .Bytes(words[i].stem)
                            .Finish());
    }
    marked = "<" + words[i].word + ">";
    const std::vector<std::size_t> offsets = CodePointOffsets(marked);
    const std::size_t length = offsets.size() - 1;  // in code points
    for (std::size_t n = min_n; n <= max_n && n <= length; ++n) {
      for (std::size_t start = 0; start + n <= length; ++start) {
        std::string_view gram(marked.data() + offsets[start], offsets[start + n] - offsets[start]);
        char_ngrams.push_back(FeatureHash(Family::kCharNgram).Bytes(gram).Finish());
      }
    }
  }

  AddFamily(unigrams, options_.unigram_weight, out);
  AddFamily(bigrams, options_.bigram_weight, out);
  AddFamily(char_ngrams, options_.char_ngram_weight, out);

  double norm = 0;
  for (float v : out)
    norm += static_cast<double>(v) * v;
  if (norm > 0) {
    const auto scale = static_cast<float>(1 / std::sqrt(norm));
    for (float& v : out)
      v *= scale;
  }
  return out;
}

}  // namespace studybot::ai
