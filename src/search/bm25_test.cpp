#include "search/bm25.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

namespace studybot::search {
namespace {

using Terms = std::vector<std::string>;
using Hits = std::vector<std::pair<int64_t, float>>;
using Corpus = std::map<int64_t, Terms>;

// The formula of bm25.h, in doubles, straight from a corpus: what the index must agree with.
double ReferenceScore(const Corpus& corpus, const Terms& query, int64_t doc,
                      Bm25Params params = {}) {
  const double n = static_cast<double>(corpus.size());
  double total = 0;
  for (const auto& [id, terms] : corpus)
    total += static_cast<double>(terms.size());
  const double avgdl = total / n;
  const Terms& d = corpus.at(doc);
  std::set<std::string> distinct(query.begin(), query.end());
  double score = 0;
  for (const std::string& q : distinct) {
    double df = 0;
    for (const auto& [id, terms] : corpus)
      df += std::ranges::count(terms, q) > 0 ? 1 : 0;
    double tf = std::min<double>(static_cast<double>(std::ranges::count(d, q)), 255);
    if (tf == 0) continue;
    double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
    double norm = params.k1 * (1 - params.b + params.b * static_cast<double>(d.size()) / avgdl);
    score += idf * tf * (params.k1 + 1) / (tf + norm);
  }
  return score;
}

// All documents with a positive reference score, best first, ties by doc.
Hits ReferenceSearch(const Corpus& corpus, const Terms& query, Bm25Params params = {}) {
  Hits hits;
  for (const auto& [doc, terms] : corpus) {
    double score = ReferenceScore(corpus, query, doc, params);
    if (score > 0) hits.emplace_back(doc, static_cast<float>(score));
  }
  std::ranges::stable_sort(hits, [](const auto& a, const auto& b) { return a.second > b.second; });
  return hits;
}

Bm25Index Build(const Corpus& corpus, Bm25Params params = {}) {
  Bm25Index index(params);
  for (const auto& [doc, terms] : corpus)
    EXPECT_TRUE(index.Add(doc, terms).ok());
  return index;
}

void ExpectSameHits(const Hits& actual, const Hits& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].first, expected[i].first) << "rank " << i;
    EXPECT_NEAR(actual[i].second, expected[i].second, 1e-5 * expected[i].second) << "rank " << i;
  }
}

const Corpus kTiny = {
    {1, {"cat", "dog", "cat"}},
    {2, {"dog", "bird"}},
    {3, {"fish"}},
    {4, {"cat", "bird", "fish", "fish"}},
};

