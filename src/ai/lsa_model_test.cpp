#include "ai/lsa_model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace studybot::ai {
namespace {

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

std::vector<std::string> Corpus() {
  return {
      "The car has a powerful engine and four wheels.",
      "An automobile engine burns fuel; the car drives on the road.",
      "Drivers park the automobile in the garage next to the road.",
      "A vehicle such as a car or a truck needs fuel and a driver.",
      "The truck is a heavy vehicle with a diesel engine.",
      "Apples and bananas are sweet fruit rich in vitamins.",
      "A banana is a yellow fruit; an apple can be red or green.",
      "Fruit salad mixes apple, banana and orange pieces.",
      "Orange juice is made from fresh fruit every morning.",
      "Vitamins in fruit keep you healthy; eat an orange a day.",
  };
}

TEST(LsaModelTest, TermsThatShareContextsMeetEvenWithoutSharedWords) {
  LsaOptions o;
  o.dimensions = 4;
  o.min_df = 2;
  auto model = LsaModel::Train(Corpus(), o);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->dimensions(), 4);
  auto docs = *model->Embed(Corpus());
  // "vehicle truck" shares no word with document 1 (automobile, engine, fuel, car, road) but
  // its context: it must be closer to it than to any fruit document.
  auto q = model->Embed(std::string_view("which vehicle or truck"));
  float motor = Dot(q, docs[1]);
  for (int fruit = 5; fruit < 10; ++fruit)
    EXPECT_GT(motor, Dot(q, docs[static_cast<std::size_t>(fruit)])) << fruit;
  auto f = model->Embed(std::string_view("vitamins"));
  EXPECT_GT(Dot(f, docs[6]), Dot(f, docs[0]));
}

TEST(LsaModelTest, UnitVectorsDeterministicTrainingAndAnIdThatNamesTheModel) {
  LsaOptions o;
  o.dimensions = 3;
  auto a = LsaModel::Train(Corpus(), o);
  auto b = LsaModel::Train(Corpus(), o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id(), b->id());
  auto va = a->Embed(std::string_view("engine fuel"));
  auto vb = b->Embed(std::string_view("engine fuel"));
  EXPECT_EQ(va, vb);
  EXPECT_NEAR(Dot(va, va), 1.0f, 1e-4);
  // Unknown words only: a zero vector (no direction), never NaN.
  auto zero = a->Embed(std::string_view("zzzz qqqq"));
  for (float x : zero)
    EXPECT_EQ(x, 0.f);
  // Other data, other id: cached vectors of one model are never taken for another's.
  auto other = Corpus();
  other.push_back("A bicycle has two wheels and no engine.");
  auto c = LsaModel::Train(other, o);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->id(), a->id());
  // Dimensions are capped by what the data can give.
  o.dimensions = 1000;
  auto capped = LsaModel::Train(Corpus(), o);
  ASSERT_TRUE(capped.ok());
  EXPECT_LE(capped->dimensions(), 10);
}

TEST(LsaModelTest, TooLittleDataIsAnError) {
  EXPECT_FALSE(LsaModel::Train({}, {}).ok());
  EXPECT_FALSE(LsaModel::Train({"only one chunk"}, {}).ok());
  EXPECT_FALSE(LsaModel::Train({"alpha beta", "gamma delta"}, {}).ok());  // no term in 2 chunks
}

TEST(LsaModelTest, SavedModelsLoadAndEmbedTheSame) {
  LsaOptions o;
  o.dimensions = 4;
  auto model = LsaModel::Train(Corpus(), o);
  ASSERT_TRUE(model.ok());
  std::string bytes = model->Save();
  auto loaded = LsaModel::Load(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->id(), model->id());
  EXPECT_EQ(loaded->vocabulary_size(), model->vocabulary_size());
  EXPECT_EQ(loaded->Embed(std::string_view("a truck on the road")),
            model->Embed(std::string_view("a truck on the road")));
  // Truncated, flipped or foreign bytes are refused.
  EXPECT_FALSE(LsaModel::Load(bytes.substr(0, bytes.size() / 2)).ok());
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_FALSE(LsaModel::Load(flipped).ok());
  EXPECT_FALSE(LsaModel::Load("").ok());
  EXPECT_FALSE(LsaModel::Load(std::string(64, 'x')).ok());
}

TEST(LsaModelTest, TrainingStopsWhenCancelled) {
  LsaOptions o;
  o.dimensions = 4;
  int polls = 0;
  o.cancelled = [&polls] { return ++polls > 1; };
  auto model = LsaModel::Train(Corpus(), o);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace studybot::ai
