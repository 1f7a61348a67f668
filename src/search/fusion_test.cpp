#include "search/fusion.h"

#include <gtest/gtest.h>

namespace studybot::search {
namespace {

TEST(FusionTest, SumsReciprocalRanksAndKeepsBothRanks) {
  // Chunk 2 is second in both lists; 1 and 3 are each first in one list only.
  auto hits = FuseRrf({{1, 9.f}, {2, 5.f}, {4, 1.f}}, {{3, .9f}, {2, .8f}}, 10);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_DOUBLE_EQ(hits[0].score, 2.0 / 62.0);
  EXPECT_EQ(hits[0].keyword_rank, 2);
  EXPECT_EQ(hits[0].dense_rank, 2);
  // 1 and 3 tie on score (1/61) and on best rank: the smaller id first.
  EXPECT_EQ(hits[1].chunk_id, 1);
  EXPECT_EQ(hits[1].keyword_rank, 1);
  EXPECT_EQ(hits[1].dense_rank, 0);
  EXPECT_EQ(hits[2].chunk_id, 3);
  EXPECT_EQ(hits[2].dense_rank, 1);
  EXPECT_EQ(hits[3].chunk_id, 4);
  EXPECT_DOUBLE_EQ(hits[3].score, 1.0 / 63.0);
}

TEST(FusionTest, TableOfCases) {
  struct Case {
    std::vector<std::pair<int64_t, float>> keyword, dense;
    std::size_t top_k;
    std::vector<int64_t> expected;
  };
  for (const auto& c : std::vector<Case>{
           {{}, {}, 5, {}},
           {{{7, 1}}, {}, 5, {7}},
           {{}, {{7, 1}, {8, 1}}, 1, {7}},
           // 1/61 + 1/63 is a little more than 2/62: agreeing extremes beat a shared middle.
           {{{1, 1}, {2, 1}, {3, 1}}, {{3, 1}, {2, 1}, {1, 1}}, 3, {1, 3, 2}},
           // A duplicate in one list counts once, at its best rank.
           {{{5, 1}, {5, 1}, {6, 1}}, {}, 5, {5, 6}},
       }) {
    auto hits = FuseRrf(c.keyword, c.dense, c.top_k);
    std::vector<int64_t> ids;
    for (const auto& h : hits)
      ids.push_back(h.chunk_id);
    EXPECT_EQ(ids, c.expected);
  }
}

TEST(FusionTest, ConvexWeighsNormalisedBm25AgainstCosine) {
  // BM25 normalised by its best candidate; a keyword-only hit gets its cosine from the lookup.
  std::vector<std::pair<int64_t, float>> keyword{{1, 10.f}, {2, 5.f}};
  std::vector<std::pair<int64_t, float>> dense{{3, 0.9f}, {2, 0.8f}};
  auto cosine = [](int64_t id) -> std::optional<float> {
    if (id == 1) return 0.1f;
    return std::nullopt;
  };
  auto hits = FuseConvex(keyword, dense, cosine, 10, 0.4);
  ASSERT_EQ(hits.size(), 3u);
  // 2: 0.4*0.5 + 0.6*0.8 = 0.68; 3: 0.6*0.9 = 0.54; 1: 0.4*1 + 0.6*0.1 = 0.46.
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_NEAR(hits[0].score, 0.68, 1e-6);
  EXPECT_EQ(hits[0].keyword_rank, 2);
  EXPECT_EQ(hits[0].dense_rank, 2);
  EXPECT_EQ(hits[1].chunk_id, 3);
  EXPECT_NEAR(hits[1].score, 0.54, 1e-6);
  EXPECT_EQ(hits[1].keyword_rank, 0);
  EXPECT_EQ(hits[2].chunk_id, 1);
  EXPECT_NEAR(hits[2].score, 0.46, 1e-6);
  EXPECT_NEAR(hits[2].dense_score, 0.1, 1e-6);
  EXPECT_EQ(hits[2].dense_rank, 0);
  // top_k cuts; no lookup means 0 for the missing side; empty lists give nothing.
  EXPECT_EQ(FuseConvex(keyword, dense, {}, 1, 0.4).size(), 1u);
  EXPECT_NEAR(FuseConvex(keyword, {}, {}, 10, 0.4)[0].score, 0.4, 1e-6);
  EXPECT_TRUE(FuseConvex({}, {}, {}, 10).empty());
}

}  // namespace
}  // namespace studybot::search
