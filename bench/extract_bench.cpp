// Page extraction (scraping/extractor.h) on the 121 real article pages of the public
// article-extraction-benchmark (../shared/data, or STUDYBOT_EXTRACTION_DATA): pages per second,
// and the main-text quality the benchmark defines (F1 of 4-word shingles against the ground
// truth, averaged per page as its evaluate.py does; its \w+ tokens are approximated by runs of
// ASCII letters, digits, '_' and non-ASCII bytes).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "scraping/extractor.h"

namespace {

namespace fs = std::filesystem;

struct Sample {
  std::string url;
  std::string html;
  std::string truth;
};

fs::path DataDir() {
  if (const char* env = std::getenv("STUDYBOT_EXTRACTION_DATA")) return env;
  return fs::path(STUDYBOT_SOURCE_DIR) / ".." / "shared" / "data" / "article-extraction-benchmark";
}

std::string Gunzip(const fs::path& path) {
  std::string out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  gzclose(f);
  return out;
}

const std::vector<Sample>& Samples() {
  static const std::vector<Sample> samples = [] {
    std::vector<Sample> out;
    std::ifstream in(DataDir() / "ground-truth.json");
    if (!in) return out;
    std::stringstream text;
    text << in.rdbuf();
    auto truth = boost::json::parse(text.str()).as_object();
    for (const auto& kv : truth) {
      const auto& o = kv.value().as_object();
      Sample s;
      s.url = std::string(o.at("url").as_string());
      s.truth = o.contains("articleBody") ? std::string(o.at("articleBody").as_string()) : "";
      s.html = Gunzip(DataDir() / "html" / (std::string(kv.key()) + ".html.gz"));
      if (!s.html.empty()) out.push_back(std::move(s));
    }
    return out;
  }();
  return samples;
}

std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::map<std::string, double> Shingles(const std::string& text) {
  auto t = Tokens(text);
  std::map<std::string, double> out;
  std::size_t n = t.size() < 4 ? 1 : t.size() - 3;
  for (std::size_t i = 0; i < n && !t.empty(); ++i) {
    std::string key;
    for (std::size_t j = i; j < std::min(t.size(), i + 4); ++j)
      key += t[j] + " ";
    out[key] += 1;
  }
  return out;
}

void BM_ExtractPage(benchmark::State& state) {
  const auto& samples = Samples();
  if (samples.empty()) {
    state.SkipWithError("benchmark data not found (set STUDYBOT_EXTRACTION_DATA)");
    return;
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& s : samples) {
      auto page = studybot::scraping::ExtractPage(s.html, s.url);
      benchmark::DoNotOptimize(page.text.data());
      bytes += s.html.size();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples.size()));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ExtractPage)->Unit(benchmark::kMillisecond);

void BM_ExtractQuality(benchmark::State& state) {
  const auto& samples = Samples();
  if (samples.empty()) {
    state.SkipWithError("benchmark data not found (set STUDYBOT_EXTRACTION_DATA)");
    return;
  }
  double precision = 0, recall = 0;
  for (auto _ : state) {
    double p_sum = 0, r_sum = 0;
    int p_n = 0, r_n = 0;
    for (const auto& s : samples) {
      auto truth = Shingles(s.truth);
      auto pred = Shingles(studybot::scraping::ExtractPage(s.html, s.url).text);
      double tp = 0, fp = 0, fn = 0;
      for (const auto& [k, c] : pred) {
        auto it = truth.find(k);
        double t = it == truth.end() ? 0 : it->second;
        tp += std::min(t, c);
        fp += std::max(0.0, c - t);
      }
      for (const auto& [k, c] : truth) {
        auto it = pred.find(k);
        fn += std::max(0.0, c - (it == pred.end() ? 0 : it->second));
      }
      if (fp == 0 && fn == 0) {
        p_sum += 1, r_sum += 1, ++p_n, ++r_n;
        continue;
      }
      if (tp + fp > 0) p_sum += tp / (tp + fp), ++p_n;
      if (tp + fn > 0) r_sum += tp / (tp + fn), ++r_n;
    }
    precision = p_n ? p_sum / p_n : 0;
    recall = r_n ? r_sum / r_n : 0;
  }
  state.counters["precision"] = precision;
  state.counters["recall"] = recall;
  state.counters["f1"] = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  state.counters["pages"] = static_cast<double>(samples.size());
}
BENCHMARK(BM_ExtractQuality)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
