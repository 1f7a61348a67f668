// In-process retrieval quality of the search building blocks on bench/retrieval (no server):
// BM25 alone, dense alone and RRF hybrids, with the hashing embedder and with an LSA model
// trained on the corpus itself. For choosing the default embedder and the fusion; the
// end-to-end numbers come from bench/retrieval/run_bench.py through the API.
//
//   build/retrieval_probe [bench/retrieval]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/parse.hpp>

#include "ai/hashing_embedder.h"
#include "ai/lsa_model.h"
#include "search/analyzer.h"
#include "search/bm25.h"
#include "search/dense_index.h"
#include "search/fusion.h"

using namespace studybot;

namespace {

std::vector<boost::json::object> ReadJsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<boost::json::object> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  }
  return out;
}

struct Metrics {
  double ndcg = 0, recall = 0, mrr = 0;
};

Metrics Score(const std::vector<int64_t>& ranked, const std::set<int64_t>& relevant) {
  Metrics m;
  double dcg = 0, idcg = 0;
  std::size_t found = 0;
  for (std::size_t i = 0; i < ranked.size() && i < 10; ++i) {
    if (relevant.count(ranked[i])) {
      dcg += 1.0 / std::log2(static_cast<double>(i) + 2);
      ++found;
      if (m.mrr == 0) m.mrr = 1.0 / static_cast<double>(i + 1);
    }
  }
  for (std::size_t i = 0; i < std::min<std::size_t>(relevant.size(), 10); ++i)
    idcg += 1.0 / std::log2(static_cast<double>(i) + 2);
  m.ndcg = idcg > 0 ? dcg / idcg : 0;
  m.recall =
      relevant.empty() ? 0 : static_cast<double>(found) / static_cast<double>(relevant.size());
  return m;
}

