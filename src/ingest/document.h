// ParsedDocument: the structured form that every ingestion parser (text, Markdown, HTML, PDF)
// produces and the chunker consumes. It keeps only what chunking and citing need: the reading
// order of text blocks, their kind, the heading hierarchy, the anchors a citation can link to and
// the PDF page a block is on.
//
// Invariants of a document made by the parsers in parsers.h: every string is valid UTF-8 without
// control characters other than \n and \t; no block has empty text; text is whitespace-collapsed
// to single spaces, except in kCode (lines kept) and kTable (one row per line) blocks.
//
// Plain values; no synchronisation.
#pragma once

#include <string>
#include <vector>

namespace studybot::ingest {

struct Block {
  enum class Kind {
    kHeading,    // `level` is 1-6; `anchor` is its id, if any
    kParagraph,  // prose, including block quotes and a PDF page's paragraphs
    kListItem,   // one item, marker stripped; nested lists are flattened, `level` is the depth
    kCode,       // preformatted: lines and indentation kept
    kTable,      // one row per line, cells separated by " | "
  };

  Kind kind = Kind::kParagraph;
  int level = 0;       // heading level 1-6, list depth 1.., else 0
  std::string text;    // see the invariants above
  std::string anchor;  // headings: the HTML id or Markdown slug to link to ("" if none)
  int page = 0;        // 1-based PDF page; 0 for formats without pages
};

struct ParsedDocument {
  std::string title;  // "" if the document has none
  std::vector<Block> blocks;
  // The document was larger than the parsers' output bound (see parsers.h) and its end was
  // dropped; the caller may want to tell the uploader.
  bool truncated = false;
};

}  // namespace studybot::ingest