TEST(Bm25Test, KnownValues) {
  Bm25Index index = Build(kTiny);
  // N = 4, avgdl = 2.5, df(cat) = 2: idf = ln 2. Doc 1: tf 2, |D| 3.
  // ln 2 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 2.5)) = 0.902321773...
  Hits hits = index.Search({"cat"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 1);
  EXPECT_NEAR(hits[0].second, 0.9023218f, 1e-6);
  // "fish": the short doc 3 (tf 1, |D| 1) beats doc 4 (tf 2, |D| 4).
  // ln 2 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 1 / 2.5)) = 0.918628813...
  // ln 2 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 4 / 2.5)) = 0.815467271...
  hits = index.Search({"fish"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 3);
  EXPECT_NEAR(hits[0].second, 0.9186288f, 1e-6);
  EXPECT_EQ(hits[1].first, 4);
  EXPECT_NEAR(hits[1].second, 0.8154673f, 1e-6);
}

struct QueryCase {
  const char* name;
  Terms query;
  Bm25Params params;
};

class Bm25TableTest : public ::testing::TestWithParam<QueryCase> {};

TEST_P(Bm25TableTest, MatchesTheFormula) {
  const QueryCase& c = GetParam();
  Bm25Index index = Build(kTiny, c.params);
  ExpectSameHits(index.Search(c.query, 10), ReferenceSearch(kTiny, c.query, c.params));
}

const QueryCase kQueryCases[] = {
    {"one term", {"dog"}, {}},
    {"two terms", {"cat", "bird"}, {}},
    {"all terms", {"cat", "dog", "bird", "fish"}, {}},
    {"duplicate query terms count once", {"fish", "fish", "cat"}, {}},
    {"unknown term ignored", {"cat", "zebra"}, {}},
    {"no length normalisation", {"cat", "fish"}, {.k1 = 1.2f, .b = 0.0f}},
    {"full length normalisation", {"bird", "fish"}, {.k1 = 2.0f, .b = 1.0f}},
    {"binary tf", {"cat", "dog"}, {.k1 = 0.0f, .b = 0.75f}},
};

INSTANTIATE_TEST_SUITE_P(Cases, Bm25TableTest, ::testing::ValuesIn(kQueryCases),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(Bm25Test, RankingTiesAndK) {
  Corpus corpus = {
      {30, {"apple", "pear"}}, {10, {"apple", "pear"}},
      {20, {"apple", "pear"}}, {40, {"apple", "apple", "apple", "pear"}},
      {50, {"pear", "plum"}},  {60, {"plum"}},
  };
  Bm25Index index = Build(corpus);
  Hits hits = index.Search({"apple"}, 10);
  ASSERT_EQ(hits.size(), 4u);
  EXPECT_EQ(hits[0].first, 40);  // most occurrences
  // Equal scores come by ascending doc number, whatever the insertion order.
  EXPECT_EQ(hits[1].first, 10);
  EXPECT_EQ(hits[2].first, 20);
  EXPECT_EQ(hits[3].first, 30);
  EXPECT_EQ(hits[1].second, hits[3].second);

  hits = index.Search({"apple"}, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].first, 40);
  EXPECT_EQ(hits[1].first, 10);

  EXPECT_TRUE(index.Search({"apple"}, 0).empty());
  EXPECT_TRUE(index.Search({}, 10).empty());
  EXPECT_TRUE(index.Search({"kiwi"}, 10).empty());
  // A rarer term weighs more: "plum" (df 2) beats "pear" (df 5) in doc 50's score.
  EXPECT_GT(index.Search({"plum"}, 1)[0].second, index.Search({"pear"}, 10).back().second);
}

TEST(Bm25Test, TermFrequencyIsCapped) {
  Corpus corpus = {{1, Terms(300, "spam")}, {2, {"spam", "ham"}}, {3, {"ham"}}};
  Bm25Index index = Build(corpus);
  ExpectSameHits(index.Search({"spam"}, 10), ReferenceSearch(corpus, {"spam"}));
}

TEST(Bm25Test, EmptyDocumentCountsButNeverMatches) {
  Corpus corpus = kTiny;
  corpus[9] = {};
  Bm25Index index = Build(corpus);
  EXPECT_EQ(index.size(), 5u);
  EXPECT_TRUE(index.Contains(9));
  ExpectSameHits(index.Search({"cat", "fish"}, 10), ReferenceSearch(corpus, {"cat", "fish"}));
}

TEST(Bm25Test, AddReplacesAndRemoveForgets) {
  Bm25Index index = Build(kTiny);
  ASSERT_TRUE(index.Add(3, {"cat", "cat", "cat"}).ok());  // doc 3 was {"fish"}
  Corpus expected = kTiny;
  expected[3] = {"cat", "cat", "cat"};
  EXPECT_EQ(index.size(), 4u);
  ExpectSameHits(index.Search({"cat", "fish"}, 10), ReferenceSearch(expected, {"cat", "fish"}));

  EXPECT_TRUE(index.Remove(1));
  EXPECT_FALSE(index.Remove(1));
  EXPECT_FALSE(index.Remove(12345));
  EXPECT_FALSE(index.Contains(1));
  expected.erase(1);
  EXPECT_EQ(index.size(), 3u);
  ExpectSameHits(index.Search({"cat", "dog"}, 10), ReferenceSearch(expected, {"cat", "dog"}));

  for (int64_t doc : {2, 3, 4})
    EXPECT_TRUE(index.Remove(doc));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Search({"cat", "dog", "fish"}, 10).empty());
}

// A random corpus over a small vocabulary, so that terms are shared and tf varies.
Corpus RandomCorpus(int docs, uint32_t seed, int64_t first_doc = 0) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> length(0, 30);
  std::geometric_distribution<int> word(0.15);
  Corpus corpus;
  for (int i = 0; i < docs; ++i) {
    Terms terms;
    for (int n = length(rng); n > 0; --n)
      terms.push_back("w" + std::to_string(word(rng)));
    corpus[first_doc + i] = std::move(terms);
  }
  return corpus;
}