std::vector<int64_t> Ids(const std::vector<std::pair<int64_t, float>>& hits) {
  std::vector<int64_t> out;
  for (const auto& h : hits)
    out.push_back(h.first);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "bench/retrieval";
  auto corpus = ReadJsonl(dir + "/corpus.jsonl");
  auto questions = ReadJsonl(dir + "/questions.jsonl");
  if (corpus.empty() || questions.empty()) {
    std::fprintf(stderr, "no corpus or questions under %s\n", dir.c_str());
    return 1;
  }
  std::unordered_map<std::string, int64_t> id_of;
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    id_of[std::string(corpus[i].at("id").as_string())] = static_cast<int64_t>(i);
    texts.push_back(std::string(corpus[i].at("title").as_string()) + "\n" +
                    std::string(corpus[i].at("text").as_string()));
  }
  search::Analyzer analyzer(search::Language::kAuto);
  search::Bm25Index bm25;
  std::unordered_map<std::string, int> df;  // for the query-dependent fusion below
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto terms = analyzer.Terms(texts[i]);
    std::set<std::string> unique(terms.begin(), terms.end());
    for (const auto& t : unique)
      ++df[t];
    (void)bm25.Add(static_cast<int64_t>(i), terms);
  }
  const double n_docs = static_cast<double>(texts.size());
  auto idf = [&](const std::string& t) {
    auto it = df.find(t);
    double d = it == df.end() ? 0 : it->second;
    return std::log(1.0 + (n_docs - d + 0.5) / (d + 0.5));
  };
  std::size_t qi = 0;  // question index: even = split A, odd = split B

  ai::HashingEmbedder hashing({});
  auto t0 = std::chrono::steady_clock::now();
  ai::LsaOptions lo;
  if (const char* d = std::getenv("LSA_DIMS")) lo.dimensions = std::atoi(d);
  auto lsa = ai::LsaModel::Train(texts, lo);
  if (!lsa.ok()) {
    std::fprintf(stderr, "LSA: %s\n", lsa.error().message.c_str());
    return 1;
  }
  double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("corpus %zu passages, %zu questions; LSA %d dims, %zu terms, trained in %.1f s\n",
              texts.size(), questions.size(), lsa->dimensions(), lsa->vocabulary_size(), train_s);

  auto build = [&](ai::Embedder& e) {
    search::DenseIndexOptions o;
    o.dimensions = e.dimensions();
    search::DenseIndex index(o);
    auto vectors = *e.Embed(texts);
    for (std::size_t i = 0; i < texts.size(); ++i)
      (void)index.Upsert(static_cast<int64_t>(i), vectors[i]);
    return index;
  };
  search::DenseIndex hash_index = build(hashing);
  search::DenseIndex lsa_index = build(*lsa);

  std::map<std::string, Metrics> sums;
  for (const auto& q : questions) {
    std::string text(q.at("question").as_string());
    std::set<int64_t> relevant;
    for (const auto& r : q.at("relevant").as_array())
      relevant.insert(id_of.at(std::string(r.as_string())));
    auto keyword = bm25.Search(analyzer.QueryTerms(text), 50);
    auto hv = hashing.Embed(std::string_view(text));
    auto lv = lsa->Embed(std::string_view(text));
    auto by_hash = hash_index.ExactSearch(hv, 50);
    auto by_lsa = lsa_index.ExactSearch(lv, 50);
    std::map<std::string, std::vector<int64_t>> runs;
    runs["keyword"] = Ids(keyword);
    runs["dense hashing"] = Ids(by_hash);
    runs["dense lsa"] = Ids(by_lsa);
    auto fused = [](const std::vector<search::Hit>& hits) {
      std::vector<int64_t> out;
      for (const auto& h : hits)
        out.push_back(h.chunk_id);
      return out;
    };
    runs["hybrid hashing"] = fused(search::FuseRrf(keyword, by_hash, 10));
    runs["hybrid lsa"] = fused(search::FuseRrf(keyword, by_lsa, 10));
    // Convex combinations of max-normalised BM25 and cosine over the union of candidates.
    auto convex = [&](const std::vector<std::pair<int64_t, float>>& dense, double alpha) {
      std::unordered_map<int64_t, double> score;
      double max_bm25 = keyword.empty() ? 1.0 : keyword[0].second;
      for (const auto& [id, s] : keyword)
        score[id] += alpha * s / max_bm25;
      for (const auto& [id, s] : dense)
        score[id] += (1 - alpha) * s;
      std::vector<std::pair<int64_t, double>> all(score.begin(), score.end());
      std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      std::vector<int64_t> out;
      for (std::size_t i = 0; i < all.size() && i < 10; ++i)
        out.push_back(all[i].first);
      return out;
    };
    // Three signals: BM25, LSA and hashing cosines.
    auto three = [&](double a, double b) {
      std::unordered_map<int64_t, double> score;
      double max_bm25 = keyword.empty() ? 1.0 : keyword[0].second;
      for (const auto& [id, s] : keyword)
        score[id] += a * s / max_bm25;
      for (const auto& [id, s] : by_lsa)
        score[id] += b * s;
      for (const auto& [id, s] : by_hash)
        score[id] += (1 - a - b) * s;
      std::vector<std::pair<int64_t, double>> all(score.begin(), score.end());
      std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
        return x.second != y.second ? x.second > y.second : x.first < y.first;
      });
      std::vector<int64_t> out;
      for (std::size_t i = 0; i < all.size() && i < 10; ++i)
        out.push_back(all[i].first);
      return out;
    };
    for (auto [a, b] : std::vector<std::pair<double, double>>{
             {0.4, 0.4}, {0.4, 0.3}, {0.5, 0.3}, {0.3, 0.4}, {0.34, 0.33}}) {
      char name[64];
      std::snprintf(name, sizeof name, "three %.2f/%.2f", a, b);
      runs[name] = three(a, b);
    }
    // Query-dependent convex fusion: the keyword weight grows with how much of the query's
    // information (idf mass) the corpus vocabulary has, or with how well the best BM25 hit
    // matches the query (its score over the query's idf mass).
    {
      auto qterms = analyzer.QueryTerms(text);
      std::set<std::string> uq(qterms.begin(), qterms.end());
      double mass = 0, known = 0;
      for (const auto& t : uq) {
        double w = idf(t);
        mass += w;
        if (df.count(t)) known += w;
      }
      double coverage = mass > 0 ? known / mass : 0;
      double strength = (mass > 0 && !keyword.empty()) ? keyword[0].second / (2.2 * mass) : 0;
      const char* split = qi % 2 == 0 ? "A" : "B";
      for (double a0 : {0.1, 0.2, 0.3}) {
        for (double b : {0.2, 0.4, 0.6}) {
          char name[64];
          double alpha = std::clamp(a0 + b * coverage, 0.05, 0.95);
          std::snprintf(name, sizeof name, "%s adapt-cov %.1f+%.1f", split, a0, b);
          runs[name] = convex(by_lsa, alpha);
          alpha = std::clamp(a0 + b * strength, 0.05, 0.95);
          std::snprintf(name, sizeof name, "%s adapt-str %.1f+%.1f", split, a0, b);
          runs[name] = convex(by_lsa, alpha);
        }
      }
      char name[64];
      std::snprintf(name, sizeof name, "%s convex lsa 0.4", split);
      runs[name] = convex(by_lsa, 0.4);
      std::snprintf(name, sizeof name, "%s keyword", split);
      runs[name] = Ids(keyword);
      ++qi;
    }
    for (double alpha : {0.3, 0.4, 0.5, 0.6, 0.7, 0.8}) {
      char name[64];
      std::snprintf(name, sizeof name, "convex lsa %.1f", alpha);
      runs[name] = convex(by_lsa, alpha);
      std::snprintf(name, sizeof name, "convex hash %.1f", alpha);
      runs[name] = convex(by_hash, alpha);
    }
    for (const auto& [name, ranked] : runs) {
      auto m = Score(ranked, relevant);
      sums[name].ndcg += m.ndcg;
      sums[name].recall += m.recall;
      sums[name].mrr += m.mrr;
    }
  }
  auto n = static_cast<double>(questions.size());
  const double n_a = static_cast<double>((questions.size() + 1) / 2);
  const double n_b = static_cast<double>(questions.size() / 2);
  std::printf("%-24s %8s %8s %8s\n", "mode", "nDCG@10", "R@10", "MRR");
  for (const auto& [name, m] : sums) {
    double d = name.starts_with("A ") ? n_a : name.starts_with("B ") ? n_b : n;
    std::printf("%-24s %8.3f %8.3f %8.3f\n", name.c_str(), m.ndcg / d, m.recall / d, m.mrr / d);
  }
  return 0;
}
