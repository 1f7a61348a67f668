// SplitSentences: cuts text into sentences, so that the chunker can split a block too large for
// one chunk between sentences, and start an overlap at the beginning of one.
//
// A sentence ends after '.', '!', '?', '…' or a run of them ("?!", "..."), with any closing
// quotes and brackets that follow (French puts a space before them: « Oui ! »), when whitespace
// comes next and the next word does not begin with a lower-case letter ("e.g. the", "« Non ! »
// dit-il" go on). A '.' does not end a sentence after a known abbreviation (Mr., Dr., e.g., i.e.,
// cf., vs., Mme, U.S. and other dotted initialisms), after a single capital (the initials in
// "J. R. R. Tolkien"), or after No., Fig., p., art. and the like when a number follows. The
// ideographic full stop and the full-width ! and ? (。！？) end a sentence without whitespace. A
// newline always ends one.
//
// This is a heuristic for chunk boundaries, not linguistics: a wrong guess only moves a cut.
//
// Pure function; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace studybot::ingest {

// The sentences of `text`, in order, each without surrounding whitespace; views into `text`.
// Nothing but whitespace is lost: the sentences joined by single spaces give `text` back when its
// whitespace was already collapsed. Empty or all-whitespace input gives no sentence.
std::vector<std::string_view> SplitSentences(std::string_view text);

}  // namespace studybot::ingest