std::vector<Terms> RandomQueries(uint32_t seed) {
  std::mt19937 rng(seed);
  std::geometric_distribution<int> word(0.1);
  std::vector<Terms> queries;
  for (int i = 0; i < 40; ++i) {
    Terms query;
    for (int n = 1 + i % 5; n > 0; --n)
      query.push_back("w" + std::to_string(word(rng)));
    queries.push_back(std::move(query));
  }
  return queries;
}

void ExpectSameAsFresh(const Bm25Index& index, const Corpus& survivors) {
  Bm25Index fresh = Build(survivors);
  ASSERT_EQ(index.size(), fresh.size());
  for (const Terms& query : RandomQueries(7)) {
    Hits actual = index.Search(query, 25);
    Hits expected = fresh.Search(query, 25);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i].first, expected[i].first);
      EXPECT_FLOAT_EQ(actual[i].second, expected[i].second);
    }
  }
}

TEST(Bm25Test, RemovalScoresEqualAFreshIndex) {
  // Few removals: stays below the compaction threshold, so dead slots are live in Search.
  Corpus corpus = RandomCorpus(100, 1);
  Bm25Index index = Build(corpus);
  Corpus survivors = corpus;
  for (int64_t doc = 0; doc < 100; doc += 7) {
    EXPECT_TRUE(index.Remove(doc));
    survivors.erase(doc);
  }
  // Replacements leave dead slots too.
  for (int64_t doc = 1; doc < 100; doc += 13) {
    survivors[doc] = {"w1", "w2", "w2", "new"};
    ASSERT_TRUE(index.Add(doc, survivors[doc]).ok());
  }
  ExpectSameAsFresh(index, survivors);
  index.Compact();
  ExpectSameAsFresh(index, survivors);
}

TEST(Bm25Test, CompactionKeepsScoresAndDropsTerms) {
  Corpus corpus = RandomCorpus(400, 2);
  corpus[1000] = {"only", "here"};
  Bm25Index index = Build(corpus);
  const std::size_t terms_before = index.term_count();
  const std::size_t memory_before = index.ApproximateMemoryUsage();
  Corpus survivors = corpus;
  for (int64_t doc = 0; doc < 400; doc += 2) {
    EXPECT_TRUE(index.Remove(doc));
    survivors.erase(doc);
  }
  EXPECT_TRUE(index.Remove(1000));
  survivors.erase(1000);
  index.Compact();
  EXPECT_LT(index.term_count(), terms_before);  // "only" and "here" are gone
  EXPECT_LT(index.ApproximateMemoryUsage(), memory_before);
  ExpectSameAsFresh(index, survivors);
  // Adding after compaction still works and re-adds terms.
  survivors[2000] = {"only", "w0"};
  ASSERT_TRUE(index.Add(2000, survivors[2000]).ok());
  ExpectSameAsFresh(index, survivors);
}

TEST(Bm25Test, FilterAppliesToCandidates) {
  Corpus corpus = RandomCorpus(300, 3);
  Bm25Index index = Build(corpus);
  auto even = [](int64_t doc) { return doc % 2 == 0; };
  for (const Terms& query : RandomQueries(11)) {
    Hits all = index.Search(query, corpus.size());
    Hits expected;
    for (const auto& hit : all)
      if (even(hit.first) && expected.size() < 10) expected.push_back(hit);
    Hits actual = index.Search(query, 10, even);
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i].first, expected[i].first);
      EXPECT_EQ(actual[i].second, expected[i].second);
    }
  }
  EXPECT_TRUE(index.Search({"w0"}, 10, [](int64_t) { return false; }).empty());
}

