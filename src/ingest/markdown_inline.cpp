#include "ingest/markdown_inline.h"

#include <algorithm>
#include <cstdint>

#include "ingest/text_clean.h"

namespace studybot::ingest {
namespace {

// How far ahead a closing bracket, parenthesis, backtick run, '>' or "-->" is looked for. Real
// link text, URLs and code spans are far shorter; the bound keeps "[[[[..." linear.
constexpr std::size_t kMaxLookahead = 2048;
// Lookahead scans all together read at most this many times the input; past that, every
// construct that needs a closer is taken as text. Keeps pathological input ("` `` ``` ...")
// linear while no real document comes near it.
constexpr std::size_t kLookaheadBudgetFactor = 32;
// Link text inside link text ([a [b](c)](d)) is stripped this deep, then kept as written.
constexpr int kMaxLinkDepth = 4;

bool IsAsciiPunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAsciiAlnum(char c) {
  return IsAsciiAlpha(c) || (c >= '0' && c <= '9');
}

struct Entity {
  std::string_view name;
  char32_t cp;
};

constexpr Entity kEntities[] = {
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"mdash", 0x2014}, {"ndash", 0x2013}, {"laquo", 0xAB},   {"raquo", 0xBB},   {"lsquo", 0x2018},
    {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"euro", 0x20AC},  {"eacute", 0xE9},
    {"egrave", 0xE8},  {"ecirc", 0xEA},   {"agrave", 0xE0},  {"acirc", 0xE2},   {"ccedil", 0xE7},
    {"ocirc", 0xF4},   {"ucirc", 0xFB},   {"ugrave", 0xF9},  {"icirc", 0xEE},   {"iuml", 0xEF},
    {"euml", 0xEB},    {"oelig", 0x153},  {"Eacute", 0xC9},  {"Agrave", 0xC0},  {"Ccedil", 0xC7},
    {"deg", 0xB0},     {"times", 0xD7},   {"middot", 0xB7},  {"bull", 0x2022},  {"shy", 0xAD},
};

// Inline HTML elements whose tags vanish without a trace; other tags separate words.
constexpr std::string_view kInlineTags[] = {
    "a",      "abbr",   "b",   "bdi", "bdo",  "cite", "code", "del",  "dfn",   "em",
    "font",   "i",      "ins", "kbd", "mark", "q",    "s",    "samp", "small", "span",
    "strike", "strong", "sub", "sup", "time", "tt",   "u",    "var",  "wbr"};

class InlineStripper {
 public:
  InlineStripper(std::string_view text, int depth)
      : text_(text), depth_(depth), budget_(kLookaheadBudgetFactor * text.size() + kMaxLookahead) {}

  std::string Run() {
    out_.reserve(text_.size());
    while (i_ < text_.size()) {
      char c = text_[i_];
      switch (c) {
        case '\\':
          Backslash();
          break;
        case '`':
          CodeSpan();
          break;
        case '!':
          if (At(i_ + 1) == '[' && Image()) break;
          Literal(1);
          break;
        case '[':
          if (!Link()) Literal(1);
          break;
        case '<':
          if (!Angle()) Literal(1);
          break;
        case '&':
          if (!EntityRef()) Literal(1);
          break;
        case '*':
        case '_':
        case '~':
          Emphasis(c);
          break;
        default:
          Literal(1);
      }
    }
    return std::move(out_);
  }

 private:
  char At(std::size_t k) const { return k < text_.size() ? text_[k] : '\0'; }
  // The end of the window a lookahead from `from` may scan; the scan then pays with Charge().
  std::size_t Limit(std::size_t from) const {
    std::size_t window = std::min(kMaxLookahead, budget_);
    return std::min(from + window, text_.size());
  }
  void Charge(std::size_t from, std::size_t to) { budget_ -= std::min(budget_, to - from); }

  void Literal(std::size_t n) {
    out_.append(text_.substr(i_, n));
    i_ += n;
  }

  void Backslash() {
    char next = At(i_ + 1);
    if (next == '\n') {  // hard line break
      out_.push_back(' ');
      i_ += 2;
    } else if (IsAsciiPunct(next)) {
      out_.push_back(next);
      i_ += 2;
    } else {
      Literal(1);
    }
  }

