// ChunkDocument: cuts a ParsedDocument into the chunks that are embedded, indexed and later cited
// as sources. A chunk is a passage a reader can be sent to: it stays within one section (and one
// PDF page), knows its heading path and the anchor to link to, and is small enough to embed.
//
// How chunks are cut:
//   * a heading ends the current chunk and starts a section; the heading's text is not part of
//     any chunk's text but of their heading_path (the caller may prepend it for embedding and
//     should index it: a section's words often appear only in its heading);
//   * a change of PDF page ends the current chunk too, so a citation names one page;
//   * within a section, blocks are packed into a chunk while its CountTokens stays within
//     size_tokens; a block that does not fit goes whole to the next chunk (list items, code and
//     tables are kept whole whenever they fit in a chunk), except a paragraph met while the
//     chunk is less than half full, whose sentences then fill it;
//   * a block larger than size_tokens is split between sentences (see sentences.h; code and
//     tables between lines first), a sentence still too large between words, a word still too
//     large (a giant URL) inside it, at a code point boundary;
//   * each chunk after the first of a section starts with about overlap_tokens of the previous
//     chunk's end, as whole sentences when those give at least half the overlap, else as whole
//     words (after code or a table: whole lines only, else none); the overlap is shrunk so that
//     the chunk still fits, and never crosses a heading or page boundary. The overlap is a
//     verbatim suffix of the previous chunk's text;
//   * a chunk never exceeds size_tokens, except by a token or two where a word had to be cut
//     inside (token counts are not additive inside a word);
//   * tiny trailing sections are left as they are: merging them with the next section would give
//     the chunk two heading paths, and the citation would point at the wrong one.
//
// Chunk text: blocks are separated by a blank line, consecutive list items and code or table
// lines by a newline, sentences of one block by a space; whitespace within a block is
// normalised as in document.h. Nothing is added: no heading, no list marker.
//
// The result is deterministic, valid UTF-8 (input is sanitised again, so a hand-built document
// is safe too), and never cuts inside a code point. An empty document gives no chunks.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "ingest/document.h"

namespace studybot::ingest {

struct ChunkingOptions {
  // Upper bound of a chunk's size in CountTokens tokens; 50..4000. 400 keeps a chunk to a
  // paragraph or two: specific enough to rank well, long enough to quote.
  int size_tokens = 400;
  // Tokens of the previous chunk repeated at the start of the next one of the same section, so
  // that a passage cut in two is whole in one of them; 0 <= overlap_tokens < size_tokens / 2.
  int overlap_tokens = 60;
};

struct Chunk {
  std::string text;
  std::vector<std::string> heading_path;  // outermost first, e.g. {"Install", "On Debian"}
  std::string anchor;                     // of the innermost heading that has one; "" if none
  int page = 0;                           // 1-based PDF page; 0 if none
  int position = 0;                       // 0-based order in the document
  int token_count = 0;                    // CountTokens(text)
};

// OK, or InvalidArgument naming each bad field ("/size_tokens", "/overlap_tokens").
Status ValidateChunkingOptions(const ChunkingOptions& options);

// REQUIRES: ValidateChunkingOptions(options) is OK (options out of range are clamped).
std::vector<Chunk> ChunkDocument(const ParsedDocument& document, const ChunkingOptions& options);

}  // namespace studybot::ingest