TEST(Bm25Test, SaveLoadRoundTrip) {
  Corpus corpus = RandomCorpus(200, 4);
  corpus[INT64_MIN] = {"w1", "extreme"};
  corpus[INT64_MAX] = {"w2", "extreme"};
  corpus[-5] = {};
  Bm25Index index = Build(corpus);
  for (int64_t doc = 0; doc < 200; doc += 3) {
    index.Remove(doc);
    corpus.erase(doc);
  }
  std::string snapshot = "prefix";  // Save appends
  index.Save(snapshot);
  auto loaded = Bm25Index::Load(std::string_view(snapshot).substr(6));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), index.size());
  EXPECT_TRUE(loaded->Contains(INT64_MIN));
  EXPECT_TRUE(loaded->Contains(-5));
  EXPECT_FALSE(loaded->Contains(0));
  ExpectSameAsFresh(*loaded, corpus);
  EXPECT_EQ(loaded->Search({"extreme"}, 5).size(), 2u);

  // Deterministic, and the same bytes as a fresh index of the survivors built in the same order.
  std::string again;
  loaded->Save(again);
  EXPECT_EQ(again, snapshot.substr(6));

  // Parameters come from the caller.
  auto flat = Bm25Index::Load(again, {.k1 = 1.2f, .b = 0.0f});
  ASSERT_TRUE(flat.ok());
  ExpectSameHits(flat->Search({"w3"}, 500), ReferenceSearch(corpus, {"w3"}, {.k1 = 1.2f, .b = 0}));

  Bm25Index empty;
  std::string empty_snapshot;
  empty.Save(empty_snapshot);
  auto empty_loaded = Bm25Index::Load(empty_snapshot);
  ASSERT_TRUE(empty_loaded.ok());
  EXPECT_EQ(empty_loaded->size(), 0u);
}

TEST(Bm25Test, LoadRejectsTruncatedAndFlippedBytes) {
  Bm25Index index = Build(kTiny);
  std::string snapshot;
  index.Save(snapshot);
  for (std::size_t n = 0; n < snapshot.size(); ++n) {
    auto loaded = Bm25Index::Load(std::string_view(snapshot).substr(0, n));
    ASSERT_FALSE(loaded.ok()) << "prefix of " << n;
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);
  }
  for (std::size_t i = 0; i < snapshot.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = snapshot;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(Bm25Index::Load(bad).ok()) << "byte " << i << " bit " << bit;
    }
  }
  EXPECT_FALSE(Bm25Index::Load(snapshot + "x").ok());
}

// Snapshots with a correct checksum but a broken structure: what a buggy writer could produce.
class Bm25CraftedSnapshotTest : public ::testing::Test {
 protected:
  static void Varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  // Header + body + a valid FNV-1a checksum.
  static std::string Seal(const std::string& body, uint8_t version = 1) {
    std::string out = "SBKW";
    out.push_back(static_cast<char>(version));
    out += body;
    uint64_t hash = 14695981039346656037ULL;
    for (char c : out) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>((hash >> (8 * i)) & 0xFF));
    return out;
  }
  // Two docs (numbers 1 and 2, lengths 2 and 1), then the given term section.
  static std::string Docs() {
    std::string body;
    Varint(body, 2);
    Varint(body, 2);  // zigzag(1)
    Varint(body, 2);
    Varint(body, 4);  // zigzag(2)
    Varint(body, 1);
    return body;
  }
  static std::string Term(std::string_view text, std::vector<std::pair<uint64_t, uint8_t>> posts) {
    std::string out;
    Varint(out, text.size());
    out += text;
    Varint(out, posts.size());
    for (auto [gap, tf] : posts) {
      Varint(out, gap);
      out.push_back(static_cast<char>(tf));
    }
    return out;
  }
  static std::string Terms(std::initializer_list<std::string> terms) {
    std::string out;
    Varint(out, terms.size());
    for (const std::string& term : terms)
      out += term;
    return out;
  }
};

