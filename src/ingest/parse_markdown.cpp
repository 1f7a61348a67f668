// ParseMarkdown; see parsers.h.
//
// A line-based block parser for the CommonMark constructs that carry text. It does not build a
// tree: nested lists are flattened into list items with a depth, block quote markers are dropped
// (quoted text reads as any other), and HTML blocks are left to the inline stripper, which
// removes their tags. Where CommonMark's rules are intricate (list item continuation, lazy
// lines) it takes the simple reading that real README files need.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/strings.h"
#include "ingest/document_builder.h"
#include "ingest/markdown_inline.h"
#include "ingest/parsers.h"
#include "ingest/slug.h"
#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// Lines a YAML front matter block may span; a "---" further down is a thematic break.
constexpr std::size_t kMaxFrontMatterLines = 200;

struct Indent {
  std::size_t columns = 0;  // a tab counts to the next multiple of 4
  std::size_t bytes = 0;
};

Indent IndentOf(std::string_view line) {
  Indent indent;
  for (; indent.bytes < line.size(); ++indent.bytes) {
    char c = line[indent.bytes];
    if (c == ' ') {
      ++indent.columns;
    } else if (c == '\t') {
      indent.columns += 4 - indent.columns % 4;
    } else {
      break;
    }
  }
  return indent;
}

// `line` without up to `columns` columns of indentation.
std::string_view Dedent(std::string_view line, std::size_t columns) {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < line.size() && width < columns && (line[i] == ' ' || line[i] == '\t')) {
    width += line[i] == '\t' ? 4 - width % 4 : 1;
    ++i;
  }
  return line.substr(i);
}

bool IsBlank(std::string_view line) {
  return Trim(line).empty();
}

// Drops up to `max_depth` block quote markers ("> ", with up to 3 spaces before each).
std::string_view StripQuoteMarkers(std::string_view line, std::size_t max_depth, int* depth) {
  *depth = 0;
  while (static_cast<std::size_t>(*depth) < max_depth) {
    Indent indent = IndentOf(line);
    if (indent.columns > 3 || indent.bytes >= line.size() || line[indent.bytes] != '>') break;
    line.remove_prefix(indent.bytes + 1);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
    ++*depth;
  }
  return line;
}

// A code fence: 3+ backticks or tildes. Returns its character and length.
std::optional<std::pair<char, std::size_t>> Fence(std::string_view content) {
  if (content.empty() || (content[0] != '`' && content[0] != '~')) return std::nullopt;
  char c = content[0];
  std::size_t n = 0;
  while (n < content.size() && content[n] == c)
    ++n;
  if (n < 3) return std::nullopt;
  // A backtick fence's info string cannot hold a backtick (it would be a code span).
  if (c == '`' && content.find('`', n) != std::string_view::npos) return std::nullopt;
  return std::make_pair(c, n);
}

bool IsClosingFence(std::string_view content, char c, std::size_t n) {
  std::size_t k = 0;
  while (k < content.size() && content[k] == c)
    ++k;
  return k >= n && IsBlank(content.substr(k));
}

// "***", "- - -", "___": nothing but 3+ of one of -*_ and spaces.
bool IsThematicBreak(std::string_view content) {
  char mark = 0;
  int count = 0;
  for (char c : content) {
    if (c == ' ' || c == '\t') continue;
    if (c != '-' && c != '*' && c != '_') return false;
    if (mark != 0 && c != mark) return false;
    mark = c;
    ++count;
  }
  return count >= 3;
}

// Setext underline: '=' gives level 1, '-' level 2, 0 if none.
int SetextLevel(std::string_view content) {
  std::string_view t = Trim(content);
  if (t.empty() || (t[0] != '=' && t[0] != '-')) return 0;
  if (t.find_first_not_of(t[0]) != std::string_view::npos) return 0;
  return t[0] == '=' ? 1 : 2;
}

