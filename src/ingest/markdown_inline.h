// StripInlineMarkdown: the plain text of Markdown inline content, for ParseMarkdown. Kept apart
// from the block parser because it is the part with its own small grammar.
//
// What goes: emphasis and strikethrough delimiters (*, _, ~~, following CommonMark's flanking
// rules, so snake_case and "a * b" survive), code span backticks (their text is kept verbatim),
// link syntax ([text](url "title"), [text][ref], [text][] keep "text"), images (![alt](src) is
// dropped whole: alt text is rarely written for readers), footnote references ([^1]), HTML tags
// and comments (<br> becomes a space), backslash escapes (\* gives *), and a hard line break's
// trailing backslash. Autolinks (<https://...>, <a@b.org>) keep their URL. Common entities
// (&amp; &lt; &gt; &quot; &apos; &nbsp; numeric ones and a few typographic ones) are decoded.
//
// Hostile input: link and code-span closers are looked for only a bounded distance ahead, and
// nested link text is stripped to a bounded depth, so the cost stays linear in the input.
//
// Internal to ingest/. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace studybot::ingest {

// `text` is the raw inline content of one block (lines joined by '\n'); the result may hold runs
// of whitespace, which DocumentBuilder collapses.
std::string StripInlineMarkdown(std::string_view text);

}  // namespace studybot::ingest
