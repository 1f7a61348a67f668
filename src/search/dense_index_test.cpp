#include "search/dense_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <thread>

#include "search/binary_io.h"
#include "search/dense_testing.h"

namespace studybot::search {
namespace {

using Hits = std::vector<DenseIndex::Hit>;

DenseIndexOptions Options(int dimensions, bool graph) {
  DenseIndexOptions options;
  options.dimensions = dimensions;
  options.initial_capacity = 16;
  // 0: a graph from the first point; otherwise these small tests stay flat.
  options.exact_search_threshold = graph ? 0 : 1'000'000;
  return options;
}

std::vector<float> Unit(std::vector<float> v) {
  NormalizeForTest(v.data(), v.size());
  return v;
}

std::span<const float> Row(const std::vector<float>& rows, std::size_t dims, std::size_t i) {
  return {rows.data() + i * dims, dims};
}

std::vector<int64_t> Ids(const Hits& hits) {
  std::vector<int64_t> ids;
  for (const auto& hit : hits)
    ids.push_back(hit.first);
  return ids;
}

// Fraction of `truth`'s ids found in `got`.
double Recall(const Hits& got, const Hits& truth) {
  if (truth.empty()) return 1.0;
  std::set<int64_t> found;
  for (const auto& hit : got)
    found.insert(hit.first);
  std::size_t hits = 0;
  for (const auto& hit : truth)
    hits += found.count(hit.first);
  return static_cast<double>(hits) / static_cast<double>(truth.size());
}

// `count` clustered points followed by `queries` more from the same clusters.
struct Dataset {
  std::vector<float> rows;
  std::vector<float> queries;
};

Dataset MakeDataset(std::size_t count, std::size_t queries, std::size_t dims, uint64_t seed,
                    std::size_t topics = 50) {
  auto all = ClusteredVectors(
      {.count = count + queries, .dimensions = dims, .topics = topics, .seed = seed});
  Dataset data;
  data.queries.assign(all.begin() + static_cast<std::ptrdiff_t>(count * dims), all.end());
  all.resize(count * dims);
  data.rows = std::move(all);
  return data;
}

void Fill(DenseIndex& index, const std::vector<float>& rows, std::size_t dims,
          int64_t first_id = 0) {
  for (std::size_t i = 0; i < rows.size() / dims; ++i) {
    ASSERT_TRUE(index.Upsert(first_id + static_cast<int64_t>(i), Row(rows, dims, i)).ok());
  }
}

TEST(DenseIndexOptionsTest, RejectsOutOfRangeValues) {
  DenseIndexOptions ok;
  ok.dimensions = 8;
  EXPECT_TRUE(ok.Validate().ok());
  auto bad = [&](auto mutate) {
    DenseIndexOptions o = ok;
    mutate(o);
    const Status s = o.Validate();
    return !s.ok() && s.error().code == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.dimensions = 0; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.m = 1; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.m = 5000; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.ef_construction = 0; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.ef_search = 0; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.initial_capacity = 0; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.exact_filter_fraction = 1.5; }));
  EXPECT_TRUE(bad([](DenseIndexOptions& o) { o.max_tombstone_fraction = 0; }));
}

// The basic contract, in both regimes.
class DenseIndexRegimeTest : public ::testing::TestWithParam<bool> {
 protected:
  DenseIndex index_{Options(4, GetParam())};
};

