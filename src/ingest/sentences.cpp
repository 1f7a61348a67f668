#include "ingest/sentences.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>

#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// Text is split in windows of this many bytes (cut at a space), so that the decoded copy of a
// giant paragraph stays small; a sentence longer than a window is cut at the window's end, which
// the chunker would do anyway.
constexpr std::size_t kWindowBytes = 1 << 20;

struct CodePoint {
  char32_t cp;
  std::uint32_t begin;  // byte offsets in the window
  std::uint32_t end;
};

std::vector<CodePoint> Decode(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t begin = pos;
    char32_t cp = NextCodePoint(text, &pos);
    out.push_back({cp, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(pos)});
  }
  return out;
}

bool IsTerminator(char32_t cp) {
  return cp == '.' || cp == '!' || cp == '?' || cp == 0x2026 || cp == 0x203C || cp == 0x2047 ||
         cp == 0x2048 || cp == 0x2049;
}

bool IsWideTerminator(char32_t cp) {
  return cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == 0xFF0E;
}

// Closing quotes and brackets that belong to the sentence they follow. After a space only the
// unambiguous ones count: a straight quote after a space more likely opens the next sentence.
bool IsCloser(char32_t cp, bool after_space) {
  switch (cp) {
    case 0xBB:    // »
    case 0x201D:  // ”
    case 0x2019:  // ’
    case 0x203A:  // ›
    case ')':
    case ']':
    case 0x300D:  // 」
    case 0x300F:  // 』
    case 0xFF09:  // ）
      return true;
    case '"':
    case '\'':
    case '*':  // emphasis markers left in plain text
    case '_':
      return !after_space;
    default:
      return false;
  }
}

// Abbreviations that a '.' follows without ending a sentence, lower-case, without the dot. Not
// "etc.", which ends sentences as often as not.
constexpr std::string_view kAbbreviations[] = {
    "mr",  "mrs",  "ms",   "dr",  "prof",   "sr", "jr", "st",   "mt",  "vs",  "cf", "eg",  "ie",
    "mme", "mlle", "mmes", "mgr", "approx", "ca", "al", "resp", "gen", "col", "lt", "sgt", "rev"};

// Abbreviations that do not end a sentence when a number follows ("No. 5", "art. 12").
constexpr std::string_view kNumberAbbreviations[] = {"no", "nos", "nr",  "fig",  "figs", "vol",
                                                     "p",  "pp",  "art", "chap", "ch",   "sec",
                                                     "eq", "n",   "ex",  "tab"};

bool Contains(const auto& list, std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

// e.g, i.e, U.S, Ph.D, a.m: letters in groups of one to three, joined by dots.
bool IsDottedInitialism(std::string_view word) {
  std::size_t pos = 0;
  int group = 0;
  bool dotted = false;
  while (pos < word.size()) {
    char32_t cp = NextCodePoint(word, &pos);
    if (cp == '.') {
      if (group == 0) return false;
      dotted = true;
      group = 0;
    } else if (IsUpper(cp) || IsLower(cp)) {
      if (++group > 3) return false;
    } else {
      return false;
    }
  }
  return dotted && group > 0;
}

// Whether the word `word` (the text between the last space and a '.') is an abbreviation or an
// initial, given the code point that starts the next word.
bool IsAbbreviation(std::string_view word, char32_t next) {
  // Leading brackets and quotes: "(e.g. this)".
  while (!word.empty() && (word.front() == '(' || word.front() == '[' || word.front() == '"'))
    word.remove_prefix(1);
  if (word.empty()) return false;
  std::size_t pos = 0;
  char32_t first = NextCodePoint(word, &pos);
  if (pos == word.size() && IsUpper(first)) return true;  // an initial: "J. Smith"
  if (IsDottedInitialism(word)) return true;              // the dot being looked at is the last one
  std::string lower;
  pos = 0;
  while (pos < word.size())
    AppendUtf8(ToLowerChar(NextCodePoint(word, &pos)), &lower);
  if (Contains(kAbbreviations, lower)) return true;
  return next >= '0' && next <= '9' && Contains(kNumberAbbreviations, lower);
}

// SplitSentences for text of at most kWindowBytes, appending to `sentences`.
void SplitWindow(std::string_view text, std::vector<std::string_view>& sentences) {
  std::vector<CodePoint> cps = Decode(text);
  std::size_t start = 0;  // index into cps of the current sentence's first code point
  auto emit = [&](std::size_t end_index) {
    // Trim whitespace at both ends.
    std::size_t b = start;
    std::size_t e = end_index;
    while (b < e && IsSpace(cps[b].cp))
      ++b;
    while (e > b && IsSpace(cps[e - 1].cp))
      --e;
    if (b < e) sentences.push_back(text.substr(cps[b].begin, cps[e - 1].end - cps[b].begin));
    start = end_index;
  };
  std::size_t i = 0;
  while (i < cps.size()) {
    char32_t cp = cps[i].cp;
    if (cp == '\n') {
      emit(i + 1);
      ++i;
      continue;
    }
    if (IsWideTerminator(cp)) {
      std::size_t end = i + 1;
      while (end < cps.size() && (IsWideTerminator(cps[end].cp) || IsCloser(cps[end].cp, false)))
        ++end;
      emit(end);
      i = end;
      continue;
    }
    if (!IsTerminator(cp)) {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < cps.size() && IsTerminator(cps[end].cp))
      ++end;
    bool single_dot = cp == '.' && end == i + 1;
    // Closers, directly or after spaces (French: "Oui ! »").
    while (true) {
      std::size_t k = end;
      while (k < cps.size() && IsSpace(cps[k].cp) && cps[k].cp != '\n')
        ++k;
      if (k < cps.size() && IsCloser(cps[k].cp, k > end)) {
        end = k + 1;
      } else {
        break;
      }
    }
    if (end < cps.size() && !IsSpace(cps[end].cp)) {  // "3.14", "a.b", "?!x"
      i = end;
      continue;
    }
    std::size_t next = end;
    while (next < cps.size() && IsSpace(cps[next].cp) && cps[next].cp != '\n')
      ++next;
    char32_t next_cp = next < cps.size() ? cps[next].cp : 0;
    bool boundary = next >= cps.size() || next_cp == '\n' || !IsLower(next_cp);
    if (boundary && single_dot) {
      std::size_t word_start = i;
      while (word_start > start && !IsSpace(cps[word_start - 1].cp))
        --word_start;
      std::string_view word =
          text.substr(cps[word_start].begin, cps[i].begin - cps[word_start].begin);
      if (IsAbbreviation(word, next_cp)) boundary = false;
    }
    if (boundary) emit(end);
    i = end;
  }
  emit(cps.size());
}

}  // namespace

std::vector<std::string_view> SplitSentences(std::string_view text) {
  std::vector<std::string_view> sentences;
  while (text.size() > kWindowBytes) {
    std::size_t cut = text.rfind(' ', kWindowBytes);
    if (cut == std::string_view::npos || cut == 0) {
      cut = TruncateUtf8(text, kWindowBytes).size();
      if (cut == 0) cut = kWindowBytes;  // not UTF-8: any cut is as good
    }
    SplitWindow(text.substr(0, cut), sentences);
    text.remove_prefix(cut);
  }
  SplitWindow(text, sentences);
  return sentences;
}

}  // namespace studybot::ingest