  void CodeSpan() {
    std::size_t n = 0;
    while (At(i_ + n) == '`')
      ++n;
    std::size_t limit = Limit(i_ + n);
    for (std::size_t k = i_ + n; k < limit; ++k) {
      if (text_[k] != '`') continue;
      std::size_t m = 0;
      while (At(k + m) == '`')
        ++m;
      if (m == n) {
        Charge(i_, k);
        out_.append(text_.substr(i_ + n, k - i_ - n));
        i_ = k + m;
        return;
      }
      k += m - 1;
    }
    Charge(i_, limit);
    Literal(n);  // no closer: the backticks are text
  }

  // Index of the ']' that closes the '[' at `open`, or npos.
  std::size_t CloseBracket(std::size_t open) {
    int nesting = 0;
    std::size_t limit = Limit(open);
    for (std::size_t k = open; k < limit; ++k) {
      char c = text_[k];
      if (c == '\\') {
        ++k;
      } else if (c == '[') {
        ++nesting;
      } else if (c == ']' && --nesting == 0) {
        Charge(open, k);
        return k;
      }
    }
    Charge(open, limit);
    return std::string_view::npos;
  }

  // Index of the ')' that closes the '(' at `open`, or npos.
  std::size_t CloseParen(std::size_t open) {
    int nesting = 0;
    std::size_t limit = Limit(open);
    for (std::size_t k = open; k < limit; ++k) {
      char c = text_[k];
      if (c == '\\') {
        ++k;
      } else if (c == '(') {
        ++nesting;
      } else if (c == ')' && --nesting == 0) {
        Charge(open, k);
        return k;
      }
    }
    Charge(open, limit);
    return std::string_view::npos;
  }

  // The end (exclusive) of a link's destination or reference after the ']' at `close`: "(...)",
  // "[...]" or nothing (npos).
  std::size_t LinkTail(std::size_t close) {
    char next = At(close + 1);
    if (next == '(') {
      std::size_t end = CloseParen(close + 1);
      return end == std::string_view::npos ? end : end + 1;
    }
    if (next == '[') {
      std::size_t end = CloseBracket(close + 1);
      return end == std::string_view::npos ? end : end + 1;
    }
    return std::string_view::npos;
  }

  bool Image() {
    std::size_t close = CloseBracket(i_ + 1);
    if (close == std::string_view::npos) return false;
    std::size_t end = LinkTail(close);
    if (end == std::string_view::npos) return false;
    i_ = end;
    return true;
  }

  bool Link() {
    if (At(i_ + 1) == '^') {  // footnote reference [^1]
      std::size_t close = CloseBracket(i_);
      if (close == std::string_view::npos) return false;
      i_ = close + 1;
      return true;
    }
    if (depth_ >= kMaxLinkDepth) return false;
    std::size_t close = CloseBracket(i_);
    if (close == std::string_view::npos) return false;
    std::size_t end = LinkTail(close);
    if (end == std::string_view::npos) return false;  // [text] alone is text, brackets included
    out_ += InlineStripper(text_.substr(i_ + 1, close - i_ - 1), depth_ + 1).Run();
    i_ = end;
    return true;
  }

