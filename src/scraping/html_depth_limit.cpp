#include "scraping/html_depth_limit.h"

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "core/strings.h"

namespace studybot::scraping {
namespace {

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool OneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool IsVoidElement(std::string_view name) {
  return OneOf(name,
               {"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
                "image", "input", "keygen", "link", "meta", "param", "source", "track", "wbr"});
}

// Elements whose content the tokenizer does not parse as markup: a "<div>" inside them is text.
bool IsRawTextElement(std::string_view name) {
  return OneOf(name,
               {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"});
}

// Whether opening `name` implicitly closes an open `top` (as "<p>a<p>b" or "<li>a<li>b" do), so
// that long flat lists of unclosed items are not mistaken for deep nesting.
bool ClosesImplicitly(std::string_view name, std::string_view top) {
  if (OneOf(name, {"li", "p", "option", "tr"})) return name == top;
  if (OneOf(name, {"dt", "dd"})) return OneOf(top, {"dt", "dd"});
  if (OneOf(name, {"td", "th"})) return OneOf(top, {"td", "th"});
  if (OneOf(name, {"rb", "rt", "rp"})) return OneOf(top, {"rb", "rt", "rp"});
  return false;
}

// Finds the '>' that ends the tag whose name ends at `pos`, skipping quoted attribute values.
std::size_t FindTagEnd(std::string_view html, std::size_t pos) {
  while (pos < html.size()) {
    char c = html[pos];
    if (c == '>') return pos;
    if (c == '=') {
      ++pos;
      while (pos < html.size() && IsHtmlSpace(html[pos]))
        ++pos;
      if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        std::size_t close = html.find(html[pos], pos + 1);
        if (close == std::string_view::npos) return close;
        pos = close + 1;
      }
      continue;
    }
    ++pos;
  }
  return std::string_view::npos;
}

std::size_t FindIgnoreCase(std::string_view haystack, std::string_view needle, std::size_t from) {
  for (std::size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::string LimitNestingDepth(std::string_view html, std::size_t max_depth) {
  struct Open {
    std::string name;
    bool dropped;
  };
  std::vector<Open> stack;
  std::size_t kept_depth = 0;
  std::size_t foreign_depth = 0;  // open <svg>/<math>, where "<x/>" really is self-closing
  std::string out;
  out.reserve(html.size());
  std::size_t pos = 0;
  while (pos < html.size()) {
    std::size_t lt = html.find('<', pos);
    if (lt == std::string_view::npos) lt = html.size();
    out.append(html.substr(pos, lt - pos));
    pos = lt;
    if (pos >= html.size()) break;

    std::string_view rest = html.substr(pos);
    if (StartsWith(rest, "<!--")) {
      std::size_t end = html.find("-->", pos + 4);
      end = end == std::string_view::npos ? html.size() : end + 3;
      out.append(html.substr(pos, end - pos));
      pos = end;
      continue;
    }
    bool closing = rest.size() > 1 && rest[1] == '/';
    std::size_t name_begin = pos + (closing ? 2 : 1);
    if (rest.size() > 1 && (rest[1] == '!' || rest[1] == '?')) {
      std::size_t end = html.find('>', pos);
      end = end == std::string_view::npos ? html.size() : end + 1;
      out.append(html.substr(pos, end - pos));
      pos = end;
      continue;
    }
    if (name_begin >= html.size() || !IsAsciiAlpha(html[name_begin])) {
      out += '<';
      ++pos;
      continue;
    }
    std::size_t name_end = name_begin;
    while (name_end < html.size() && !IsHtmlSpace(html[name_end]) && html[name_end] != '/' &&
           html[name_end] != '>') {
      ++name_end;
    }
    std::string name = ToLower(std::string(html.substr(name_begin, name_end - name_begin)));
    std::size_t tag_end = FindTagEnd(html, name_end);
    if (tag_end == std::string_view::npos) {  // an unterminated tag swallows the rest
      out.append(html.substr(pos));
      break;
    }
    std::string_view tag = html.substr(pos, tag_end + 1 - pos);
    pos = tag_end + 1;

    if (closing) {
      auto it = std::find_if(stack.rbegin(), stack.rend(),
                             [&](const Open& open) { return open.name == name; });
      if (it == stack.rend()) {  // a stray end tag: gumbo ignores it, so may we
        out.append(tag);
        continue;
      }
      bool dropped = it->dropped;
      std::size_t keep = static_cast<std::size_t>(stack.rend() - it) - 1;
      for (std::size_t i = keep; i < stack.size(); ++i) {
        if (!stack[i].dropped) --kept_depth;
        if (OneOf(stack[i].name, {"svg", "math"})) --foreign_depth;
      }
      stack.resize(keep);
      if (!dropped) out.append(tag);
      continue;
    }

    bool self_closing = tag.size() >= 2 && tag[tag.size() - 2] == '/';
    if (IsVoidElement(name) || (self_closing && foreign_depth > 0)) {
      out.append(tag);
      continue;
    }
    if (name == "plaintext") {  // everything after it is text
      out.append(html.substr(tag_end + 1 - tag.size()));
      break;
    }
    if (IsRawTextElement(name) && foreign_depth == 0) {
      std::size_t end = FindIgnoreCase(html, "</" + name, pos);
      if (end == std::string_view::npos) end = html.size();
      out.append(tag);
      out.append(html.substr(pos, end - pos));
      pos = end;  // the end tag is then a stray one, copied as is
      continue;
    }
    if (!stack.empty() && ClosesImplicitly(name, stack.back().name)) {
      if (!stack.back().dropped) --kept_depth;
      stack.pop_back();
    }
    bool drop = kept_depth >= max_depth;
    stack.push_back({name, drop});
    if (OneOf(name, {"svg", "math"})) ++foreign_depth;
    if (!drop) {
      ++kept_depth;
      out.append(tag);
    }
  }
  return out;
}

}  // namespace studybot::scraping
