#include "chat/followup.h"

#include <algorithm>
#include <unordered_set>

#include "search/analyzer.h"

namespace studybot::chat {
namespace {

using search::Language;

bool RefersBack(const std::vector<std::string>& words) {
  static const std::unordered_set<std::string> kAnaphora = {
      // English
      "it", "its", "they", "them", "their", "theirs", "this", "that", "these", "those", "he", "she",
      "him", "her", "his", "ones", "same", "such",
      // French ("il", "y" and "ce" left out: "il y a", "c'est" are rarely anaphora)
      "elle", "ils", "elles", "lui", "leur", "leurs", "ça", "cela", "ceci", "celui", "celle",
      "ceux", "celles", "là", "son", "sa", "ses", "cet", "cette", "ces"};
  return std::any_of(words.begin(), words.end(),
                     [](const std::string& w) { return kAnaphora.count(w) > 0; });
}

bool OpensAsContinuation(const std::vector<std::string>& words) {
  if (words.empty()) return false;
  const std::string& first = words[0];
  if (first == "and" || first == "also" || first == "et" || first == "aussi" || first == "sinon") {
    return true;
  }
  if (words.size() >= 2) {
    const std::string& second = words[1];
    if ((first == "what" || first == "how") && second == "about") return true;
    if (first == "et" || (first == "qu'en" && second == "est")) return true;
  }
  return false;
}

}  // namespace

bool LooksLikeFollowUp(std::string_view question) {
  search::Analyzer analyzer(Language::kAuto);
  auto words = analyzer.Words(question);
  if (words.empty()) return false;
  std::size_t content = analyzer.Analyze(question).size();
  // A pronoun in a longer question usually points inside it ("students ... their bicycles").
  return (RefersBack(words) && content <= 3) || OpensAsContinuation(words) || content <= 2;
}

std::string StandaloneQuestion(std::string_view question,
                               const std::vector<std::string>& earlier_questions) {
  std::string q(question);
  if (earlier_questions.empty() || !LooksLikeFollowUp(question)) return q;
  search::Analyzer analyzer(Language::kAuto);
  std::unordered_set<std::string> present;
  for (const auto& w : analyzer.Analyze(question))
    present.insert(w.stem);
  // The latest earlier question with two content words or more (a "thanks!" in between is no
  // topic), else the latest with any.
  const std::string* topic = nullptr;
  for (auto it = earlier_questions.rbegin(); it != earlier_questions.rend() && topic == nullptr;
       ++it) {
    if (analyzer.Analyze(*it).size() >= 2) topic = &*it;
  }
  for (auto it = earlier_questions.rbegin(); it != earlier_questions.rend() && topic == nullptr;
       ++it) {
    if (!analyzer.Analyze(*it).empty()) topic = &*it;
  }
  if (topic != nullptr) {
    auto earlier = analyzer.Analyze(*topic);
    std::string added;
    for (const auto& w : earlier) {
      if (!present.insert(w.stem).second) continue;
      added += ' ';
      added += w.word;
    }
    return q + added;
  }
  return q;
}

}  // namespace studybot::chat