INSTANTIATE_TEST_SUITE_P(Regimes, DenseIndexRegimeTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Graph" : "Flat"; });

TEST_P(DenseIndexRegimeTest, UpsertSearchRemove) {
  EXPECT_EQ(index_.has_graph(), GetParam());
  ASSERT_TRUE(index_.Upsert(10, Unit({1, 0, 0, 0})).ok());
  ASSERT_TRUE(index_.Upsert(20, Unit({1, 1, 0, 0})).ok());
  ASSERT_TRUE(index_.Upsert(30, Unit({0, 0, 1, 0})).ok());
  EXPECT_EQ(index_.size(), 3u);

  const std::vector<float> query = Unit({1, 0.1f, 0, 0});
  Hits hits = index_.Search(query, 10);
  ASSERT_EQ(Ids(hits), (std::vector<int64_t>{10, 20, 30}));
  EXPECT_NEAR(hits[0].second, 1 / std::sqrt(1.01f), 1e-6);
  EXPECT_NEAR(hits[2].second, 0.0f, 1e-6);
  EXPECT_EQ(Ids(index_.Search(query, 1)), (std::vector<int64_t>{10}));
  EXPECT_TRUE(index_.Search(query, 0).empty());

  EXPECT_TRUE(index_.Remove(10));
  EXPECT_FALSE(index_.Remove(10));
  EXPECT_FALSE(index_.Contains(10));
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_EQ(Ids(index_.Search(query, 10)), (std::vector<int64_t>{20, 30}));
  EXPECT_EQ(index_.tombstones(), GetParam() ? 1u : 0u);
}

TEST_P(DenseIndexRegimeTest, RejectsBadVectorsAndQueries) {
  auto code = [](const Status& s) { return s.ok() ? ErrorCode::kInternal : s.error().code; };
  EXPECT_EQ(code(index_.Upsert(1, Unit({1, 0, 0}))), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(index_.Upsert(1, std::vector<float>{1, 1, 0, 0})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(index_.Upsert(1, std::vector<float>{NAN, 0, 0, 0})), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(index_.Upsert(1, std::vector<float>{INFINITY, 0, 0, 0})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(index_.size(), 0u);
  ASSERT_TRUE(index_.Upsert(1, Unit({1, 0, 0, 0})).ok());
  EXPECT_TRUE(index_.Search(Unit({1, 0, 0}), 5).empty());
  EXPECT_TRUE(index_.Search(std::vector<float>{NAN, 0, 0, 0}, 5).empty());
}

TEST_P(DenseIndexRegimeTest, ReplaceMovesThePoint) {
  ASSERT_TRUE(index_.Upsert(1, Unit({1, 0, 0, 0})).ok());
  ASSERT_TRUE(index_.Upsert(2, Unit({0, 1, 0, 0})).ok());
  ASSERT_TRUE(index_.Upsert(1, Unit({0, 0, 0, 1})).ok());
  EXPECT_EQ(index_.size(), 2u);
  Hits hits = index_.Search(Unit({0, 0, 0, 1}), 1);
  ASSERT_EQ(Ids(hits), (std::vector<int64_t>{1}));
  EXPECT_NEAR(hits[0].second, 1.0f, 1e-6);
  // Only the replaced vector counts: nothing near the old one remains under id 1.
  EXPECT_NEAR(index_.Search(Unit({1, 0, 0, 0}), 2)[0].second, 0.0f, 1e-6);
  EXPECT_EQ(index_.tombstones(), GetParam() ? 1u : 0u);

  // The same vector again changes nothing, not even a tombstone.
  ASSERT_TRUE(index_.Upsert(1, Unit({0, 0, 0, 1})).ok());
  EXPECT_EQ(index_.tombstones(), GetParam() ? 1u : 0u);
}

TEST_P(DenseIndexRegimeTest, ReAddsARemovedId) {
  ASSERT_TRUE(index_.Upsert(7, Unit({1, 0, 0, 0})).ok());
  ASSERT_TRUE(index_.Upsert(8, Unit({0, 1, 0, 0})).ok());
  ASSERT_TRUE(index_.Remove(7));
  ASSERT_TRUE(index_.Upsert(7, Unit({0, 0, 1, 0})).ok());
  ASSERT_TRUE(index_.Remove(7));
  ASSERT_TRUE(index_.Upsert(7, Unit({0, 0, 1, 0})).ok());  // the same vector as a removed one
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_EQ(Ids(index_.Search(Unit({0, 0, 1, 0}), 2)), (std::vector<int64_t>{7, 8}));
  EXPECT_NEAR(index_.Search(Unit({0, 0, 1, 0}), 1)[0].second, 1.0f, 1e-6);
  EXPECT_EQ(Ids(index_.ExactSearch(Unit({1, 0, 0, 0}), 1)), (std::vector<int64_t>{7}));
  EXPECT_NEAR(index_.ExactSearch(Unit({1, 0, 0, 0}), 1)[0].second, 0.0f, 1e-6);
}

TEST_P(DenseIndexRegimeTest, TiesAreOrderedById) {
  for (int64_t id : {5, 3, 9, 1})
    ASSERT_TRUE(index_.Upsert(id, Unit({0, 1, 0, 0})).ok());
  EXPECT_EQ(Ids(index_.Search(Unit({0, 1, 0, 0}), 3)), (std::vector<int64_t>{1, 3, 5}));
}

TEST(DenseIndexTest, GrowsPastTheInitialCapacity) {
  constexpr std::size_t kDims = 16;
  DenseIndexOptions options = Options(kDims, true);
  options.initial_capacity = 4;
  DenseIndex index(options);
  const auto rows = ClusteredVectors({.count = 1000, .dimensions = kDims, .topics = 5, .seed = 3});
  Fill(index, rows, kDims);
  EXPECT_EQ(index.size(), 1000u);
  for (std::size_t i = 0; i < 1000; i += 37) {
    Hits hits = index.Search(Row(rows, kDims, i), 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_NEAR(hits[0].second, 1.0f, 1e-5) << i;  // itself (or an identical vector)
  }
}

TEST(DenseIndexTest, ExactBelowTheThresholdThenAGraph) {
  constexpr std::size_t kDims = 32;
  // A deliberately poor graph, so that a graph search would be visibly approximate.
  DenseIndexOptions options = Options(kDims, false);
  options.m = 2;
  options.ef_construction = 2;
  options.ef_search = 1;
  options.exact_search_threshold = 1500;
  const auto [rows, queries] = MakeDataset(1600, 50, kDims, 5);

  DenseIndex index(options);
  for (std::size_t i = 0; i < 1499; ++i) {
    ASSERT_TRUE(index.Upsert(static_cast<int64_t>(i), Row(rows, kDims, i)).ok());
  }
  EXPECT_FALSE(index.has_graph());
  for (std::size_t q = 0; q < 50; ++q) {
    EXPECT_EQ(index.Search(Row(queries, kDims, q), 10),
              index.ExactSearch(Row(queries, kDims, q), 10));
  }

  ASSERT_TRUE(index.Upsert(1499, Row(rows, kDims, 1499)).ok());
  EXPECT_TRUE(index.has_graph());
  double recall = 0;
  for (std::size_t q = 0; q < 50; ++q) {
    recall += Recall(index.Search(Row(queries, kDims, q), 10),
                     index.ExactSearch(Row(queries, kDims, q), 10));
  }
  EXPECT_LT(recall / 50, 1.0);  // the graph answers now

  // Back below the threshold (the graph stays until compaction), searches are exact again.
  ASSERT_TRUE(index.Remove(0));
  for (std::size_t q = 0; q < 50; ++q) {
    EXPECT_EQ(index.Search(Row(queries, kDims, q), 10),
              index.ExactSearch(Row(queries, kDims, q), 10));
  }
}

class DenseIndexFilterTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kDims = 32;
  static constexpr std::size_t kPoints = 10'000;

  static void SetUpTestSuite() {
    Dataset data = MakeDataset(kPoints, 20, kDims, 1);
    rows_ = new std::vector<float>(std::move(data.rows));
    queries_ = new std::vector<float>(std::move(data.queries));
    DenseIndexOptions options = Options(kDims, true);
    index_ = new DenseIndex(options);
    Fill(*index_, *rows_, kDims);
  }
  static void TearDownTestSuite() {
    delete index_;
    delete rows_;
    delete queries_;
  }

  // For each query: Search and ExactSearch agree on `recall` and return min(k, accepted).
  static void Check(const DenseIndex::Filter& accept, std::size_t accepted, double min_recall) {
    double recall = 0;
    for (std::size_t q = 0; q < 20; ++q) {
      const Hits hits = index_->Search(Row(*queries_, kDims, q), 10, accept);
      ASSERT_EQ(hits.size(), std::min<std::size_t>(10, accepted));
      for (const auto& hit : hits)
        ASSERT_TRUE(accept(hit.first)) << hit.first;
      recall += Recall(hits, index_->ExactSearch(Row(*queries_, kDims, q), 10, accept));
    }
    EXPECT_GE(recall / 20, min_recall);
  }

  static std::vector<float>* rows_;
  static std::vector<float>* queries_;
  static DenseIndex* index_;
};

std::vector<float>* DenseIndexFilterTest::rows_ = nullptr;
std::vector<float>* DenseIndexFilterTest::queries_ = nullptr;
DenseIndex* DenseIndexFilterTest::index_ = nullptr;

TEST_F(DenseIndexFilterTest, HalfTheIds) {
  Check([](int64_t id) { return id % 2 == 0; }, kPoints / 2, 0.95);
}

TEST_F(DenseIndexFilterTest, TenPercent) {
  Check([](int64_t id) { return id % 10 == 3; }, kPoints / 10, 0.95);
}

TEST_F(DenseIndexFilterTest, OnePercentStillReturnsK) {
  Check([](int64_t id) { return id % 100 == 42; }, kPoints / 100, 1.0);
}

TEST_F(DenseIndexFilterTest, AContiguousRangeLikeOneSource) {
  Check([](int64_t id) { return id >= 5000 && id < 5300; }, 300, 0.95);
}

TEST_F(DenseIndexFilterTest, FewerAcceptedThanK) {
  Check([](int64_t id) { return id == 17 || id == 4242 || id == 9999; }, 3, 1.0);
  Check([](int64_t) { return false; }, 0, 1.0);
}

TEST(DenseIndexRecallTest, HnswRecallAt10IsAtLeast95PercentOn20kClustered384d) {
  constexpr std::size_t kDims = 384;
  constexpr std::size_t kQueries = 200;
  DenseIndexOptions options;
  options.dimensions = kDims;  // defaults otherwise: m 16, ef_construction 200, ef_search 64
  DenseIndex index(options);
  const auto [rows, queries] = MakeDataset(20'000, kQueries, kDims, 11);
  Fill(index, rows, kDims);
  ASSERT_TRUE(index.has_graph());
  double recall = 0;
  for (std::size_t q = 0; q < kQueries; ++q) {
    recall += Recall(index.Search(Row(queries, kDims, q), 10),
                     index.ExactSearch(Row(queries, kDims, q), 10));
  }
  recall /= kQueries;
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.95);
}

TEST(DenseIndexCompactionTest, CompactionKeepsResults) {
  constexpr std::size_t kDims = 32;
  DenseIndexOptions options = Options(kDims, false);
  options.exact_search_threshold = 500;
  options.auto_compact_limit = 0;  // compaction by hand only
  DenseIndex index(options);
  const auto [rows, queries] = MakeDataset(4000, 30, kDims, 21);
  Fill(index, rows, kDims);
  for (int64_t id = 0; id < 4000; id += 5)
    ASSERT_TRUE(index.Remove(id));
  for (int64_t id = 1; id < 4000; id += 5) {  // replaced by their neighbour's vector
    ASSERT_TRUE(index.Upsert(id, Row(rows, kDims, static_cast<std::size_t>(id + 1))).ok());
  }
  EXPECT_EQ(index.size(), 3200u);
  EXPECT_EQ(index.tombstones(), 1600u);
  EXPECT_TRUE(index.NeedsCompaction());

  std::vector<Hits> exact_before;
  std::vector<Hits> graph_before;
  for (std::size_t q = 0; q < 30; ++q) {
    exact_before.push_back(index.ExactSearch(Row(queries, kDims, q), 10));
    graph_before.push_back(index.Search(Row(queries, kDims, q), 10));
  }
  index.Compact();
  EXPECT_EQ(index.size(), 3200u);
  EXPECT_EQ(index.tombstones(), 0u);
  EXPECT_FALSE(index.NeedsCompaction());
  EXPECT_TRUE(index.has_graph());
  double recall_before = 0;
  double recall_after = 0;
  for (std::size_t q = 0; q < 30; ++q) {
    EXPECT_EQ(index.ExactSearch(Row(queries, kDims, q), 10), exact_before[q]);
    recall_before += Recall(graph_before[q], exact_before[q]);
    recall_after += Recall(index.Search(Row(queries, kDims, q), 10), exact_before[q]);
  }
  EXPECT_GE(recall_before / 30, 0.95);
  EXPECT_GE(recall_after / 30, 0.95);
  EXPECT_FALSE(index.Contains(0));
  EXPECT_TRUE(index.Contains(1));

  // Compacting below the threshold goes back to the flat regime.
  for (int64_t id = 0; id < 3800; ++id)
    index.Remove(id);
  index.Compact();
  EXPECT_FALSE(index.has_graph());
  EXPECT_EQ(index.size(), 160u);
}

TEST(DenseIndexCompactionTest, UpsertAndRemoveCompactBelowTheLimit) {
  constexpr std::size_t kDims = 16;
  DenseIndexOptions options = Options(kDims, true);
  DenseIndex index(options);
  const auto rows = ClusteredVectors({.count = 1000, .dimensions = kDims, .seed = 31});
  Fill(index, rows, kDims);
  for (int64_t id = 0; id < 900; ++id) {
    ASSERT_TRUE(index.Remove(id));
    ASSERT_LE(static_cast<double>(index.tombstones()),
              0.3 * static_cast<double>(index.size() + index.tombstones()) + 64);
  }
  EXPECT_EQ(index.size(), 100u);
  EXPECT_EQ(Ids(index.Search(Row(rows, kDims, 950), 1)), (std::vector<int64_t>{950}));
}

TEST(DenseIndexTest, ConcurrentSearchesMatchSerialOnes) {
  constexpr std::size_t kDims = 64;
  DenseIndexOptions options = Options(kDims, true);
  DenseIndex index(options);
  const auto [rows, queries] = MakeDataset(3000, 64, kDims, 41);
  Fill(index, rows, kDims);
  for (int64_t id = 0; id < 3000; id += 7)
    index.Remove(id);  // searches then skip tombstones
  std::vector<Hits> serial;
  for (std::size_t q = 0; q < 64; ++q)
    serial.push_back(index.Search(Row(queries, kDims, q), 10));

  const DenseIndex& shared = index;
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t q = 0; q < 64; ++q) {
          const auto accept = [t](int64_t id) { return id % 4 != t; };
          if (shared.Search(Row(queries, kDims, q), 10) != serial[q]) ++mismatches[t];
          if (shared.Search(Row(queries, kDims, q), 10, accept).size() != 10) ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0, 0, 0}));
}

TEST(DenseIndexTest, MovedIndexKeepsWorking) {
  DenseIndex index(Options(4, true));
  ASSERT_TRUE(index.Upsert(1, Unit({1, 0, 0, 0})).ok());
  DenseIndex moved = std::move(index);
  ASSERT_TRUE(moved.Upsert(2, Unit({0, 1, 0, 0})).ok());
  EXPECT_EQ(Ids(moved.Search(Unit({1, 0, 0, 0}), 2)), (std::vector<int64_t>{1, 2}));
  EXPECT_GT(moved.ApproximateMemoryUsage(), 0u);
}

}  // namespace
}  // namespace studybot::search
