// Bm25Index (search/bm25.h) on a synthetic 100k-chunk corpus: build time, memory, query latency
// for several query shapes, snapshot size and Save/Load time. Not a test; run by hand:
//   g++ -std=c++20 -O2 -Isrc -I<repo>/src bench/bm25_bench.cpp src/search/bm25.cpp -o
//   /tmp/bm25_bench
//
// Terms follow a Zipf-Mandelbrot law, p(rank) ~ 1 / (rank + 30), over a 50k-term vocabulary: the
// +30 stands for the stop words the analyzer removes, so the commonest term is in about 80% of the
// chunks rather than all of them.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "search/bm25.h"

namespace {

using Clock = std::chrono::steady_clock;
using studybot::search::Bm25Index;

constexpr int kDocs = 100'000;
constexpr int kTermsPerDoc = 300;
constexpr int kVocabulary = 50'000;
constexpr int kQueries = 2000;

double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Queries are timed in thread CPU time: the machine is shared with builds, and preemption would
// otherwise dominate the tail. (Cache pollution from neighbours still shows.)
double ThreadCpuMillis() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

class ZipfTerms {
 public:
  explicit ZipfTerms(uint64_t seed) : rng_(seed) {
    double sum = 0;
    for (int rank = 0; rank < kVocabulary; ++rank) {
      sum += 1.0 / (rank + 1 + 30);
      cdf_.push_back(sum);
    }
    for (double& c : cdf_)
      c /= sum;
  }
  int Rank() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<int>(std::ranges::lower_bound(cdf_, u) - cdf_.begin());
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

std::string Term(int rank) {
  return "t" + std::to_string(rank);
}

struct Latency {
  double mean_ms;
  double p50_ms;
  double p99_ms;
  std::size_t mean_hits;
};

template <typename MakeQuery>
Latency Measure(const Bm25Index& index, MakeQuery make_query,
                const std::function<bool(int64_t)>& accept = {}) {
  std::vector<std::vector<std::string>> queries;
  for (int i = 0; i < kQueries; ++i)
    queries.push_back(make_query());
  std::vector<double> times;
  std::size_t hits = 0;
  for (const auto& query : queries) {
    double start = ThreadCpuMillis();
    auto results = index.Search(query, 50, accept);
    times.push_back(ThreadCpuMillis() - start);
    hits += results.size();
  }
  std::ranges::sort(times);
  double total = 0;
  for (double t : times)
    total += t;
  return {total / kQueries, times[kQueries / 2], times[kQueries * 99 / 100], hits / kQueries};
}

void Report(const char* name, const Latency& l) {
  std::printf("  %-44s mean %.3f ms  p50 %.3f ms  p99 %.3f ms  (%zu hits)\n", name, l.mean_ms,
              l.p50_ms, l.p99_ms, l.mean_hits);
}

}  // namespace

int main() {
  ZipfTerms zipf(42);
  Bm25Index index;
  std::vector<std::string> terms;
  Clock::duration adding{};
  for (int doc = 0; doc < kDocs; ++doc) {
    terms.clear();
    for (int i = 0; i < kTermsPerDoc; ++i)
      terms.push_back(Term(zipf.Rank()));
    auto start = Clock::now();
    if (!index.Add(doc, terms).ok()) return 1;
    adding += Clock::now() - start;
  }
  std::printf("build: %d docs x %d terms, Add %.1f us per doc; %zu terms; ~%.0f MB\n", kDocs,
              kTermsPerDoc, Millis(adding) * 1e3 / kDocs, index.term_count(),
              index.ApproximateMemoryUsage() / 1e6);
  auto start = Clock::now();
  index.Compact();
  std::printf("Compact after build: %.0f ms; ~%.0f MB\n", Millis(Clock::now() - start),
              index.ApproximateMemoryUsage() / 1e6);

  std::printf("Search(k = 50), %d queries each:\n", kQueries);
  auto zipf_query = [&] {
    std::vector<std::string> q;
    for (int i = 0; i < 5; ++i)
      q.push_back(Term(zipf.Rank()));
    return q;
  };
  auto mid_query = [&] {
    std::vector<std::string> q;
    std::uniform_int_distribution<int> rank(100, 5000);
    for (int i = 0; i < 5; ++i)
      q.push_back(Term(rank(zipf.rng())));
    return q;
  };
  auto worst_query = [] {
    return std::vector<std::string>{Term(0), Term(1), Term(2), Term(3), Term(4)};
  };
  Report("5 Zipf terms (as real queries)", Measure(index, zipf_query));
  Report("5 terms of rank 100-5000", Measure(index, mid_query));
  Report("5 commonest terms (worst case)", Measure(index, worst_query));
  Report("5 Zipf terms, accept 1 doc in 3",
         Measure(index, zipf_query, [](int64_t doc) { return doc % 3 == 0; }));

  for (int doc = 0; doc < kDocs; doc += 10)
    index.Remove(doc);
  Report("5 Zipf terms, 10% removed (not compacted)", Measure(index, zipf_query));
  start = Clock::now();
  index.Compact();
  std::printf("  Compact with 10%% removed: %.0f ms\n", Millis(Clock::now() - start));
  Report("5 Zipf terms, after Compact", Measure(index, zipf_query));

  std::string snapshot;
  start = Clock::now();
  index.Save(snapshot);
  double save_ms = Millis(Clock::now() - start);
  start = Clock::now();
  auto loaded = Bm25Index::Load(snapshot);
  double load_ms = Millis(Clock::now() - start);
  if (!loaded.ok()) return 1;
  std::printf("snapshot: %.1f MB, Save %.0f ms, Load %.0f ms; loaded index ~%.0f MB\n",
              snapshot.size() / 1e6, save_ms, load_ms, loaded->ApproximateMemoryUsage() / 1e6);
  Report("5 Zipf terms, loaded index", Measure(*loaded, zipf_query));
  return 0;
}
