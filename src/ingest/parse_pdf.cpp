// ParsePdf; see parsers.h.
//
// poppler gives each page's text in reading order, one line per text line, with blank lines only
// where the layout has a clear gap. Paragraphs are rebuilt from lines: a blank line ends one, and
// so does a line that ends a sentence while being clearly shorter than the page's longest line
// (the last line of a justified paragraph). Headings are not detected (that would need font
// sizes); chunks of a PDF carry their page number instead.
#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "core/strings.h"
#include "ingest/document_builder.h"
#include "ingest/parsers.h"
#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// poppler reads the header anywhere in the first 1 KiB, as Acrobat does.
constexpr std::size_t kHeaderWindow = 1024;

// A line shorter than this share of the page's longest line, ending a sentence, ends a paragraph.
constexpr double kShortLineRatio = 0.7;

void IgnorePopplerMessage(const std::string& /*message*/, void* /*closure*/) {}

// poppler prints every syntax error of a damaged file to stderr unless given a handler; the
// handler is process-wide, so it is installed once.
void SilencePoppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(IgnorePopplerMessage, nullptr); });
}

std::string ToUtf8(const poppler::ustring& text) {
  poppler::byte_array bytes = text.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool EndsSentence(std::string_view line) {
  while (!line.empty() && (line.back() == '"' || line.back() == ')' || line.back() == ' ')) {
    line.remove_suffix(1);
  }
  if (line.empty()) return false;
  char last = line.back();
  return last == '.' || last == '!' || last == '?' || last == ':' || line.ends_with("\xC2\xBB") ||
         line.ends_with("\xE2\x80\xA6") || line.ends_with("\xE2\x80\x9D");
}

bool IsAsciiLower(char c) {
  return c >= 'a' && c <= 'z';
}

// Adds the paragraphs of one page's text; false once the document is full.
bool AddPage(std::string_view raw, int page, DocumentBuilder& builder) {
  std::string text = SanitizeText(raw);
  std::vector<std::string_view> lines;
  for (std::string_view line : Split(text, '\n'))
    lines.push_back(Trim(line));
  // A page number alone on the first or last line is not text.
  auto is_page_number = [](std::string_view line) {
    return !line.empty() && line.size() <= 4 &&
           line.find_first_not_of("0123456789") == std::string_view::npos;
  };
  auto trim_blank = [&] {
    while (!lines.empty() && lines.back().empty())
      lines.pop_back();
    while (!lines.empty() && lines.front().empty())
      lines.erase(lines.begin());
  };
  trim_blank();
  if (!lines.empty() && is_page_number(lines.back())) lines.pop_back();
  if (!lines.empty() && is_page_number(lines.front())) lines.erase(lines.begin());
  trim_blank();
  std::size_t longest = 0;
  for (std::string_view line : lines)
    longest = std::max(longest, CodePoints(line));
  std::string paragraph;
  auto flush = [&] {
    bool more = paragraph.empty() || builder.Add(Block::Kind::kParagraph, paragraph, 0, {}, page);
    paragraph.clear();
    return more;
  };
  for (std::string_view line : lines) {
    if (line.empty()) {
      if (!flush()) return false;
      continue;
    }
    if (!paragraph.empty()) {
      // "infor-" + "mation": a word hyphenated at the line end. ("well-" + "known" loses its
      // hyphen too; the rarer case.)
      std::size_t n = paragraph.size();
      if (n >= 2 && paragraph[n - 1] == '-' && IsAsciiLower(paragraph[n - 2]) &&
          IsAsciiLower(line[0])) {
        paragraph.pop_back();
      } else {
        paragraph += ' ';
      }
    }
    paragraph += line;
    if (EndsSentence(line) &&
        static_cast<double>(CodePoints(line)) < kShortLineRatio * static_cast<double>(longest)) {
      if (!flush()) return false;
    }
  }
  return flush();
}

}  // namespace

Result<ParsedDocument> ParsePdf(std::string_view bytes) {
  if (bytes.empty()) return Error::InvalidArgument("the PDF file is empty");
  if (bytes.size() > kMaxPdfBytes) {
    return Error::PayloadTooLarge("the PDF is larger than " +
                                  std::to_string(kMaxPdfBytes / (1024 * 1024)) + " MiB");
  }
  if (bytes.substr(0, kHeaderWindow).find("%PDF-") == std::string_view::npos) {
    return Error::InvalidArgument("the file is not a PDF (it has no %PDF- header)");
  }
  SilencePoppler();
  // poppler reads from `bytes` without copying; they outlive `document`.
  std::unique_ptr<poppler::document> document(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (document == nullptr) {
    return Error::InvalidArgument("the PDF is damaged and cannot be read");
  }
  if (document->is_locked()) {
    return Error::InvalidArgument(
        "the PDF is protected by a password; upload a copy without the password");
  }
  int pages = document->pages();
  if (pages <= 0) return Error::InvalidArgument("the PDF has no pages; it may be damaged");

  DocumentBuilder builder;
  for (int i = 0; i < pages; ++i) {
    if (i == kMaxPdfPages) {
      builder.SetTruncated();
      break;
    }
    std::unique_ptr<poppler::page> page(document->create_page(i));
    if (page == nullptr) continue;
    if (!AddPage(ToUtf8(page->text()), i + 1, builder)) break;
  }
  if (builder.empty()) {
    return Error::Unprocessable(
        "the PDF has no extractable text; it may hold scanned images, which are not read");
  }
  return builder.Finish(ToUtf8(document->get_title()));
}

}  // namespace studybot::ingest
