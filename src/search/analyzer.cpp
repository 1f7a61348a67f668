#include "search/analyzer.h"

#include <libstemmer.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/strings.h"
#include "search/stop_words.h"

namespace studybot::search {
namespace {

// Decodes the UTF-8 sequence at text[i] into `cp`. Returns its length (1-4), or 0 when it is not
// a valid sequence (truncated, overlong, a surrogate, beyond U+10FFFF, a stray continuation byte).
std::size_t DecodeUtf8(std::string_view text, std::size_t i, char32_t& cp) {
  if (i >= text.size()) return 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < text.size() && (byte(k) & 0xC0) == 0x80; };
  unsigned char c = byte(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (!cont(1)) return 0;
    cp = (char32_t{c} & 0x1F) << 6 | (byte(1) & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && byte(1) >= 0xA0) return 0;  // surrogates
    cp = (char32_t{c} & 0x0F) << 12 | (char32_t{byte(1)} & 0x3F) << 6 | (byte(2) & 0x3F);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && byte(1) >= 0x90) return 0;  // beyond U+10FFFF
    cp = (char32_t{c} & 0x07) << 18 | (char32_t{byte(1)} & 0x3F) << 12 |
         (char32_t{byte(2)} & 0x3F) << 6 | (byte(3) & 0x3F);
    return 4;
  }
  return 0;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Letters and digits, as the header describes. Without Unicode tables, everything from U+0370 up
// counts as a letter except the blocks that hold only punctuation, symbols, emoji or private use:
// wrong for a few scattered punctuation marks of other scripts, right for every script we serve.
bool IsWordChar(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;  // ª µ º; the rest is punctuation
  if (c < 0x370) return c != 0xD7 && c != 0xF7;              // all but × ÷, up to combining marks
  if (c == 0x37E || c == 0x387) return false;                // Greek question mark, ano teleia
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // general punctuation .. misc symbols, arrows
  if (c >= 0x2E00 && c <= 0x2E7F) return false;  // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK symbols and punctuation
  if (c >= 0xE000 && c <= 0xF8FF) return false;  // private use
  if (c >= 0xFE00 && c <= 0xFE6F) return false;  // variation selectors, vertical/small forms
  if ((c >= 0xFF00 && c <= 0xFF0F) || (c >= 0xFF1A && c <= 0xFF20) ||
      (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65)) {
    return false;  // fullwidth punctuation
  }
  if (c >= 0xFFF0 && c <= 0xFFFF) return false;    // specials, including U+FFFD
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;  // emoji and pictographs
  if (c >= 0xE0000) return false;                  // tags, supplementary private use
  return true;
}

char32_t ToLower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;  // À..Þ -> à..þ
  if (c >= 0x100 && c <= 0x17F) {                            // Latin Extended-A
    if (c == 0x130) return U'i';                             // İ
    if (c == 0x178) return 0xFF;                             // Ÿ -> ÿ
    if (c == 0x138 || c == 0x149 || c == 0x17F) return c;    // ĸ ŉ ſ have no pair
    // Pairs are (upper, lower) at (even, odd) code points, except in these two runs.
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return c % 2 == 1 ? c + 1 : c;
    return c % 2 == 0 ? c + 1 : c;
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;  // Greek Α..Ϋ
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;                // Cyrillic А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;                // Cyrillic Ѐ..Џ
  return c;
}

bool IsApostrophe(char32_t c) {
  return c == U'\'' || c == U'\u2019';
}

// French elided words, as lower-cased token prefixes before the apostrophe.
constexpr std::string_view kElisions[] = {"c", "d",  "j",      "jusqu",  "l", "lorsqu", "m",
                                          "n", "qu", "puisqu", "quoiqu", "s", "t"};

bool IsElision(std::string_view prefix) {
  return std::ranges::find(kElisions, prefix) != std::end(kElisions);
}

// Stop-word hits that only one of the two languages claims ("a", "on", "me" are in both).
struct LanguageVotes {
  int english = 0;
  int french = 0;
};

LanguageVotes CountVotes(const std::vector<Token>& tokens) {
  // Enough to decide any real text; bounds the cost on long documents.
  constexpr std::size_t kMaxTokensToCount = 1000;
  LanguageVotes votes;
  std::size_t n = std::min(tokens.size(), kMaxTokensToCount);
  for (std::size_t i = 0; i < n; ++i) {
    bool en = IsEnglishStopWord(tokens[i].text);
    bool fr = IsFrenchStopWord(tokens[i].text);
    if (en && !fr) ++votes.english;
    if (fr && !en) ++votes.french;
  }
  return votes;
}

Language Decide(const LanguageVotes& votes) {
  return votes.french > votes.english ? Language::kFrench : Language::kEnglish;
}

struct StemmerDeleter {
  void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
};
using StemmerPtr = std::unique_ptr<sb_stemmer, StemmerDeleter>;

// This thread's stemmer for `language`, or null if libstemmer could not allocate one.
sb_stemmer* ThreadStemmer(Language language) {
  thread_local StemmerPtr english(sb_stemmer_new("english", "UTF_8"));
  thread_local StemmerPtr french(sb_stemmer_new("french", "UTF_8"));
  return language == Language::kFrench ? french.get() : english.get();
}

}  // namespace

Result<Language> ParseLanguage(std::string_view name) {
  if (EqualsIgnoreCase(name, "en") || EqualsIgnoreCase(name, "english")) return Language::kEnglish;
  if (EqualsIgnoreCase(name, "fr") || EqualsIgnoreCase(name, "french")) return Language::kFrench;
  if (EqualsIgnoreCase(name, "auto")) return Language::kAuto;
  return Error::InvalidArgument("unknown language \"" + CleanUtf8(name, 32) +
                                "\": expected \"en\", \"fr\" or \"auto\"");
}

