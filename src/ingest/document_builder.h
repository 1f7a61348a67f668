// DocumentBuilder: what every parser uses to emit blocks, so that the invariants and bounds of
// document.h and parsers.h hold in one place: text is sanitised and whitespace-normalised for its
// kind, empty blocks are dropped, headings and anchors are cut to size, and output stops at the
// document bounds.
//
// Internal to ingest/. Not thread-safe (one builder per parse).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ingest/document.h"

namespace studybot::ingest {

class DocumentBuilder {
 public:
  // Adds a block of `kind` with raw `text` (any bytes). Returns false once the document is full:
  // the block was dropped and the caller should stop parsing.
  bool Add(Block::Kind kind, std::string_view text, int level = 0, std::string_view anchor = {},
           int page = 0);

  // Marks the document truncated (a parser stopped early for its own bound, e.g. PDF pages).
  void SetTruncated() { document_.truncated = true; }
  bool full() const { return document_.truncated; }
  // Whether any block was added.
  bool empty() const { return document_.blocks.empty(); }
  // The text of the first level-1 heading, "" if none yet.
  const std::string& first_h1() const { return first_h1_; }

  // The document, with `title` cleaned like a heading. The builder is spent.
  ParsedDocument Finish(std::string_view title);

 private:
  ParsedDocument document_;
  std::size_t text_bytes_ = 0;
  std::string first_h1_;
};

// `text` cleaned for use as a title or heading: sanitised, whitespace collapsed, cut to
// kMaxHeadingBytes.
std::string CleanHeading(std::string_view text);

}  // namespace studybot::ingest
