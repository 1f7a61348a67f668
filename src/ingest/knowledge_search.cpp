#include "ingest/knowledge_search.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace studybot::ingest {
namespace {

void AppendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
}

// Moves `i` back to the start of a UTF-8 sequence.
std::size_t CodePointStart(std::string_view s, std::size_t i) {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
    --i;
  return i;
}

}  // namespace

std::string MakeSnippet(std::string_view text,
                        const std::vector<std::pair<std::size_t, std::size_t>>& spans,
                        std::size_t width) {
  std::size_t begin = 0;
  if (text.size() > width && !spans.empty()) {
    // The window start (at a match) that holds the most matches.
    std::size_t best = 0, best_count = 0;
    for (std::size_t i = 0; i < spans.size(); ++i) {
      std::size_t count = 0;
      for (std::size_t j = i; j < spans.size() && spans[j].second <= spans[i].first + width; ++j)
        ++count;
      if (count > best_count) {
        best_count = count;
        best = i;
      }
    }
    // A little context before the first match.
    begin = spans[best].first > 40 ? spans[best].first - 40 : 0;
    auto space = text.rfind(' ', spans[best].first);
    if (space != std::string_view::npos && space >= begin) begin = space + 1;
  }
  begin = CodePointStart(text, begin);
  std::size_t end = std::min(text.size(), begin + width);
  if (end < text.size()) {
    auto space = text.rfind(' ', end);
    end = space != std::string_view::npos && space > begin ? space : CodePointStart(text, end);
  }
  std::string out;
  if (begin > 0) out += "…";
  std::size_t at = begin;
  for (const auto& [s, e] : spans) {
    if (e <= begin || s >= end) continue;
    std::size_t ms = std::max(s, begin), me = std::min(e, end);
    AppendEscaped(out, text.substr(at, ms - at));
    out += "<mark>";
    AppendEscaped(out, text.substr(ms, me - ms));
    out += "</mark>";
    at = me;
  }
  AppendEscaped(out, text.substr(at, end - at));
  if (end < text.size()) out += "…";
  return out;
}

Result<SearchOutcome> KnowledgeSearch::Search(const auth::Principal& who,
                                              const std::string& chatbot_id,
                                              const SearchInput& in) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  return SearchChatbot(*bot, in);
}

Result<SearchOutcome> KnowledgeSearch::SearchChatbot(const chatbots::Chatbot& bot,
                                                     const SearchInput& in) {
  const auto& settings = bot.knowledge.retrieval;
  SearchOutcome outcome;
  outcome.mode = in.mode.value_or(settings.mode == "keyword" ? search::SearchMode::kKeyword
                                  : settings.mode == "dense" ? search::SearchMode::kDense
                                                             : search::SearchMode::kHybrid);
  search::IndexQuery q;
  q.chatbot_id = bot.id;
  q.text = in.query;
  q.top_k = in.top_k.value_or(static_cast<std::size_t>(settings.top_k));
  q.candidate_depth = std::max(kCandidateDepth, q.top_k);
  q.mode = outcome.mode;
  q.fusion =
      in.fusion.value_or(settings.fusion == "rrf" ? search::Fusion::kRrf : search::Fusion::kConvex);
  q.filter = in.filter;
  // The query is embedded by the embedder whose vectors this process's index holds for the
  // chatbot: right after a switch, until the index has followed it, that is the previous one.
  auto held = index_.SettingsOf(bot.id);
  std::string embedder_id = held ? held->embedder : "";
  if (q.mode != search::SearchMode::kKeyword && !embedder_id.empty()) {
    auto state = store_.State(bot.id);
    if (!state.ok()) return state.error();
    if (!state->has_value()) return Error::NotFound("no such chatbot");
    const auto& settings =
        embedder_id == (*state)->active ? (*state)->active_settings : bot.knowledge.embedder;
    // A model that is gone (replaced twice since this index loaded it) leaves keywords alone
    // until the index follows; an embedder that fails to answer is an error (503).
    auto embedder = registry_.Get(bot.id, embedder_id, settings);
    if (embedder.ok() && *embedder) {
      auto vectors = (*embedder)->Embed({in.query});
      if (!vectors.ok()) return vectors.error();
      q.vector = std::move((*vectors)[0]);
      outcome.embedder = (*embedder)->id();
    }
  }
  if (q.vector.empty() && q.mode == search::SearchMode::kDense) return outcome;
  auto hits = index_.Search(q);
  if (!hits.ok()) return hits.error();
  double threshold = in.score_threshold.value_or(settings.score_threshold);
  bool by_cosine = !q.vector.empty();
  auto relevance = [&](const search::Hit& h) {
    return by_cosine ? h.dense_score : h.keyword_score;
  };
  std::vector<int64_t> ids;
  for (const auto& h : *hits) {
    if (relevance(h) >= threshold) ids.push_back(h.chunk_id);
  }
  auto rows = docs_.ChunksForIndex(ids);
  if (!rows.ok()) return rows.error();
  std::unordered_map<int64_t, const ChunkForIndex*> by_id;
  for (const auto& r : *rows)
    by_id[r.id] = &r;
  auto language = search::ParseLanguage(bot.knowledge.language);
  const search::Analyzer analyzer(language.ok() ? *language : search::Language::kAuto);
  auto terms = analyzer.QueryTerms(in.query);
  std::unordered_set<std::string> term_set(terms.begin(), terms.end());
  for (const auto& h : *hits) {
    auto it = by_id.find(h.chunk_id);
    if (it == by_id.end() || relevance(h) < threshold) continue;  // deleted meanwhile
    const ChunkForIndex& c = *it->second;
    SearchResult r;
    r.chunk_id = c.id;
    r.document_id = c.document_id;
    r.title = c.title;
    r.url = c.url;
    if (!r.url.empty() && !c.anchor.empty()) r.url += "#" + c.anchor;
    r.heading_path = c.heading_path;
    r.page = c.page;
    r.text = c.text;
    r.snippet = MakeSnippet(c.text, analyzer.MatchSpans(c.text, term_set));
    r.score = h.score;
    r.keyword_rank = h.keyword_rank;
    r.dense_rank = h.dense_rank;
    r.keyword_score = h.keyword_score;
    r.dense_score = h.dense_score;
    outcome.results.push_back(std::move(r));
  }
  return outcome;
}

}  // namespace studybot::ingest
