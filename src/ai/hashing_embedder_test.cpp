#include "ai/hashing_embedder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>

namespace studybot::ai {
namespace {

using search::Language;

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

double Norm(const std::vector<float>& v) {
  return std::sqrt(Dot(v, v));
}

HashingEmbedder Make(Language language = Language::kAuto, int dimensions = 384) {
  HashingEmbedder::Options options;
  options.language = language;
  options.dimensions = dimensions;
  return HashingEmbedder(options);
}

TEST(HashingEmbedderTest, DeterministicAcrossCallsAndInstances) {
  const std::string text = "How do I reset my password? The reset link expired.";
  std::vector<float> a = Make().Embed(text);
  std::vector<float> b = Make().Embed(text);
  EXPECT_EQ(a, b);  // bit-identical
  EXPECT_EQ(Make().Embed(text), a);
}

// Golden vector: a change detector. Embeddings are stored; if this fails, the hashing changed and
// every stored vector of the built-in embedder must be recomputed (say so in the release notes).
TEST(HashingEmbedderTest, GoldenVector) {
  std::vector<float> v = Make(Language::kEnglish, 8).Embed("Hello, hashing world!");
  const std::vector<float> expected = {-0.753502429f, -0.166133136f, -0.166133136f, 0.0f,
                                       -0.459817737f, 0.166133136f,  0.332266271f,  -0.166133136f};
  ASSERT_EQ(v.size(), expected.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    EXPECT_NEAR(v[i], expected[i], 1e-6) << "coordinate " << i;
}

TEST(HashingEmbedderTest, UnitNorm) {
  for (const char* text : {"cat", "The quick brown fox jumps over the lazy dog",
                           "L'école est fermée le dimanche", "a1 b2 c3 ÉCOLE 2024"}) {
    EXPECT_NEAR(Norm(Make().Embed(text)), 1.0, 1e-5) << text;
  }
}

TEST(HashingEmbedderTest, NothingToEmbedIsZero) {
  for (const char* text : {"", "   ", "?!…", "the and of it", "\xFF\xFE"}) {
    std::vector<float> v = Make(Language::kEnglish).Embed(text);
    ASSERT_EQ(v.size(), 384u);
    EXPECT_EQ(Norm(v), 0.0) << text;
  }
}

TEST(HashingEmbedderTest, DimensionsOption) {
  for (int dimensions : {1, 16, 384, 1024}) {
    HashingEmbedder embedder = Make(Language::kAuto, dimensions);
    EXPECT_EQ(embedder.dimensions(), dimensions);
    std::vector<float> v = embedder.Embed("reset the password");
    EXPECT_EQ(v.size(), static_cast<std::size_t>(dimensions));
    EXPECT_NEAR(Norm(v), 1.0, 1e-5);
  }
}

TEST(HashingEmbedderTest, SimilarTextsAreCloserThanUnrelated) {
  HashingEmbedder embedder = Make();
  struct Triple {
    const char* anchor;
    const char* similar;
    const char* unrelated;
  };
  const Triple triples[] = {
      {"How do I reset my password?", "Resetting your password: click the reset link",
       "Our opening hours are nine to five on weekdays"},
      {"refund policy for cancelled orders", "Can I get a refund if my order is cancelled?",
       "The library has a new collection of history books"},
      {"Comment réinitialiser mon mot de passe ?",
       "Pour la réinitialisation du mot de passe, cliquez sur le lien",
       "La cantine sert des repas chauds le midi"},
      {"connection timeout", "connections timing out", "chocolate cake recipe"},
      {"accommodation", "acommodation", "transportation"},  // a typo still shares n-grams
  };
  for (const Triple& t : triples) {
    std::vector<float> anchor = embedder.Embed(t.anchor);
    double similar = Dot(anchor, embedder.Embed(t.similar));
    double unrelated = Dot(anchor, embedder.Embed(t.unrelated));
    EXPECT_GT(similar, unrelated + 0.1) << t.anchor;
    EXPECT_GT(similar, 0.2) << t.anchor;
  }
}

TEST(HashingEmbedderTest, WeightsChangeTheVector) {
  HashingEmbedder::Options options;
  options.dimensions = 64;
  HashingEmbedder with_all(options);
  options.bigram_weight = 0;
  HashingEmbedder without_bigrams(options);
  const std::string text = "reset password link";
  EXPECT_NE(with_all.Embed(text), without_bigrams.Embed(text));
  // A single word has no bigram: the weight does not matter then.
  EXPECT_EQ(with_all.Embed("password"), without_bigrams.Embed("password"));
  // Word order only matters through bigrams.
  EXPECT_EQ(without_bigrams.Embed("link reset password"), without_bigrams.Embed(text));
  EXPECT_NE(with_all.Embed("link reset password"), with_all.Embed(text));
}

TEST(HashingEmbedderTest, InvalidOptionsRejected) {
  auto invalid = [](auto change) {
    HashingEmbedder::Options options;
    change(options);
    EXPECT_FALSE(options.Validate().ok());
    EXPECT_THROW(HashingEmbedder{options}, std::invalid_argument);
  };
  invalid([](auto& o) { o.dimensions = 0; });
  invalid([](auto& o) { o.dimensions = 70000; });
  invalid([](auto& o) { o.unigram_weight = -1; });
  invalid([](auto& o) { o.bigram_weight = NAN; });
  invalid([](auto& o) { o.unigram_weight = o.bigram_weight = o.char_ngram_weight = 0; });
  invalid([](auto& o) { o.min_char_ngram = 0; });
  invalid([](auto& o) { o.min_char_ngram = 6; });
  invalid([](auto& o) { o.max_char_ngram = 9; });
  EXPECT_TRUE(HashingEmbedder::Options{}.Validate().ok());
}

TEST(HashingEmbedderTest, ConcurrentEmbedMatches) {
  HashingEmbedder embedder = Make();
  const std::string en = "Students can borrow up to ten books from the library";
  const std::string fr = "Les étudiants peuvent emprunter dix livres à la bibliothèque";
  const std::vector<float> en_vector = embedder.Embed(en);
  const std::vector<float> fr_vector = embedder.Embed(fr);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (embedder.Embed(en) != en_vector || embedder.Embed(fr) != fr_vector) ++mismatches;
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace studybot::ai