// ATX heading: level and raw text, or nullopt.
std::optional<std::pair<int, std::string_view>> AtxHeading(std::string_view content) {
  std::size_t n = 0;
  while (n < content.size() && content[n] == '#')
    ++n;
  if (n == 0 || n > 6) return std::nullopt;
  if (n < content.size() && content[n] != ' ' && content[n] != '\t') return std::nullopt;
  std::string_view text = Trim(content.substr(n));
  // A closing sequence of '#'s, if preceded by a space (or alone).
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '#')
    --end;
  if (end == 0) {
    text = {};
  } else if (end < text.size() && (text[end - 1] == ' ' || text[end - 1] == '\t')) {
    text = Trim(text.substr(0, end));
  }
  return std::make_pair(static_cast<int>(n), text);
}

// "{#custom-id}" at the end of a heading (Pandoc, kramdown, MkDocs): cuts it off `text`.
std::string_view TakeExplicitId(std::string_view* text) {
  std::string_view t = Trim(*text);
  if (t.size() < 4 || t.back() != '}') return {};
  std::size_t open = t.rfind("{#");
  if (open == std::string_view::npos) return {};
  std::string_view id = t.substr(open + 2, t.size() - open - 3);
  if (id.empty() || id.find_first_of(" \t{}") != std::string_view::npos) return {};
  *text = Trim(t.substr(0, open));
  return id;
}

// A list item marker ("-", "*", "+", "1.", "1)") followed by a space or the end of the line.
// Returns the marker's length including the spaces after it (one if none follow).
std::size_t ListMarker(std::string_view content) {
  std::size_t n = 0;
  if (!content.empty() && (content[0] == '-' || content[0] == '*' || content[0] == '+')) {
    n = 1;
  } else {
    while (n < content.size() && n < 10 && content[n] >= '0' && content[n] <= '9')
      ++n;
    if (n == 0 || n > 9 || n >= content.size() || (content[n] != '.' && content[n] != ')')) {
      return 0;
    }
    ++n;
  }
  if (n == content.size()) return n;
  if (content[n] != ' ' && content[n] != '\t') return 0;
  std::size_t end = n;
  while (end < content.size() && (content[end] == ' ' || content[end] == '\t') && end - n < 4)
    ++end;
  return end;
}

// GFM table delimiter row: "| --- | :---: |", "---|---".
bool IsTableDelimiter(std::string_view content) {
  std::string_view t = Trim(content);
  if (t.find('-') == std::string_view::npos) return false;
  bool has_pipe_or_colon = false;
  for (char c : t) {
    if (c == '|' || c == ':') {
      has_pipe_or_colon = true;
    } else if (c != '-' && c != ' ' && c != '\t') {
      return false;
    }
  }
  return has_pipe_or_colon;
}

// One table row as "cell | cell", inline markup stripped.
std::string TableRow(std::string_view content) {
  std::string_view t = Trim(content);
  if (!t.empty() && t.front() == '|') t.remove_prefix(1);
  if (!t.empty() && t.back() == '|' && (t.size() < 2 || t[t.size() - 2] != '\\')) {
    t.remove_suffix(1);
  }
  std::string row;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= t.size(); ++i) {
    if (i < t.size() && t[i] == '\\') {
      ++i;
      continue;
    }
    if (i < t.size() && t[i] != '|') continue;
    std::string cell = CollapseWhitespace(StripInlineMarkdown(t.substr(start, i - start)));
    if (!row.empty()) row += " | ";
    row += cell;
    start = i + 1;
  }
  return row;
}

