#include "ingest/document_builder.h"

#include <utility>

#include "ingest/parsers.h"
#include "ingest/text_clean.h"

namespace studybot::ingest {

std::string CleanHeading(std::string_view text) {
  std::string clean = CollapseWhitespace(SanitizeText(text));
  clean.resize(TruncateUtf8(clean, kMaxHeadingBytes).size());
  // The cut may leave a trailing space.
  while (!clean.empty() && clean.back() == ' ')
    clean.pop_back();
  return clean;
}

bool DocumentBuilder::Add(Block::Kind kind, std::string_view text, int level,
                          std::string_view anchor, int page) {
  if (full()) return false;
  if (document_.blocks.size() >= kMaxBlocks) {
    SetTruncated();
    return false;
  }
  Block block;
  block.kind = kind;
  block.level = level;
  block.page = page;
  switch (kind) {
    case Block::Kind::kHeading:
      block.text = CleanHeading(text);
      break;
    case Block::Kind::kCode:
      block.text = NormalizePreformatted(SanitizeText(text));
      break;
    case Block::Kind::kTable: {
      // One row per line, each collapsed.
      std::string sanitized = SanitizeText(text);
      std::string_view rest = sanitized;
      while (!rest.empty()) {
        std::size_t newline = rest.find('\n');
        std::string row = CollapseWhitespace(rest.substr(0, newline));
        if (!row.empty()) {
          if (!block.text.empty()) block.text.push_back('\n');
          block.text += row;
        }
        rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
      }
      break;
    }
    case Block::Kind::kParagraph:
    case Block::Kind::kListItem:
      block.text = CollapseWhitespace(SanitizeText(text));
      break;
  }
  if (block.text.empty()) return true;
  if (!anchor.empty()) {
    block.anchor = CollapseWhitespace(SanitizeText(anchor));
    block.anchor.resize(TruncateUtf8(block.anchor, kMaxAnchorBytes).size());
  }
  if (text_bytes_ + block.text.size() > kMaxDocumentTextBytes) {
    // Keep what fits of this block, at a character boundary, then stop.
    std::size_t room = kMaxDocumentTextBytes - text_bytes_;
    block.text.resize(TruncateUtf8(block.text, room).size());
    SetTruncated();
    if (block.text.empty() || kind == Block::Kind::kHeading) return false;
  }
  text_bytes_ += block.text.size();
  if (kind == Block::Kind::kHeading && level == 1 && first_h1_.empty()) first_h1_ = block.text;
  document_.blocks.push_back(std::move(block));
  return !full();
}

ParsedDocument DocumentBuilder::Finish(std::string_view title) {
  document_.title = CleanHeading(title);
  return std::move(document_);
}

}  // namespace studybot::ingest
