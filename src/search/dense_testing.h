// Deterministic synthetic embeddings for the tests and the benchmark of DenseIndex: unit vectors
// around a two-level hierarchy of centroids (topics, and subtopics within them), because real
// embeddings cluster by topic and uniform random vectors would make every neighbour equidistant.
//
// The generator is written out (splitmix64 and Box-Muller) rather than taken from <random>, whose
// distributions differ between standard libraries: the same seed gives the same vectors anywhere.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

namespace studybot::search {

struct ClusteredVectorsSpec {
  std::size_t count = 0;
  std::size_t dimensions = 384;
  std::size_t topics = 50;
  std::size_t subtopics_per_topic = 16;
  // Gaussian offsets, relative to a unit centroid: with 1.0 a point's cosine to its subtopic
  // centroid is about 0.7, and nearest neighbours have cosines around 0.5-0.6.
  double subtopic_spread = 1.0;
  double noise = 1.0;
  uint64_t seed = 1;
};

class TestRandom {
 public:
  explicit TestRandom(uint64_t seed) : state_(seed) {}

  uint64_t Next() {  // splitmix64
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in (0, 1).
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) / 9007199254740992.0; }

  double Gaussian() {
    return std::sqrt(-2.0 * std::log(Uniform())) * std::cos(2.0 * std::numbers::pi * Uniform());
  }

 private:
  uint64_t state_;
};

inline void NormalizeForTest(float* v, std::size_t n) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += static_cast<double>(v[i]) * v[i];
  const double scale = 1.0 / std::sqrt(sum);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(v[i] * scale);
}

// spec.count unit vectors of spec.dimensions floats, row after row.
inline std::vector<float> ClusteredVectors(const ClusteredVectorsSpec& spec) {
  const std::size_t d = spec.dimensions;
  const double per_dim = 1.0 / std::sqrt(static_cast<double>(d));
  TestRandom random(spec.seed);
  const std::size_t centroids = spec.topics * spec.subtopics_per_topic;
  std::vector<float> topic(d);
  std::vector<float> subtopics(centroids * d);
  for (std::size_t t = 0; t < spec.topics; ++t) {
    for (float& x : topic)
      x = static_cast<float>(random.Gaussian());
    NormalizeForTest(topic.data(), d);
    for (std::size_t s = 0; s < spec.subtopics_per_topic; ++s) {
      float* c = &subtopics[(t * spec.subtopics_per_topic + s) * d];
      for (std::size_t i = 0; i < d; ++i) {
        c[i] = topic[i] + static_cast<float>(spec.subtopic_spread * per_dim * random.Gaussian());
      }
      NormalizeForTest(c, d);
    }
  }
  std::vector<float> out(spec.count * d);
  for (std::size_t p = 0; p < spec.count; ++p) {
    const float* c = &subtopics[(random.Next() % centroids) * d];
    float* v = &out[p * d];
    for (std::size_t i = 0; i < d; ++i) {
      v[i] = c[i] + static_cast<float>(spec.noise * per_dim * random.Gaussian());
    }
    NormalizeForTest(v, d);
  }
  return out;
}

}  // namespace studybot::search
