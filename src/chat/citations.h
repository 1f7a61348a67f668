// Post-processing of a model's answer: its citation markers and its "I don't know".
//
// Markers are "[n]" or a list "[n, m]" / "[n; m]" of source numbers (what the prompt's rules ask
// for). A number that names no source is removed from its marker, and a marker left empty goes
// with the space before it; anything else in brackets (a Markdown link's text, "[sic]") is text.
// The answer's sources are the ones cited, in order of first citation.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace studybot::chat {

struct CitedAnswer {
  std::string text;        // with markers to missing sources removed
  std::vector<int> cited;  // source numbers in order of first citation, no repeats
  int dropped = 0;         // numbers removed because no such source exists
};

// `source_count`: sources are numbered 1..source_count.
CitedAnswer MapCitations(std::string_view text, int source_count);

// Whether an answer says it does not know (the rules' kNoAnswerPhrase or a paraphrase, in
// English or French) rather than answering: an empty answer, or a short one (under 300 bytes)
// that starts with or consists of such a phrase. A long answer that mentions a gap in passing
// is an answer.
bool SaysNoAnswer(std::string_view text);

// The share of `text`'s sentences that carry at least one citation marker (0 when no sentence).
double CitationCoverage(std::string_view text);

}  // namespace studybot::chat
