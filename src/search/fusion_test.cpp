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

}  // namespace
}  // namespace studybot::search
