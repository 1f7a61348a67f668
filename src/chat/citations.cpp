#include "chat/citations.h"

#include <algorithm>

#include "core/strings.h"
#include "ingest/sentences.h"

namespace studybot::chat {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// If text[at] opens a citation marker, its numbers and the index after ']'.
bool ParseMarker(std::string_view text, std::size_t at, std::vector<int>& numbers,
                 std::size_t& end) {
  numbers.clear();
  std::size_t i = at + 1;
  for (;;) {
    while (i < text.size() && text[i] == ' ')
      ++i;
    std::size_t start = i;
    long n = 0;
    while (i < text.size() && IsDigit(text[i]) && i - start < 4) {
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start || (i < text.size() && IsDigit(text[i]))) return false;
    numbers.push_back(static_cast<int>(n));
    while (i < text.size() && text[i] == ' ')
      ++i;
    if (i >= text.size()) return false;
    if (text[i] == ']') {
      end = i + 1;
      // "[1](https://...)" is a Markdown link whose text is a number, not a citation.
      return end >= text.size() || text[end] != '(';
    }
    if (text[i] != ',' && text[i] != ';') return false;
    ++i;
  }
}

std::string Fold(std::string_view text) {
  std::string s = ToLower(std::string(Trim(text)));
  // Typographic apostrophes to ASCII, so "don’t" matches "don't".
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "\xE2\x80\x99") == 0) {
      out += '\'';
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

CitedAnswer MapCitations(std::string_view text, int source_count) {
  CitedAnswer out;
  std::vector<int> numbers;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = 0;
    if (text[i] != '[' || !ParseMarker(text, i, numbers, end)) {
      out.text += text[i++];
      continue;
    }
    std::vector<int> kept;
    for (int n : numbers) {
      if (n < 1 || n > source_count) {
        ++out.dropped;
        continue;
      }
      if (std::find(kept.begin(), kept.end(), n) == kept.end()) kept.push_back(n);
      if (std::find(out.cited.begin(), out.cited.end(), n) == out.cited.end()) {
        out.cited.push_back(n);
      }
    }
    if (kept.size() == numbers.size()) {
      out.text.append(text.substr(i, end - i));
    } else if (!kept.empty()) {
      out.text += '[';
      for (std::size_t k = 0; k < kept.size(); ++k) {
        if (k > 0) out.text += ", ";
        out.text += std::to_string(kept[k]);
      }
      out.text += ']';
    } else {
      while (!out.text.empty() && out.text.back() == ' ')
        out.text.pop_back();
    }
    i = end;
  }
  return out;
}

bool SaysNoAnswer(std::string_view text) {
  std::string t = Fold(text);
  if (t.empty()) return true;
  if (t.size() >= 300) return false;
  static constexpr std::string_view kPhrases[] = {
      "i don't know",
      "i do not know",
      "i don't have",
      "i do not have",
      "i couldn't find",
      "i could not find",
      "i can't find",
      "i cannot find",
      "i'm not sure",
      "i am not sure",
      "the sources do not",
      "the sources don't",
      "the provided sources do not",
      "there is no information",
      "no information",
      "sorry, i",
      "je ne sais pas",
      "je ne trouve pas",
      "je n'ai pas",
      "je n'ai trouvé",
      "les sources ne",
      "aucune information",
      "il n'y a pas d'information",
      "désolé, je",
  };
  for (auto phrase : kPhrases) {
    if (t.compare(0, phrase.size(), phrase) == 0) return true;
  }
  return false;
}

double CitationCoverage(std::string_view text) {
  auto sentences = ingest::SplitSentences(text);
  if (sentences.empty()) return 0;
  std::vector<int> numbers;
  int cited = 0;
  for (std::size_t s = 0; s < sentences.size(); ++s) {
    auto sentence = sentences[s];
    bool has = false;
    for (std::size_t i = 0; i < sentence.size() && !has; ++i) {
      std::size_t end = 0;
      has = sentence[i] == '[' && ParseMarker(sentence, i, numbers, end);
    }
    // A marker standing alone after the full stop ("... fees. [2]") belongs to the sentence
    // before it.
    if (!has && s + 1 < sentences.size() && !sentences[s + 1].empty() &&
        sentences[s + 1].front() == '[') {
      std::size_t end = 0;
      has = ParseMarker(sentences[s + 1], 0, numbers, end) && end == sentences[s + 1].size();
    }
    if (has) ++cited;
  }
  return static_cast<double>(cited) / static_cast<double>(sentences.size());
}

}  // namespace studybot::chat
