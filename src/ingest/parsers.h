// Parsers: turn an uploaded document or a crawled page into a ParsedDocument (see document.h),
// one function per format.
//
// Hostile input. Every parser accepts any byte sequence without crashing or reading out of
// bounds: invalid UTF-8 becomes U+FFFD, control characters other than \n and \t are dropped (see
// SanitizeText), and nothing recurses on the input's nesting. Inputs larger than the limits below
// are refused with PayloadTooLarge rather than read in part, since the caller's upload limit
// should be well below them anyway.
//
// Bounded output. At most kMaxDocumentTextBytes of block text and kMaxBlocks blocks are kept;
// the rest is dropped and ParsedDocument::truncated is set. Every byte kept becomes chunks that
// are embedded (paid per token) and held in the index, so one upload must not be able to cost
// without limit: 4 MiB is about a million tokens, a 2,000-page book, far beyond study material
// and a sign of a data dump. The block bound caps the per-block overhead of a pathological
// document made of one-character list items. Headings are cut to kMaxHeadingBytes, since each
// chunk under a heading carries its path.
//
// Empty input (or input without text) gives a document without blocks, which chunks to nothing;
// only ParsePdf fails on it, as an empty file is not a PDF.
//
// Pure functions; thread-safe (ParsePdf: see there).
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "ingest/document.h"

namespace studybot::ingest {

// Largest text, Markdown or HTML input accepted, and largest PDF.
inline constexpr std::size_t kMaxMarkupBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxPdfBytes = 64 * 1024 * 1024;

// Output bounds, see above.
inline constexpr std::size_t kMaxDocumentTextBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxBlocks = 100'000;
inline constexpr std::size_t kMaxHeadingBytes = 512;
inline constexpr std::size_t kMaxAnchorBytes = 256;
// PDF pages read; later pages are dropped (truncated is set).
inline constexpr int kMaxPdfPages = 2'000;

// Plain text. Paragraphs are separated by blank lines; a line that starts with a list marker
// ("- ", "* ", "+ ", "• ", "1. ", "1) ", "a) ") starts a list item, which indented lines that
// follow continue. Lines within a paragraph are joined. No title.
// Errors: PayloadTooLarge.
Result<ParsedDocument> ParseText(std::string_view text);

// Markdown (CommonMark with the GitHub extensions that matter for text), see parse_markdown.cpp:
// ATX and setext headings, paragraphs, list items (nested lists flattened), block quotes (their
// markers dropped), fenced and indented code as kCode, GFM tables as kTable; a YAML front matter
// block is dropped, its `title:` kept; HTML comments are dropped, other tags stripped. Inline
// markup is stripped: emphasis, code spans (their text kept), links (their text kept), images
// (dropped), autolinks (the URL kept), backslash escapes and common entities.
// Heading anchors are GitHub's slugs (see slug.h), unless the heading ends in "{#id}".
// Title: the front matter's title, else the first level-1 heading.
// Errors: PayloadTooLarge.
Result<ParsedDocument> ParseMarkdown(std::string_view markdown);

// HTML, parsed as a browser would (gumbo), see parse_html.cpp. The content root is <main> (or
// role=main), else the dominant <article>, else <body>. Headings h1-h6 keep their id (or that of
// an <a id>/<a name> inside or just before them) as anchor; p, li, dt/dd, pre, blockquote, table
// rows and text directly in containers become blocks. Non-content (script, style, noscript,
// template, nav, footer, aside, form, controls, images, embedded media, and header outside an
// article or main) and
// hidden elements (hidden, aria-hidden=true, display:none) are skipped. Entities are decoded and
// whitespace collapsed. Title: <title>, else the first <h1>.
// Errors: PayloadTooLarge.
Result<ParsedDocument> ParseHtml(std::string_view html);

// PDF, via poppler: the text of each page in reading order, as paragraph blocks with `page` set
// (a page's lines are joined into paragraphs at blank lines and at short lines that end a
// sentence; words hyphenated across lines are rejoined; a page number alone on the first or last
// line is dropped). Title: the document information's title, if any.
// Errors: InvalidArgument for empty input, input that is not a PDF, a damaged PDF poppler cannot
// open, and a password-protected PDF; Unprocessable for a PDF with pages but no extractable text
// (scanned images: OCR is not done); PayloadTooLarge.
// Thread-safety: poppler keeps no state per call, but its error callback is process-wide: the
// first call silences it (poppler would print to stderr) for the whole process.
Result<ParsedDocument> ParsePdf(std::string_view bytes);

// The parser for a media type (parameters such as "; charset=utf-8" are ignored; text is always
// read as UTF-8): text/plain, text/markdown (and text/x-markdown), text/html (and
// application/xhtml+xml), application/pdf.
// Errors: UnsupportedMediaType for any other type, then those of the parser.
Result<ParsedDocument> ParseDocument(std::string_view media_type, std::string_view content);

}  // namespace studybot::ingest
