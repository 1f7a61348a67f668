#include "ingest/token_count.h"

#include <vector>

#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// See the header for where these come from. Letter weights are in half letters, so that
// Cyrillic can weigh 1.5.
constexpr std::size_t kLettersInFirstToken = 12;
constexpr std::size_t kLettersPerFurtherToken = 6;
constexpr std::size_t kDigitsPerToken = 3;
constexpr std::size_t kRepeatedPunctPerToken = 4;

std::size_t CeilDiv(std::size_t a, std::size_t b) {
  return (a + b - 1) / b;
}

bool IsApostrophe(char32_t cp) {
  return cp == '\'' || cp == 0x2019;
}

bool IsDigit(char32_t cp) {
  return cp >= '0' && cp <= '9';
}

bool IsLetter(char32_t cp) {
  return !IsSpace(cp) && !IsDigit(cp) && !IsPunctOrSymbol(cp) && !IsWideScript(cp) &&
         (cp >= 0x80 || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z'));
}

// How much of a token a letter fills, in half letters: cl100k holds long pieces of English, fewer
// of other Latin-script languages, more of Cyrillic than of those, and little of Greek. Other
// scripts (Arabic, Hebrew, Indic) were not measured and weigh as accented Latin.
std::size_t LetterWeight(char32_t cp) {
  if (cp < 0x80) return 2;
  if (cp >= 0x400 && cp <= 0x52F) return 3;
  if (cp >= 0x370 && cp <= 0x3FF) return 7;
  return 6;
}

// Counts the word (run of non-whitespace code points) at the start of `text`, one code point at a
// time, so that the count can be read after any prefix: PrefixWithinTokens stops as soon as the
// budget is exceeded instead of reading a giant word to its end.
class WordCounter {
 public:
  explicit WordCounter(std::string_view text) : text_(text) {}

  // Consumes the next code point; false at the end of the text or at whitespace (not consumed).
  bool Step() {
    if (pos_ >= text_.size()) return false;
    std::size_t next = pos_;
    char32_t cp = NextCodePoint(text_, &next);
    if (IsSpace(cp)) return false;
    pos_ = next;
    if (IsLetter(cp)) {
      bool camel_break = run_ == Run::kLetters && IsLower(previous_) && IsUpper(cp);
      if (run_ != Run::kLetters || camel_break) Close(Run::kLetters);
      weight_ += LetterWeight(cp);
    } else if (IsDigit(cp)) {
      if (run_ != Run::kDigits) Close(Run::kDigits);
      ++weight_;
    } else if (IsApostrophe(cp) && pos_ < text_.size() && IsLetterAt(pos_)) {
      Close(Run::kLetters);
      weight_ = LetterWeight('a');
    } else if (IsWideScript(cp)) {
      Close(Run::kNone);
      ++closed_;
    } else if (cp >= 0x10000) {
      Close(Run::kNone);
      closed_ += 2;
    } else {
      if (run_ != Run::kPunct || cp != previous_) Close(Run::kPunct);
      ++weight_;
    }
    previous_ = cp;
    return true;
  }

  std::size_t position() const { return pos_; }
  std::size_t tokens() const { return closed_ + OpenRunTokens(); }
  char32_t previous() const { return previous_; }  // the last code point consumed

 private:
  enum class Run { kNone, kLetters, kDigits, kPunct };

  bool IsLetterAt(std::size_t pos) const {
    std::size_t p = pos;
    return IsLetter(NextCodePoint(text_, &p));
  }

  std::size_t OpenRunTokens() const {
    if (weight_ == 0) return 0;
    switch (run_) {
      case Run::kLetters:
        return weight_ <= kLettersInFirstToken
                   ? 1
                   : 1 + CeilDiv(weight_ - kLettersInFirstToken, kLettersPerFurtherToken);
      case Run::kDigits:
        return CeilDiv(weight_, kDigitsPerToken);
      case Run::kPunct:
        return CeilDiv(weight_, kRepeatedPunctPerToken);
      case Run::kNone:
        break;
    }
    return 0;
  }

  void Close(Run next) {
    closed_ += OpenRunTokens();
    run_ = next;
    weight_ = 0;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t closed_ = 0;
  std::size_t weight_ = 0;
  Run run_ = Run::kNone;
  char32_t previous_ = 0;
};

std::size_t CountWord(std::string_view word) {
  WordCounter counter(word);
  while (counter.Step()) {
  }
  return counter.tokens();
}

// Calls visit(word_begin, word_end) for each whitespace-separated word of `text`, in order, until
// it returns false.
template <typename Visit>
void ForEachWord(std::string_view text, Visit visit) {
  std::size_t pos = 0;
  std::size_t word_begin = std::string_view::npos;
  while (pos < text.size()) {
    std::size_t start = pos;
    char32_t cp = NextCodePoint(text, &pos);
    if (IsSpace(cp)) {
      if (word_begin != std::string_view::npos && !visit(word_begin, start)) return;
      word_begin = std::string_view::npos;
    } else if (word_begin == std::string_view::npos) {
      word_begin = start;
    }
  }
  if (word_begin != std::string_view::npos) visit(word_begin, text.size());
}

}  // namespace

std::size_t CountTokens(std::string_view text) {
  std::size_t total = 0;
  ForEachWord(text, [&](std::size_t begin, std::size_t end) {
    total += CountWord(text.substr(begin, end - begin));
    return true;
  });
  return total;
}

std::string_view PrefixWithinTokens(std::string_view text, std::size_t max_tokens) {
  std::size_t total = 0;
  std::size_t end = 0;  // of the last whole word within budget
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t next = pos;
    if (IsSpace(NextCodePoint(text, &next))) {
      pos = next;
      continue;
    }
    WordCounter counter(text.substr(pos));
    std::size_t last_fit = 0;        // bytes of this word within budget
    std::size_t last_punct_fit = 0;  // the same, ending after punctuation
    bool over = false;
    while (counter.Step()) {
      if (total + counter.tokens() > max_tokens) {
        over = true;
        break;
      }
      last_fit = counter.position();
      if (IsPunctOrSymbol(counter.previous())) last_punct_fit = last_fit;
    }
    if (over) {
      // Only the first word is ever cut inside: later ones wait for the next prefix.
      if (end == 0 && last_fit > 0) end = pos + (last_punct_fit > 0 ? last_punct_fit : last_fit);
      break;
    }
    total += counter.tokens();
    pos += counter.position();
    end = pos;
  }
  return text.substr(0, end);
}

std::string_view SuffixWithinTokens(std::string_view text, std::size_t max_tokens) {
  // Words are found front to back (UTF-8 is not easily decoded backwards); a suffix is then the
  // longest run of trailing words within budget.
  struct Word {
    std::size_t begin;
    std::size_t end;
    std::size_t tokens;
  };
  std::vector<Word> words;
  ForEachWord(text, [&](std::size_t begin, std::size_t end) {
    words.push_back({begin, end, CountWord(text.substr(begin, end - begin))});
    return true;
  });
  std::size_t total = 0;
  std::size_t begin = text.size();
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    if (total + it->tokens > max_tokens) break;
    total += it->tokens;
    begin = it->begin;
  }
  if (begin == text.size()) return {};
  return text.substr(begin, words.back().end - begin);
}

}  // namespace studybot::ingest