// "title: ..." from a YAML front matter block, unquoted.
std::string FrontMatterTitle(const std::vector<std::string_view>& lines, std::size_t end) {
  for (std::size_t i = 1; i < end; ++i) {
    std::string_view line = lines[i];
    if (!StartsWith(line, "title:")) continue;
    std::string_view value = Trim(line.substr(6));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return {};
}

class MarkdownParser {
 public:
  explicit MarkdownParser(std::string_view text) : lines_(Split(text, '\n')) {}

  ParsedDocument Parse() {
    std::string title;
    if (!lines_.empty() && Trim(lines_[0]) == "---") {
      for (std::size_t i = 1; i < lines_.size() && i < kMaxFrontMatterLines; ++i) {
        std::string_view t = Trim(lines_[i]);
        if (t == "---" || t == "...") {
          title = FrontMatterTitle(lines_, i);
          next_ = i + 1;
          break;
        }
      }
    }
    while (next_ < lines_.size() && !builder_.full())
      ParseLine();
    Flush();
    return builder_.Finish(title.empty() ? builder_.first_h1() : title);
  }

 private:
  void ParseLine() {
    int quote_depth = 0;
    std::string_view line = StripQuoteMarkers(lines_[next_++], 64, &quote_depth);
    Indent indent = IndentOf(line);
    std::string_view content = line.substr(indent.bytes);

    if (IsBlank(line)) {
      // A list item may go on after a blank line (an indented paragraph inside it).
      if (pending_kind_ != Block::Kind::kListItem) Flush();
      blank_before_ = true;
      return;
    }
    bool blank_before = blank_before_;
    blank_before_ = false;

    // An indented continuation of a list item (after a blank line: a paragraph inside it).
    if (pending_kind_ == Block::Kind::kListItem && !pending_.empty() && blank_before) {
      if (indent.columns >= list_content_indent_ && !Fence(content) && !ListMarker(content)) {
        pending_ += '\n';
        pending_ += content;
        return;
      }
      Flush();
    }
    if (indent.columns <= 3 || in_list_) {
      if (auto fence = Fence(content)) {
        Flush();
        CodeFence(fence->first, fence->second, indent.columns, quote_depth);
        return;
      }
    }
    if (indent.columns <= 3 && StartsWith(content, "<!--")) {
      Flush();
      SkipComment(content);
      return;
    }
    if (indent.columns <= 3) {
      if (auto heading = AtxHeading(content)) {
        Flush();
        in_list_ = false;
        Heading(heading->first, heading->second);
        return;
      }
      if (int level = SetextLevel(content);
          level > 0 && pending_kind_ == Block::Kind::kParagraph && !pending_.empty()) {
        std::string text = std::move(pending_);
        pending_.clear();
        Heading(level, text);
        return;
      }
      if (IsThematicBreak(content)) {
        Flush();
        in_list_ = false;
        return;
      }
      if (content.find('|') != std::string_view::npos && next_ < lines_.size() &&
          IsTableDelimiter(lines_[next_])) {
        Flush();
        Table(content);
        return;
      }
      if (content.front() == '[' && pending_.empty() && IsLinkDefinition(content)) return;
    }
    if (std::size_t marker = ListMarker(content); marker > 0) {
      Flush();
      in_list_ = true;
      pending_kind_ = Block::Kind::kListItem;
      pending_level_ = 1 + static_cast<int>(std::min<std::size_t>(indent.columns / 2, 8));
      list_content_indent_ = indent.columns + marker;
      std::string_view item = content.substr(marker);
      // Task list checkboxes.
      for (std::string_view box : {"[ ] ", "[x] ", "[X] "}) {
        if (StartsWith(item, box)) item.remove_prefix(box.size());
      }
      pending_ = item;
      return;
    }
    if (indent.columns >= 4 && pending_.empty() && !in_list_) {
      IndentedCode(line);
      return;
    }
    // Paragraph text, or a lazy continuation of the pending paragraph or list item.
    if (indent.columns == 0 && pending_.empty()) in_list_ = false;
    if (pending_.empty() && StartsWith(content, "[^")) {  // footnote definition: keep its text
      if (std::size_t colon = content.find("]:"); colon != std::string_view::npos) {
        content.remove_prefix(colon + 2);
      }
    }
    if (pending_.empty()) {
      pending_kind_ = Block::Kind::kParagraph;
      pending_level_ = 0;
    } else {
      pending_ += '\n';
    }
    pending_ += content;
  }

  void Flush() {
    if (pending_.empty()) return;
    builder_.Add(pending_kind_, StripInlineMarkdown(pending_), pending_level_);
    pending_.clear();
    pending_kind_ = Block::Kind::kParagraph;
  }

  void Heading(int level, std::string_view raw) {
    std::string_view explicit_id = TakeExplicitId(&raw);
    std::string text = CleanHeading(StripInlineMarkdown(raw));
    std::string anchor =
        slugs_.Unique(explicit_id.empty() ? GitHubSlug(text) : std::string(explicit_id));
    builder_.Add(Block::Kind::kHeading, text, level, anchor);
  }

  void CodeFence(char c, std::size_t n, std::size_t indent, int quote_depth) {
    std::string code;
    while (next_ < lines_.size()) {
      int depth = 0;
      std::string_view line = StripQuoteMarkers(lines_[next_], quote_depth, &depth);
      if (depth < quote_depth) break;  // the quote ended, and the code with it
      ++next_;
      std::string_view content = line.substr(IndentOf(line).bytes);
      if (IsClosingFence(content, c, n)) break;
      code += Dedent(line, indent);
      code += '\n';
    }
    builder_.Add(Block::Kind::kCode, code);
  }

  void IndentedCode(std::string_view first) {
    std::string code(Dedent(first, 4));
    code += '\n';
    while (next_ < lines_.size()) {
      std::string_view line = lines_[next_];
      if (!IsBlank(line) && IndentOf(line).columns < 4) break;
      code += Dedent(line, 4);
      code += '\n';
      ++next_;
    }
    builder_.Add(Block::Kind::kCode, code);
  }

  void SkipComment(std::string_view first) {
    if (first.find("-->") != std::string_view::npos) return;
    while (next_ < lines_.size()) {
      if (lines_[next_++].find("-->") != std::string_view::npos) return;
    }
  }

  void Table(std::string_view header) {
    std::string text = TableRow(header);
    ++next_;  // the delimiter row
    while (next_ < lines_.size()) {
      int depth = 0;
      std::string_view line = StripQuoteMarkers(lines_[next_], 64, &depth);
      if (IsBlank(line) || line.find('|') == std::string_view::npos) break;
      text += '\n';
      text += TableRow(line);
      ++next_;
    }
    builder_.Add(Block::Kind::kTable, text);
  }

  // "[label]: destination" (a footnote definition "[^1]: text" is text, not a definition).
  static bool IsLinkDefinition(std::string_view content) {
    if (content.size() < 2 || content[1] == '^') return false;
    std::size_t close = content.find("]:");
    return close != std::string_view::npos && close > 1 &&
           content.substr(0, close).find(']') == std::string_view::npos;
  }

  std::vector<std::string_view> lines_;
  std::size_t next_ = 0;
  DocumentBuilder builder_;
  SlugSet slugs_;
  std::string pending_;  // raw text of the paragraph or list item being read
  Block::Kind pending_kind_ = Block::Kind::kParagraph;
  int pending_level_ = 0;
  std::size_t list_content_indent_ = 0;
  bool in_list_ = false;  // since the last list item, only indented or lazy lines were seen
  bool blank_before_ = false;
};

}  // namespace

Result<ParsedDocument> ParseMarkdown(std::string_view markdown) {
  if (markdown.size() > kMaxMarkupBytes) {
    return Error::PayloadTooLarge("the Markdown document is larger than " +
                                  std::to_string(kMaxMarkupBytes / (1024 * 1024)) + " MiB");
  }
  std::string text = SanitizeText(markdown);
  return MarkdownParser(text).Parse();
}

}  // namespace studybot::ingest