TEST_F(Bm25CraftedSnapshotTest, ValidOneLoads) {
  auto loaded =
      Bm25Index::Load(Seal(Docs() + Terms({Term("a", {{0, 1}, {0, 1}}), Term("b", {{0, 1}})})));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), 2u);
  EXPECT_EQ(loaded->Search({"b"}, 5).size(), 1u);
}

TEST_F(Bm25CraftedSnapshotTest, StructuralErrorsRejected) {
  std::string huge_count;
  Varint(huge_count, uint64_t{1} << 40);
  std::string overlong_varint(11, '\xFF');
  const std::string cases[] = {
      Seal(Docs() + Terms({Term("a", {{0, 1}})}), 2),                    // unknown version
      Seal(Docs() + Terms({Term("a", {{0, 1}})}) + "z"),                 // trailing bytes
      Seal(huge_count),                                                  // absurd doc count
      Seal(overlong_varint),                                             // varint beyond 64 bits
      Seal(Docs() + huge_count),                                         // absurd term count
      Seal(Docs() + Terms({Term("a", {{2, 1}})})),                       // posting past last doc
      Seal(Docs() + Terms({Term("a", {{1, 1}, {0, 1}})})),               // second one past too
      Seal(Docs() + Terms({Term("a", {{0, 0}})})),                       // tf 0
      Seal(Docs() + Terms({Term("a", {})})),                             // no postings
      Seal(Docs() + Terms({Term("a", {{0, 1}}), Term("a", {{1, 1}})})),  // duplicate term
      Seal(Docs() + Terms({Term("a", {{0, 3}})})),                       // tf above length
      Seal(Docs() + Terms({Term("a", {{0, 1}, {0, 1}, {0, 1}})})),       // more postings than docs
  };
  std::string duplicate_doc;
  Varint(duplicate_doc, 2);
  for (int i = 0; i < 2; ++i) {
    Varint(duplicate_doc, 2);
    Varint(duplicate_doc, 0);
  }
  Varint(duplicate_doc, 0);
  int i = 0;
  for (const std::string& snapshot : cases) {
    auto loaded = Bm25Index::Load(snapshot);
    EXPECT_FALSE(loaded.ok()) << "case " << i;
    ++i;
  }
  EXPECT_FALSE(Bm25Index::Load(Seal(duplicate_doc)).ok());
  EXPECT_FALSE(Bm25Index::Load(std::string(20, '\0')).ok());
}

TEST_F(Bm25CraftedSnapshotTest, MutatedBodiesNeverCrash) {
  // Re-sealed after mutation, so that the parser itself (not the checksum) meets the damage.
  Bm25Index index = Build(RandomCorpus(30, 5));
  std::string snapshot;
  index.Save(snapshot);
  const std::string body = snapshot.substr(5, snapshot.size() - 5 - 8);
  std::mt19937 rng(9);
  int loaded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = body;
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      std::size_t at = rng() % (mutated.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (at < mutated.size()) mutated[at] = static_cast<char>(rng());
          break;
        case 1:
          mutated.insert(at, 1, static_cast<char>(rng()));
          break;
        default:
          mutated.erase(at, rng() % 8);
      }
    }
    auto result = Bm25Index::Load(Seal(mutated));
    if (result.ok()) {
      ++loaded;
      (void)result->Search({"w0", "w1"}, 5);  // whatever loaded must be usable
    }
  }
  EXPECT_LT(loaded, 3000);
}

TEST(Bm25ParamsTest, Validate) {
  EXPECT_TRUE(Bm25Params{}.Validate().ok());
  EXPECT_TRUE((Bm25Params{.k1 = 0, .b = 1}).Validate().ok());
  EXPECT_FALSE((Bm25Params{.k1 = -1, .b = 0.5f}).Validate().ok());
  EXPECT_FALSE((Bm25Params{.k1 = NAN, .b = 0.5f}).Validate().ok());
  EXPECT_FALSE((Bm25Params{.k1 = 1, .b = 1.5f}).Validate().ok());
  EXPECT_FALSE((Bm25Params{.k1 = 1, .b = NAN}).Validate().ok());
}

}  // namespace
}  // namespace studybot::search