  // Autolinks, HTML comments and tags.
  bool Angle() {
    std::size_t limit = Limit(i_);
    if (text_.substr(i_, 4) == "<!--") {
      std::size_t end = text_.substr(0, limit).find("-->", i_ + 4);
      Charge(i_, end == std::string_view::npos ? limit : end);
      if (end == std::string_view::npos) return false;
      i_ = end + 3;
      return true;
    }
    std::size_t end = i_ + 1;
    while (end < limit && text_[end] != '>' && text_[end] != '<' && text_[end] != '\n' &&
           text_[end] != ' ')
      ++end;
    Charge(i_, end);
    std::string_view inner = text_.substr(i_ + 1, end - i_ - 1);
    if (At(end) == '>' && !inner.empty()) {
      std::size_t colon = inner.find(':');
      bool scheme = colon != std::string_view::npos && colon >= 2 && IsAsciiAlpha(inner[0]);
      for (std::size_t k = 0; scheme && k < colon; ++k)
        scheme = IsAsciiAlnum(inner[k]) || inner[k] == '+' || inner[k] == '.' || inner[k] == '-';
      bool email = inner.find('@') != std::string_view::npos && inner[0] != '/';
      if ((scheme || email) && inner.find('=') == std::string_view::npos) {
        out_.append(inner);
        i_ = end + 1;
        return true;
      }
    }
    // A tag: <name ...>, </name>, <name/>.
    std::size_t k = i_ + 1;
    if (At(k) == '/') ++k;
    if (!IsAsciiAlpha(At(k))) return false;
    std::size_t name_begin = k;
    while (IsAsciiAlnum(At(k)) || At(k) == '-')
      ++k;
    std::string name;
    for (char ch : text_.substr(name_begin, k - name_begin))
      name.push_back(static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
    char after = At(k);
    if (after != '>' && after != '/' && after != ' ' && after != '\n' && after != '\t')
      return false;
    std::size_t close = text_.substr(0, limit).find('>', k);
    Charge(i_, close == std::string_view::npos ? limit : close);
    if (close == std::string_view::npos) return false;
    bool is_inline = false;
    for (std::string_view tag : kInlineTags)
      is_inline = is_inline || tag == name;
    if (!is_inline) out_.push_back(' ');
    i_ = close + 1;
    return true;
  }

  bool EntityRef() {
    std::size_t semi = text_.substr(0, std::min(i_ + 12, text_.size())).find(';', i_ + 1);
    if (semi == std::string_view::npos) return false;
    std::string_view name = text_.substr(i_ + 1, semi - i_ - 1);
    char32_t cp = 0;
    if (name.size() >= 2 && name[0] == '#') {
      bool hex = name[1] == 'x' || name[1] == 'X';
      std::string_view digits = name.substr(hex ? 2 : 1);
      if (digits.empty()) return false;
      std::uint32_t value = 0;
      for (char d : digits) {
        int v = d >= '0' && d <= '9'          ? d - '0'
                : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                              : -1;
        if (v < 0) return false;
        value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
        if (value > 0x10FFFF) value = 0x110000;  // saturate; becomes U+FFFD
      }
      cp = value == 0 ? kReplacementChar : static_cast<char32_t>(value);
    } else {
      for (const Entity& entity : kEntities) {
        if (entity.name == name) cp = entity.cp;
      }
      if (cp == 0) return false;
    }
    AppendUtf8(cp, &out_);
    i_ = semi + 1;
    return true;
  }

  // The code point before byte `k` (0 at the start) and the one at byte `k` (0 at the end).
  char32_t Before(std::size_t k) const {
    if (k == 0) return 0;
    std::size_t start = k - 1;
    while (start > 0 && k - start < 4 && (static_cast<unsigned char>(text_[start]) & 0xC0) == 0x80)
      --start;
    std::size_t pos = start;
    return NextCodePoint(text_, &pos);
  }
  char32_t After(std::size_t k) const {
    if (k >= text_.size()) return 0;
    std::size_t pos = k;
    return NextCodePoint(text_, &pos);
  }

  void Emphasis(char c) {
    std::size_t n = 0;
    while (At(i_ + n) == c)
      ++n;
    char32_t prev = Before(i_);
    char32_t next = After(i_ + n);
    bool prev_space = prev == 0 || IsSpace(prev);
    bool next_space = next == 0 || IsSpace(next);
    bool prev_punct = prev != 0 && IsPunctOrSymbol(prev);
    bool next_punct = next != 0 && IsPunctOrSymbol(next);
    // CommonMark's flanking delimiter runs.
    bool left = !next_space && (!next_punct || prev_space || prev_punct);
    bool right = !prev_space && (!prev_punct || next_space || next_punct);
    bool remove = false;
    if (c == '*') {
      remove = left || right;
    } else if (c == '_') {  // never inside a word: snake_case stays
      remove = (left && (!right || prev_punct)) || (right && (!left || next_punct));
    } else {  // '~': only the "~~" of strikethrough; a lone '~' means "about"
      remove = n == 2 && (left || right);
    }
    if (remove) {
      i_ += n;
    } else {
      Literal(n);
    }
  }

  std::string_view text_;
  int depth_;
  std::size_t budget_;
  std::size_t i_ = 0;
  std::string out_;
};

}  // namespace

std::string StripInlineMarkdown(std::string_view text) {
  return InlineStripper(text, 0).Run();
}

}  // namespace studybot::ingest
