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

Result<std::vector<SearchResult>> KnowledgeSearch::Search(const auth::Principal& who,
                                                          const std::string& chatbot_id,
                                                          const SearchInput& in) {
  auto bot = chatbots_.Find(who, chatbot_id);
  if (!bot.ok()) return bot.error();
  return SearchChatbot(chatbot_id, in);
}

Result<std::vector<SearchResult>> KnowledgeSearch::SearchChatbot(const std::string& chatbot_id,
                                                                 const SearchInput& in) {
  search::IndexQuery q;
  q.chatbot_id = chatbot_id;
  q.text = in.query;
  q.top_k = in.top_k;
  q.candidate_depth = std::max(kCandidateDepth, in.top_k);
  q.mode = in.mode;
  q.filter = in.filter;
  if (in.mode != search::SearchMode::kKeyword) {
    auto vectors = embedder_.Embed({in.query});
    if (!vectors.ok()) return vectors.error();
    q.vector = std::move((*vectors)[0]);
  }
  auto hits = index_.Search(q);
  if (!hits.ok()) return hits.error();
  std::vector<int64_t> ids;
  for (const auto& h : *hits) {
    if (h.score >= in.score_threshold) ids.push_back(h.chunk_id);
  }
  auto rows = docs_.ChunksForIndex(ids, "");
  if (!rows.ok()) return rows.error();
  std::unordered_map<int64_t, const ChunkForIndex*> by_id;
  for (const auto& r : *rows)
    by_id[r.id] = &r;
  auto terms = analyzer_.QueryTerms(in.query);
  std::unordered_set<std::string> term_set(terms.begin(), terms.end());
  std::vector<SearchResult> out;
  for (const auto& h : *hits) {
    auto it = by_id.find(h.chunk_id);
    if (it == by_id.end() || h.score < in.score_threshold) continue;  // deleted meanwhile
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
    r.snippet = MakeSnippet(c.text, analyzer_.MatchSpans(c.text, term_set));
    r.score = h.score;
    r.keyword_rank = h.keyword_rank;
    r.dense_rank = h.dense_rank;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace studybot::ingest
