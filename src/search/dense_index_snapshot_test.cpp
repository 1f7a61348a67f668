// DenseIndex::Save / Load: round trips in both regimes and rejection of damaged snapshots.
#include <gtest/gtest.h>

#include <cstring>

#include "search/binary_io.h"
#include "search/dense_index.h"
#include "search/dense_testing.h"

namespace studybot::search {
namespace {

using Hits = std::vector<DenseIndex::Hit>;

constexpr std::size_t kDims = 8;

DenseIndexOptions Options(bool graph) {
  DenseIndexOptions options;
  options.dimensions = kDims;
  options.initial_capacity = 8;
  options.exact_search_threshold = graph ? 0 : 1'000'000;
  options.auto_compact_limit = 0;
  return options;
}

std::span<const float> Row(const std::vector<float>& rows, std::size_t i) {
  return {rows.data() + i * kDims, kDims};
}

// An index of `count` points, a fifth of them removed and a fifth replaced (tombstones when
// `graph`).
DenseIndex MakeIndex(bool graph, std::size_t count, const std::vector<float>& rows) {
  DenseIndex index(Options(graph));
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(index.Upsert(static_cast<int64_t>(i) * 3 - 100, Row(rows, i)).ok());
  }
  for (std::size_t i = 0; i < count; i += 5)
    index.Remove(static_cast<int64_t>(i) * 3 - 100);
  for (std::size_t i = 1; i < count; i += 5) {
    EXPECT_TRUE(index.Upsert(static_cast<int64_t>(i) * 3 - 100, Row(rows, count + i)).ok());
  }
  return index;
}

ErrorCode LoadError(std::string_view data, const DenseIndexOptions& options) {
  auto loaded = DenseIndex::Load(data, options);
  return loaded.ok() ? ErrorCode::kInternal : loaded.error().code;
}

// Rewrites the trailing checksum after a deliberate change, as a forger would.
void FixChecksum(std::string& snapshot) {
  const uint32_t crc = Crc32(std::string_view(snapshot).substr(0, snapshot.size() - 4));
  std::memcpy(snapshot.data() + snapshot.size() - 4, &crc, 4);
}

class DenseIndexSnapshotTest : public ::testing::TestWithParam<bool> {
 protected:
  std::vector<float> rows_ = ClusteredVectors({.count = 1000, .dimensions = kDims, .topics = 8});
};

INSTANTIATE_TEST_SUITE_P(Regimes, DenseIndexSnapshotTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Graph" : "Flat"; });

TEST_P(DenseIndexSnapshotTest, RoundTripGivesTheSameResults) {
  const DenseIndex index = MakeIndex(GetParam(), 400, rows_);
  std::string snapshot = "prefix";  // Save appends
  index.Save(snapshot);
  auto loaded = DenseIndex::Load(std::string_view(snapshot).substr(6), Options(GetParam()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), index.size());
  EXPECT_EQ(loaded->tombstones(), index.tombstones());
  EXPECT_EQ(loaded->has_graph(), GetParam());
  for (std::size_t q = 900; q < 1000; q += 7) {
    // The graph itself is restored, so even approximate results are identical.
    EXPECT_EQ(loaded->Search(Row(rows_, q), 10), index.Search(Row(rows_, q), 10));
    EXPECT_EQ(loaded->ExactSearch(Row(rows_, q), 10), index.ExactSearch(Row(rows_, q), 10));
  }
  // Saving the loaded index gives the same bytes.
  std::string again;
  loaded->Save(again);
  EXPECT_EQ(again, snapshot.substr(6));

  // A restored graph takes inserts, replacements and removals like a built one.
  for (std::size_t i = 400; i < 600; ++i) {
    ASSERT_TRUE(loaded->Upsert(static_cast<int64_t>(i) * 3 - 100, Row(rows_, i)).ok());
  }
  ASSERT_TRUE(loaded->Upsert(-100 + 3, Row(rows_, 999)).ok());
  ASSERT_TRUE(loaded->Remove(-100 + 6));
  const Hits hits = loaded->Search(Row(rows_, 999), 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(hits[0].second, 1.0f, 1e-5);
  loaded->Compact();
  EXPECT_EQ(loaded->tombstones(), 0u);
}

TEST_P(DenseIndexSnapshotTest, EmptyIndexRoundTrips) {
  std::string snapshot;
  DenseIndex(Options(GetParam())).Save(snapshot);
  auto loaded = DenseIndex::Load(snapshot, Options(GetParam()));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_TRUE(loaded->Search(Row(rows_, 0), 5).empty());
  ASSERT_TRUE(loaded->Upsert(1, Row(rows_, 0)).ok());
  EXPECT_EQ(loaded->Search(Row(rows_, 0), 5).size(), 1u);
}

TEST_P(DenseIndexSnapshotTest, OtherGraphParametersRebuildTheGraph) {
  const DenseIndex index = MakeIndex(GetParam(), 300, rows_);
  std::string snapshot;
  index.Save(snapshot);
  DenseIndexOptions options = Options(true);
  options.m = 8;  // a graph snapshot's links are for m = 16: rebuilt, without tombstones
  auto loaded = DenseIndex::Load(snapshot, options);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), index.size());
  EXPECT_EQ(loaded->tombstones(), 0u);
  EXPECT_TRUE(loaded->has_graph());
  for (std::size_t q = 900; q < 1000; q += 11) {
    EXPECT_EQ(loaded->ExactSearch(Row(rows_, q), 10), index.ExactSearch(Row(rows_, q), 10));
  }
  // A flat configuration makes any snapshot flat.
  auto flat = DenseIndex::Load(snapshot, Options(false));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->has_graph(), GetParam());  // a matching graph is kept, whatever the threshold
}

