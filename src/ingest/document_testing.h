// Test helper: a ParsedDocument as one readable line per block, for parser tests to compare.
#pragma once

#include <string>
#include <vector>

#include "ingest/document.h"

namespace studybot::ingest {

// "H2 #anchor Text", "P text", "L1 text", "C code", "T a | b\nc | d"; " @3" is appended for a
// block on PDF page 3.
inline std::vector<std::string> Describe(const ParsedDocument& document) {
  std::vector<std::string> out;
  for (const Block& block : document.blocks) {
    std::string line;
    switch (block.kind) {
      case Block::Kind::kHeading:
        line = "H" + std::to_string(block.level) + " #" + block.anchor + " ";
        break;
      case Block::Kind::kParagraph:
        line = "P ";
        break;
      case Block::Kind::kListItem:
        line = "L" + std::to_string(block.level) + " ";
        break;
      case Block::Kind::kCode:
        line = "C ";
        break;
      case Block::Kind::kTable:
        line = "T ";
        break;
    }
    line += block.text;
    if (block.page > 0) line += " @" + std::to_string(block.page);
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace studybot::ingest
