// DenseIndex (search/dense_index.h) on 100k clustered 384-d unit vectors (search/dense_testing.h):
// build time, search latency and recall@10 against exact search at four beam widths, filtered
// search, where exact search beats the graph, memory, snapshot size and Save/Load/rebuild times.
// Not a test and not a google-benchmark: a plain main (about 4 minutes), run by hand:
//   g++ -std=c++20 -O2 -Isrc bench/dense_bench.cpp src/search/dense_index.cpp
//     src/search/hnsw_graph.cpp src/search/binary_io.cpp src/search/vector_math.cpp
//     -o /tmp/dense_bench && /tmp/dense_bench [points]
//
// Latencies are thread CPU time: the machine is shared with builds, and preemption would
// otherwise dominate the tail.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "search/dense_index.h"
#include "search/dense_testing.h"

namespace {

using studybot::search::ClusteredVectors;
using studybot::search::DenseIndex;
using studybot::search::DenseIndexOptions;
using Clock = std::chrono::steady_clock;
using Hits = std::vector<DenseIndex::Hit>;

constexpr std::size_t kDims = 384;
constexpr std::size_t kQueries = 1000;
constexpr std::size_t kK = 10;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double RssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * 4096.0 / (1 << 20);
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

double Recall(const Hits& got, const Hits& truth) {
  std::set<int64_t> found;
  for (const auto& hit : got)
    found.insert(hit.first);
  std::size_t hits = 0;
  for (const auto& hit : truth)
    hits += found.count(hit.first);
  return truth.empty() ? 1.0 : static_cast<double>(hits) / static_cast<double>(truth.size());
}

std::span<const float> Row(const std::vector<float>& rows, std::size_t i) {
  return {rows.data() + i * kDims, kDims};
}

struct Latency {
  double p50 = 0;
  double p99 = 0;
};

// Runs `search` once per query, returns its latency percentiles in microseconds.
template <typename F>
Latency Measure(std::size_t queries, F&& search) {
  std::vector<double> micros;
  for (std::size_t q = 0; q < queries; ++q) {
    const double start = ThreadCpuMicros();
    search(q);
    micros.push_back(ThreadCpuMicros() - start);
  }
  return {Percentile(micros, 0.5), Percentile(micros, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t points = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100'000;
  std::printf("DenseIndex: %zu points x %zu dims, %zu queries, k = %zu\n", points, kDims, kQueries,
              kK);
  auto all = ClusteredVectors({.count = points + kQueries, .dimensions = kDims, .seed = 7});
  const std::vector<float> queries(all.begin() + static_cast<std::ptrdiff_t>(points * kDims),
                                   all.end());
  all.resize(points * kDims);
  const std::vector<float>& rows = all;

  DenseIndexOptions options;
  options.dimensions = kDims;
  const double rss_before = RssMiB();
  DenseIndex index(options);
  auto start = Clock::now();
  for (std::size_t i = 0; i < points; ++i) {
    if (!index.Upsert(static_cast<int64_t>(i), Row(rows, i)).ok()) return 1;
  }
  const double build_s = Seconds(start);
  std::printf("build: %.1f s (%.0f inserts/s), m %d, ef_construction %d\n", build_s,
              static_cast<double>(points) / build_s, options.m, options.ef_construction);
  std::printf(
      "memory: ApproximateMemoryUsage %.1f MiB, RSS growth %.1f MiB, raw vectors %.1f MiB\n",
      static_cast<double>(index.ApproximateMemoryUsage()) / (1 << 20), RssMiB() - rss_before,
      static_cast<double>(points * kDims * 4) / (1 << 20));

  std::vector<Hits> truth(kQueries);
  const Latency exact =
      Measure(kQueries, [&](std::size_t q) { truth[q] = index.ExactSearch(Row(queries, q), kK); });
  std::printf("exact search: p50 %.0f us, p99 %.0f us\n", exact.p50, exact.p99);
  for (int ef : {16, 32, 64, 128}) {
    index.SetEfSearch(ef);
    double recall = 0;
    const Latency graph = Measure(kQueries, [&](std::size_t q) {
      recall += Recall(index.Search(Row(queries, q), kK), truth[q]);
    });
    std::printf("hnsw ef %3d: p50 %.0f us, p99 %.0f us, recall@10 %.4f\n", ef, graph.p50, graph.p99,
                recall / kQueries);
  }
  index.SetEfSearch(options.ef_search);

  // Filtered search: as configured (exact below 1%), and with the graph forced (a Load with
  // exact_filter_fraction 0 reuses the same graph).
  std::string snapshot;
  start = Clock::now();
  index.Save(snapshot);
  const double save_s = Seconds(start);
  DenseIndexOptions graph_only = options;
  graph_only.exact_filter_fraction = 0;
  auto forced = DenseIndex::Load(snapshot, graph_only);
  if (!forced.ok()) return 1;
  // Two filter costs: arithmetic on the id (~2 ns a call through std::function) and a lookup in
  // an unordered_set of allowed ids (~20 ns), the likelier shape of a per-source filter.
  for (int per_mille : {500, 100, 50, 20, 10, 5, 1}) {
    const auto cheap = [per_mille](int64_t id) { return (id * 7919) % 1000 < per_mille; };
    std::unordered_set<int64_t> allowed;
    for (std::size_t i = 0; i < points; ++i) {
      if (cheap(static_cast<int64_t>(i))) allowed.insert(static_cast<int64_t>(i));
    }
    const auto lookup = [&allowed](int64_t id) { return allowed.contains(id); };
    for (int kind = 0; kind < 2; ++kind) {
      const DenseIndex::Filter accept = kind == 0 ? DenseIndex::Filter(cheap) : lookup;
      std::vector<Hits> filtered_truth(kQueries / 4);
      const Latency exact_f = Measure(kQueries / 4, [&](std::size_t q) {
        filtered_truth[q] = index.ExactSearch(Row(queries, q), kK, accept);
      });
      double recall = 0;
      const Latency chosen = Measure(kQueries / 4, [&](std::size_t q) {
        recall += Recall(index.Search(Row(queries, q), kK, accept), filtered_truth[q]);
      });
      double recall_forced = 0;
      const Latency graph_f = Measure(kQueries / 4, [&](std::size_t q) {
        recall_forced += Recall(forced->Search(Row(queries, q), kK, accept), filtered_truth[q]);
      });
      std::printf(
          "filter %4.1f%% %-6s: Search p50 %5.0f p99 %5.0f us recall %.3f | exact p50 %5.0f us | "
          "graph only p50 %5.0f p99 %5.0f us recall %.3f\n",
          per_mille / 10.0, kind == 0 ? "arith" : "set", chosen.p50, chosen.p99,
          recall / (kQueries / 4), exact_f.p50, graph_f.p50, graph_f.p99,
          recall_forced / (kQueries / 4));
    }
  }
  forced = DenseIndex(options);  // free it

  std::printf("snapshot: %.1f MiB (%.0f bytes/point), Save %.2f s\n",
              static_cast<double>(snapshot.size()) / (1 << 20),
              static_cast<double>(snapshot.size()) / static_cast<double>(points), save_s);
  start = Clock::now();
  auto loaded = DenseIndex::Load(snapshot, options);
  const double load_s = Seconds(start);
  if (!loaded.ok()) return 1;
  std::printf("load (graph reused, checksum and validation included): %.2f s\n", load_s);
  DenseIndexOptions other_m = options;
  other_m.ef_construction = 199;  // forces the rebuild path of Load
  start = Clock::now();
  auto rebuilt = DenseIndex::Load(snapshot, other_m);
  std::printf("load with a graph rebuild (vectors only): %.1f s\n", Seconds(start));
  if (!rebuilt.ok()) return 1;
  rebuilt = DenseIndex(options);
  loaded = DenseIndex(options);

  // Exact against graph on small indexes: where exact_search_threshold should sit.
  DenseIndexOptions always_graph = options;
  always_graph.exact_search_threshold = 0;
  DenseIndex small(always_graph);
  std::size_t added = 0;
  for (std::size_t checkpoint : {500, 1000, 2000, 5000, 10000, 20000}) {
    if (checkpoint > points) break;
    start = Clock::now();
    for (; added < checkpoint; ++added) {
      if (!small.Upsert(static_cast<int64_t>(added), Row(rows, added)).ok()) return 1;
    }
    const Latency graph =
        Measure(kQueries / 4, [&](std::size_t q) { small.Search(Row(queries, q), kK); });
    const Latency flat =
        Measure(kQueries / 4, [&](std::size_t q) { small.ExactSearch(Row(queries, q), kK); });
    std::printf(
        "%6zu points: exact p50 %5.0f us, hnsw ef 64 p50 %5.0f us (graph grown to here "
        "in %.2f s)\n",
        checkpoint, flat.p50, graph.p50, Seconds(start));
  }

  // Rebuild by compaction after removing 30% (what NeedsCompaction would ask for).
  for (std::size_t i = 0; i < points; i += 3)
    index.Remove(static_cast<int64_t>(i));
  std::printf("after removing a third: tombstones %zu, NeedsCompaction %d\n", index.tombstones(),
              index.NeedsCompaction() ? 1 : 0);
  start = Clock::now();
  DenseIndex compacted = index.Compacted();
  std::printf("Compacted() of %zu live points: %.1f s\n", compacted.size(), Seconds(start));
  return 0;
}