TEST_P(DenseIndexSnapshotTest, RejectsOtherDimensionsAndBadOptions) {
  std::string snapshot;
  MakeIndex(GetParam(), 50, rows_).Save(snapshot);
  DenseIndexOptions options = Options(GetParam());
  options.dimensions = 16;
  auto loaded = DenseIndex::Load(snapshot, options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(loaded.error().message.find("dimensions"), std::string::npos);
  options = Options(GetParam());
  options.m = 0;
  EXPECT_EQ(LoadError(snapshot, options), ErrorCode::kInvalidArgument);
}

TEST_P(DenseIndexSnapshotTest, RejectsEveryTruncationAndEveryFlippedByte) {
  std::string snapshot;
  MakeIndex(GetParam(), 40, rows_).Save(snapshot);
  const DenseIndexOptions options = Options(GetParam());
  ASSERT_TRUE(DenseIndex::Load(snapshot, options).ok());
  for (std::size_t length = 0; length < snapshot.size(); ++length) {
    ASSERT_EQ(LoadError(std::string_view(snapshot).substr(0, length), options),
              ErrorCode::kInvalidArgument)
        << length;
  }
  EXPECT_EQ(LoadError(snapshot + '\0', options), ErrorCode::kInvalidArgument);
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    std::string damaged = snapshot;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    ASSERT_EQ(LoadError(damaged, options), ErrorCode::kInvalidArgument) << i;
  }
}

// Past the checksum every field is still checked: forged bytes with a valid checksum are errors
// (or, where harmless, a valid index), never a crash. Run under ASan/UBSan to see it.
TEST_P(DenseIndexSnapshotTest, ForgedSnapshotsWithValidChecksumsAreSafe) {
  std::string snapshot;
  MakeIndex(GetParam(), 60, rows_).Save(snapshot);
  const DenseIndexOptions options = Options(GetParam());
  std::size_t rejected = 0;
  TestRandom random(99);
  for (int round = 0; round < 3000; ++round) {
    std::string forged = snapshot;
    const int changes = 1 + static_cast<int>(random.Next() % 3);
    for (int c = 0; c < changes; ++c) {
      const std::size_t at = random.Next() % (forged.size() - 4);
      forged[at] = static_cast<char>(random.Next() & 0xFF);
    }
    FixChecksum(forged);
    auto loaded = DenseIndex::Load(forged, options);
    if (!loaded.ok()) {
      ++rejected;
      EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
      continue;
    }
    // Accepted: it must behave (vector bytes are free to change, as long as they are finite).
    for (std::size_t q = 0; q < 3; ++q)
      loaded->Search(Row(rows_, 990 + q), 5);
    EXPECT_TRUE(loaded->Upsert(123456, Row(rows_, 999)).ok());
    loaded->Compact();
  }
  EXPECT_GT(rejected, 0u);
}

TEST(DenseIndexSnapshotFormatTest, ForgedCountsAndLinksAreRejected) {
  const std::vector<float> rows = ClusteredVectors({.count = 100, .dimensions = kDims});
  DenseIndex index(Options(true));
  for (std::size_t i = 0; i < 50; ++i)
    ASSERT_TRUE(index.Upsert(static_cast<int64_t>(i), Row(rows, i)).ok());
  std::string snapshot;
  index.Save(snapshot);
  const DenseIndexOptions options = Options(true);
  constexpr std::size_t kHeader = 28;
  constexpr std::size_t kSlots = 50;
  const std::size_t links = kHeader + kSlots * (8 + 1 + 4 * kDims) + 8;  // after the length
  auto forge = [&](std::size_t at, const void* bytes, std::size_t n) {
    std::string forged = snapshot;
    std::memcpy(forged.data() + at, bytes, n);
    FixChecksum(forged);
    return LoadError(forged, options);
  };
  const uint64_t huge = uint64_t{1} << 40;
  EXPECT_EQ(forge(20, &huge, 8), ErrorCode::kInvalidArgument);  // slot count
  const uint8_t state = 2;
  EXPECT_EQ(forge(kHeader + kSlots * 8, &state, 1), ErrorCode::kInvalidArgument);
  const int64_t duplicate = 1;
  EXPECT_EQ(forge(kHeader, &duplicate, 8), ErrorCode::kInvalidArgument);  // id 0 becomes 1
  const float nan = NAN;
  EXPECT_EQ(forge(kHeader + kSlots * 9, &nan, 4), ErrorCode::kInvalidArgument);
  const uint32_t out_of_range = 50;
  EXPECT_EQ(forge(links + 4, &out_of_range, 4), ErrorCode::kInvalidArgument);  // entry point
  const uint32_t max_level = 200;
  EXPECT_EQ(forge(links, &max_level, 4), ErrorCode::kInvalidArgument);
  const uint8_t level = 255;
  EXPECT_EQ(forge(links + 8, &level, 1), ErrorCode::kInvalidArgument);  // above the max level
  const std::size_t first_list = links + 8 + kSlots;
  const uint16_t count = 1000;
  EXPECT_EQ(forge(first_list, &count, 2), ErrorCode::kInvalidArgument);
  EXPECT_EQ(forge(first_list + 2, &out_of_range, 4), ErrorCode::kInvalidArgument);  // neighbour
  const uint32_t self = 0;
  EXPECT_EQ(forge(first_list + 2, &self, 4), ErrorCode::kInvalidArgument);
  const uint64_t length = 3;
  EXPECT_EQ(forge(links - 8, &length, 8), ErrorCode::kInvalidArgument);
  const uint8_t version = 2;
  EXPECT_EQ(forge(4, &version, 1), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace studybot::search
