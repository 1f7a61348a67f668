#include "search/hnsw_graph.h"

#include <gtest/gtest.h>

#include "search/dense_testing.h"

namespace studybot::search {
namespace {

constexpr std::size_t kDims = 24;

TEST(HnswGraphTest, SearchSkipsDeletedSlotsAndGrows) {
  HnswGraph graph({.dimensions = kDims, .m = 8, .ef_construction = 50, .capacity = 2});
  const auto rows = ClusteredVectors({.count = 500, .dimensions = kDims, .topics = 4});
  for (std::size_t i = 0; i < 500; ++i)
    EXPECT_EQ(graph.Add(&rows[i * kDims]), i);
  EXPECT_EQ(graph.slot_count(), 500u);
  EXPECT_GE(graph.capacity(), 500u);

  auto best = graph.Search(&rows[42 * kDims], 10);
  ASSERT_EQ(best.size(), 10u);
  EXPECT_EQ(best[0].first, 42u);
  EXPECT_NEAR(best[0].second, 1.0f, 1e-5);
  for (std::size_t i = 1; i < best.size(); ++i)
    EXPECT_GE(best[i - 1].second, best[i].second);

  graph.MarkDeleted(42);
  EXPECT_TRUE(graph.IsDeleted(42));
  for (const auto& [slot, score] : graph.Search(&rows[42 * kDims], 50))
    EXPECT_NE(slot, 42u);
  EXPECT_EQ(graph.Search(&rows[0], 1000).size(), 499u);  // a beam larger than the graph
}

TEST(HnswGraphTest, RestoreRebuildsTheSameGraph) {
  const HnswGraphParams params{.dimensions = kDims, .m = 6, .ef_construction = 40, .capacity = 8};
  HnswGraph graph(params);
  const auto rows = ClusteredVectors({.count = 300, .dimensions = kDims, .topics = 3, .seed = 7});
  for (std::size_t i = 0; i < 300; ++i)
    graph.Add(&rows[i * kDims]);
  std::vector<uint8_t> live(300, 1);
  for (uint32_t slot = 0; slot < 300; slot += 4) {
    graph.MarkDeleted(slot);
    live[slot] = 0;
  }
  std::string links;
  graph.AppendLinks(links);
  std::string vectors;
  for (uint32_t slot = 0; slot < 300; ++slot)
    PutArray(vectors, graph.Vector(slot), kDims);

  SnapshotReader in(links);
  auto restored = HnswGraph::Restore(params, vectors, live, in);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(in.remaining(), 0u);
  HnswGraph& copy = **restored;
  EXPECT_EQ(copy.slot_count(), 300u);
  EXPECT_TRUE(copy.IsDeleted(0));
  EXPECT_FALSE(copy.IsDeleted(1));
  for (std::size_t q = 0; q < 300; q += 13) {
    EXPECT_EQ(copy.Search(&rows[q * kDims], 10), graph.Search(&rows[q * kDims], 10));
  }
  std::string again;
  copy.AppendLinks(again);
  EXPECT_EQ(again, links);
  EXPECT_EQ(copy.Add(&rows[0]), 300u);  // and it takes new points

  // Every truncation of the links section is refused.
  for (std::size_t length = 0; length < links.size(); length += 7) {
    SnapshotReader short_in(std::string_view(links).substr(0, length));
    EXPECT_FALSE(HnswGraph::Restore(params, vectors, live, short_in).ok()) << length;
  }
}

}  // namespace
}  // namespace studybot::search
