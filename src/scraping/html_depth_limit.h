// LimitNestingDepth: a pre-pass over raw HTML that unwraps elements nested too deeply, so that a
// hostile page cannot make the HTML parser (gumbo, whose tree construction is quadratic in depth)
// stall. ExtractPage runs it with kMaxNestingDepth before parsing.
//
// Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace studybot::scraping {

// Returns `html` with the start and end tags of elements nested deeper than `max_depth` removed,
// their content kept. A light tokenizer tracks an approximation of the element stack (void
// elements, raw text elements, comments, implied end tags such as "<p>a<p>b", self-closing tags
// inside <svg>/<math>); it only has to be close enough that real pages stay untouched while
// hostile nesting is cut down to a depth the parser handles quickly. Any byte sequence is accepted.
std::string LimitNestingDepth(std::string_view html, std::size_t max_depth);

}  // namespace studybot::scraping
