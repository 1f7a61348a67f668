// Analyzer: turns text into the words and terms that keyword search (bm25.h) and the hashing
// embedder (ai/hashing_embedder.h) work on, for English and French.
//
// Pipeline: Tokenize (UTF-8 aware, lower-cased, French elisions removed) -> drop stop words ->
// Snowball stem (libstemmer). The same Analyzer must be used for a chatbot's chunks and its
// queries, or their terms will not meet.
//
// Tokens are maximal runs of letters and digits. "Letters" are ASCII letters, the letters of
// Latin-1 Supplement and Latin Extended-A/B, combining marks, and any code point from U+0370 up
// that is not in a punctuation, symbol, emoji or private-use block (so Greek or Cyrillic words
// stay words). Lower-casing covers ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic.
// Text is not Unicode-normalised: a decomposed "e" + U+0301 is not the same term as "é". CJK text
// is not segmented (runs longer than kMaxTokenBytes are dropped). Invalid UTF-8 bytes separate
// tokens, like spaces.
//
// An apostrophe (' or U+2019) between two letters is kept inside the token as ', except after a
// French elision ("l'", "d'", "qu'", "jusqu'"...), which is dropped: "L’École" -> "école",
// "aujourd'hui" -> "aujourd'hui", "John's" -> "john's" (which the English stemmer makes "john").
//
// Language::kAuto decides per text between English and French by counting stop words that belong
// to only one of the two lists (ties and texts without any go to English); see DetectLanguage.
//
// Thread-safety: an Analyzer is immutable and safe to share between threads. Stemming uses one
// libstemmer object per thread and language (thread_local, created on first use, freed at thread
// exit), because sb_stemmer objects are not thread-safe and locking one would serialise ingest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.h"

namespace studybot::search {

enum class Language { kEnglish, kFrench, kAuto };

// "en"/"english", "fr"/"french", "auto" (ASCII case-insensitive). kInvalidArgument otherwise.
Result<Language> ParseLanguage(std::string_view name);
// "en", "fr" or "auto".
std::string_view LanguageName(Language language);

// Tokens longer than this (in bytes, after lower-casing) are dropped, not cut: they are hashes,
// base64 or unsegmented scripts, and a prefix of them would match nothing useful.
inline constexpr std::size_t kMaxTokenBytes = 64;

struct Token {
  std::string text;       // lower-cased UTF-8, apostrophes normalised to '
  std::size_t begin = 0;  // byte span of the token in the original text (after any elision)
  std::size_t end = 0;
};

// The tokens of `text`, in order. Language-independent (elisions are removed for all languages:
// no English word starts with "l'" or "qu'" followed by a letter that matters for search).
std::vector<Token> Tokenize(std::string_view text);

// English or French (never kAuto) for `text`, from exclusive stop-word hits in its first 1000
// tokens; English on ties.
Language DetectLanguage(std::string_view text);

// Whether `word` (lower-cased, as Tokenize gives it) is a stop word of `language`; for kAuto,
// of either language.
bool IsStopWord(Language language, std::string_view word);

// A non-stop word and its stem.
struct AnalyzedWord {
  std::string word;  // lower-cased token
  std::string stem;
};

class Analyzer {
 public:
  explicit Analyzer(Language language) : language_(language) {}

  Language language() const { return language_; }

  // The language used for `text`: language() unless it is kAuto, then DetectLanguage(text).
  Language Resolve(std::string_view text) const;

  // Stems of the non-stop words, in text order, duplicates kept: what documents are indexed with.
  std::vector<std::string> Terms(std::string_view text) const;

  // Terms for a search query, duplicates removed (first occurrence order). Under kAuto a short
  // query rarely decides its language, so unless one language leads by at least two stop words
  // the result holds the terms of both languages: the query then meets chunks stemmed either way,
  // and a stem that exists in no chunk costs nothing.
  std::vector<std::string> QueryTerms(std::string_view text) const;

  // Lower-cased tokens, not stemmed, stop words kept (for snippets and phrase features).
  std::vector<std::string> Words(std::string_view text) const;

  // Non-stop words with their stems, in text order.
  std::vector<AnalyzedWord> Analyze(std::string_view text) const;

  // Byte spans [begin, end) of the words of `text` whose stem is in `query_terms` (as given by
  // QueryTerms or Terms), ascending: for highlighting snippets. Under kAuto a word matches if its
  // stem in either language does, for the same reason as QueryTerms.
  std::vector<std::pair<std::size_t, std::size_t>> MatchSpans(
      std::string_view text, const std::unordered_set<std::string>& query_terms) const;

  // The Snowball stem of `word` in `language` (kAuto: English). A word the stemmer cannot take
  // (out of memory) is returned unchanged.
  static std::string Stem(Language language, std::string_view word);

 private:
  Language language_;
};

}  // namespace studybot::search
