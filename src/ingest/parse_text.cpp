// ParseText and ParseDocument; see parsers.h.
#include <algorithm>
#include <string>

#include "core/strings.h"
#include "ingest/document_builder.h"
#include "ingest/parsers.h"
#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// Columns of leading whitespace (a tab counts 4) and its length in bytes.
std::size_t IndentWidth(std::string_view line, std::size_t* bytes) {
  std::size_t width = 0;
  std::size_t i = 0;
  for (; i < line.size() && (line[i] == ' ' || line[i] == '\t'); ++i)
    width += line[i] == '\t' ? 4 : 1;
  *bytes = i;
  return width;
}

// If `line` (without indentation) starts with a list marker followed by a space, the length of
// the marker and the spaces; else 0.
std::size_t ListMarkerLength(std::string_view line) {
  std::size_t marker = 0;
  for (std::string_view bullet : {"-", "*", "+", "\xE2\x80\xA2" /* • */, "\xE2\x97\xA6" /* ◦ */,
                                  "\xE2\x80\xA3" /* ‣ */, "\xE2\x96\xAA" /* ▪ */}) {
    if (StartsWith(line, bullet)) {
      marker = bullet.size();
      break;
    }
  }
  if (marker == 0) {
    std::size_t digits = 0;
    while (digits < line.size() && digits < 4 && line[digits] >= '0' && line[digits] <= '9')
      ++digits;
    if (digits > 0 && digits <= 3 && digits < line.size() &&
        (line[digits] == '.' || line[digits] == ')')) {
      marker = digits + 1;
    } else if (line.size() >= 2 && line[0] >= 'a' && line[0] <= 'z' && line[1] == ')') {
      marker = 2;
    }
  }
  if (marker == 0 || marker >= line.size() || (line[marker] != ' ' && line[marker] != '\t'))
    return 0;
  std::size_t end = marker;
  while (end < line.size() && (line[end] == ' ' || line[end] == '\t'))
    ++end;
  return end < line.size() ? end : 0;  // a marker alone on its line is not an item
}

}  // namespace

Result<ParsedDocument> ParseText(std::string_view text) {
  if (text.size() > kMaxMarkupBytes) {
    return Error::PayloadTooLarge("the text is larger than " +
                                  std::to_string(kMaxMarkupBytes / (1024 * 1024)) + " MiB");
  }
  std::string clean = SanitizeText(text);
  DocumentBuilder builder;
  std::string pending;
  Block::Kind pending_kind = Block::Kind::kParagraph;
  int pending_level = 0;
  auto flush = [&] {
    bool more = pending.empty() || builder.Add(pending_kind, pending, pending_level);
    pending.clear();
    return more;
  };
  for (std::string_view line : Split(clean, '\n')) {
    if (Trim(line).empty()) {
      if (!flush()) break;
      continue;
    }
    std::size_t indent_bytes = 0;
    std::size_t indent = IndentWidth(line, &indent_bytes);
    std::string_view content = line.substr(indent_bytes);
    if (std::size_t marker = ListMarkerLength(content); marker > 0) {
      if (!flush()) break;
      pending_kind = Block::Kind::kListItem;
      pending_level = 1 + static_cast<int>(std::min<std::size_t>(indent / 2, 8));
      pending = content.substr(marker);
      continue;
    }
    // An indented line continues a list item; any other line after one starts a paragraph.
    if (pending_kind == Block::Kind::kListItem && !pending.empty() && indent == 0) {
      if (!flush()) break;
    }
    if (pending.empty()) {
      pending_kind = Block::Kind::kParagraph;
      pending_level = 0;
    }
    if (!pending.empty()) pending += ' ';
    pending += content;
  }
  flush();
  return builder.Finish("");
}

Result<ParsedDocument> ParseDocument(std::string_view media_type, std::string_view content) {
  std::string type = ToLower(std::string(Trim(media_type.substr(0, media_type.find(';')))));
  if (type == "text/plain") return ParseText(content);
  if (type == "text/markdown" || type == "text/x-markdown") return ParseMarkdown(content);
  if (type == "text/html" || type == "application/xhtml+xml") return ParseHtml(content);
  if (type == "application/pdf") return ParsePdf(content);
  return Error::UnsupportedMediaType(
      "documents must be text/plain, text/markdown, text/html or application/pdf");
}

}  // namespace studybot::ingest