std::string_view LanguageName(Language language) {
  switch (language) {
    case Language::kEnglish:
      return "en";
    case Language::kFrench:
      return "fr";
    case Language::kAuto:
      return "auto";
  }
  return "auto";
}

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::string current;
  std::size_t begin = 0;
  bool in_token = false;
  bool too_long = false;
  auto finish = [&](std::size_t end) {
    if (in_token && !too_long) tokens.push_back({current, begin, end});
    current.clear();
    in_token = false;
    too_long = false;
  };

  std::size_t i = 0;
  while (i < text.size()) {
    char32_t c = 0;
    std::size_t n = DecodeUtf8(text, i, c);
    if (n == 0) {  // invalid byte: a separator
      finish(i);
      ++i;
      continue;
    }
    if (IsWordChar(c)) {
      if (!in_token) {
        in_token = true;
        begin = i;
      }
      if (!too_long) {
        AppendUtf8(current, ToLower(c));
        too_long = current.size() > kMaxTokenBytes;
      }
      i += n;
      continue;
    }
    if (in_token && IsApostrophe(c)) {
      char32_t next = 0;
      if (DecodeUtf8(text, i + n, next) > 0 && IsWordChar(next)) {
        if (IsElision(current)) {
          current.clear();
          begin = i + n;
        } else if (!too_long) {
          current.push_back('\'');
          too_long = current.size() > kMaxTokenBytes;
        }
        i += n;
        continue;
      }
    }
    finish(i);
    i += n;
  }
  finish(text.size());
  return tokens;
}

Language DetectLanguage(std::string_view text) {
  return Decide(CountVotes(Tokenize(text)));
}

bool IsStopWord(Language language, std::string_view word) {
  switch (language) {
    case Language::kEnglish:
      return IsEnglishStopWord(word);
    case Language::kFrench:
      return IsFrenchStopWord(word);
    case Language::kAuto:
      return IsEnglishStopWord(word) || IsFrenchStopWord(word);
  }
  return false;
}

std::string Analyzer::Stem(Language language, std::string_view word) {
  sb_stemmer* stemmer = ThreadStemmer(language);
  if (stemmer == nullptr) return std::string(word);
  const sb_symbol* stem = sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(word.data()),
                                          static_cast<int>(word.size()));
  if (stem == nullptr) return std::string(word);
  return std::string(reinterpret_cast<const char*>(stem),
                     static_cast<std::size_t>(sb_stemmer_length(stemmer)));
}

Language Analyzer::Resolve(std::string_view text) const {
  return language_ == Language::kAuto ? DetectLanguage(text) : language_;
}

std::vector<AnalyzedWord> Analyzer::Analyze(std::string_view text) const {
  std::vector<Token> tokens = Tokenize(text);
  Language language = language_ == Language::kAuto ? Decide(CountVotes(tokens)) : language_;
  std::vector<AnalyzedWord> words;
  words.reserve(tokens.size());
  for (Token& token : tokens) {
    if (IsStopWord(language, token.text)) continue;
    std::string stem = Stem(language, token.text);
    words.push_back({std::move(token.text), std::move(stem)});
  }
  return words;
}

std::vector<std::string> Analyzer::Terms(std::string_view text) const {
  std::vector<AnalyzedWord> words = Analyze(text);
  std::vector<std::string> terms;
  terms.reserve(words.size());
  for (AnalyzedWord& word : words)
    terms.push_back(std::move(word.stem));
  return terms;
}

std::vector<std::string> Analyzer::QueryTerms(std::string_view text) const {
  std::vector<Token> tokens = Tokenize(text);
  std::vector<Language> languages;
  if (language_ != Language::kAuto) {
    languages = {language_};
  } else {
    // Two exclusive stop words is the least evidence that a short query is worth trusting.
    constexpr int kDecisiveLead = 2;
    LanguageVotes votes = CountVotes(tokens);
    if (votes.english - votes.french >= kDecisiveLead) {
      languages = {Language::kEnglish};
    } else if (votes.french - votes.english >= kDecisiveLead) {
      languages = {Language::kFrench};
    } else {
      languages = {Language::kEnglish, Language::kFrench};
    }
  }
  std::vector<std::string> terms;
  std::unordered_set<std::string> seen;
  for (const Token& token : tokens) {
    for (Language language : languages) {
      if (IsStopWord(language, token.text)) continue;
      std::string stem = Stem(language, token.text);
      if (seen.insert(stem).second) terms.push_back(std::move(stem));
    }
  }
  return terms;
}

std::vector<std::string> Analyzer::Words(std::string_view text) const {
  std::vector<Token> tokens = Tokenize(text);
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (Token& token : tokens)
    words.push_back(std::move(token.text));
  return words;
}

std::vector<std::pair<std::size_t, std::size_t>> Analyzer::MatchSpans(
    std::string_view text, const std::unordered_set<std::string>& query_terms) const {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  if (query_terms.empty()) return spans;
  std::vector<Token> tokens = Tokenize(text);
  bool both = language_ == Language::kAuto;
  Language language = both ? Decide(CountVotes(tokens)) : language_;
  Language other = language == Language::kEnglish ? Language::kFrench : Language::kEnglish;
  for (const Token& token : tokens) {
    // Stop words of the text's own language are never highlighted, even if the other language
    // would keep them: "the" in an English text is not the French query term "the".
    if (IsStopWord(language, token.text)) continue;
    bool match = query_terms.contains(Stem(language, token.text)) ||
                 (both && query_terms.contains(Stem(other, token.text)));
    if (match) spans.emplace_back(token.begin, token.end);
  }
  return spans;
}

}  // namespace studybot::search
