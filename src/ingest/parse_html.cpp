// ParseHtml; see parsers.h.
//
// The page is parsed with gumbo (HTML5, as a browser would, so malformed markup is repaired the
// same way) after LimitNestingDepth has flattened hostile nesting, then walked once with an
// explicit stack (no recursion) from the content root. Text collects in a buffer; a block-level
// element flushes the buffer as a block whose kind is that of the innermost open p / li / pre /
// heading. Inside a list item, nested block elements only separate words, so that an item made
// of <div>s stays one item; a nested <li> starts its own.
//
// The choice of root and of what is not content follows scraping/extractor.cpp (the crawler's
// plain-text renderer), reimplemented here because blocks need structure its text has lost.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gumbo.h>

#include "core/strings.h"
#include "ingest/document_builder.h"
#include "ingest/parsers.h"
#include "ingest/text_clean.h"
#include "scraping/html_depth_limit.h"

namespace studybot::ingest {
namespace {

// Deeper elements are unwrapped before parsing: gumbo's tree construction is quadratic in depth.
// Chromium's limit, which no page that renders sensibly exceeds (as in scraping/extractor.h).
constexpr std::size_t kMaxNestingDepth = 512;

struct GumboOutputDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

bool IsElement(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT;
}

bool IsHtml(const GumboNode* node, GumboTag tag) {
  return IsElement(node) && node->v.element.tag == tag &&
         node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
}

std::optional<std::string_view> Attr(const GumboNode* node, const char* name) {
  if (!IsElement(node)) return std::nullopt;
  const GumboAttribute* attr = gumbo_get_attribute(&node->v.element.attributes, name);
  if (attr == nullptr) return std::nullopt;
  return std::string_view(attr->value);
}

const GumboVector& ChildrenOf(const GumboNode* node) {
  return node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
}

const GumboNode* Child(const GumboVector& children, unsigned int i) {
  return static_cast<const GumboNode*>(children.data[i]);
}

bool HasWord(std::string_view list, std::string_view word) {
  for (std::string_view token : Split(list, ' ')) {
    if (EqualsIgnoreCase(Trim(token), word)) return true;
  }
  return false;
}

int HeadingLevel(const GumboNode* node) {
  if (!IsElement(node) || node->v.element.tag_namespace != GUMBO_NAMESPACE_HTML) return 0;
  switch (node->v.element.tag) {
    case GUMBO_TAG_H1:
      return 1;
    case GUMBO_TAG_H2:
      return 2;
    case GUMBO_TAG_H3:
      return 3;
    case GUMBO_TAG_H4:
      return 4;
    case GUMBO_TAG_H5:
      return 5;
    case GUMBO_TAG_H6:
      return 6;
    default:
      return 0;
  }
}

// Elements that are never content (header and form have exceptions, see IsSkipped).
bool IsNonContentTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_DATALIST:
    case GUMBO_TAG_IMG:
      return true;
    default:
      return false;
  }
}

// Elements that end the text before them and start new text.
bool IsBlockTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIR:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
      return true;
    default:
      return false;
  }
}

bool IsHidden(const GumboNode* node) {
  if (auto role = Attr(node, "role")) {
    for (std::string_view chrome : {"navigation", "banner", "contentinfo", "complementary"}) {
      if (HasWord(*role, chrome)) return true;
    }
  }
  if (auto aria = Attr(node, "aria-hidden"); aria && EqualsIgnoreCase(Trim(*aria), "true")) {
    return true;
  }
  // hidden="until-found" is revealed by find-in-page: content.
  if (auto hidden = Attr(node, "hidden"); hidden && !EqualsIgnoreCase(*hidden, "until-found")) {
    return true;
  }
  if (auto style = Attr(node, "style")) {
    std::string compact;
    for (char c : *style) {
      if (c != ' ' && c != '\t' && c != '\n') compact += c;
    }
    compact = ToLower(std::move(compact));
    if (compact.find("display:none") != std::string::npos ||
        compact.find("visibility:hidden") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// Whether `root`'s subtree holds an element for which `match` is true (iteratively).
template <typename Match>
bool Contains(const GumboNode* root, Match match) {
  std::vector<const GumboNode*> stack = {root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (!IsElement(node)) continue;
    if (node != root && match(node)) return true;
    const GumboVector& children = node->v.element.children;
    for (unsigned int i = 0; i < children.length; ++i)
      stack.push_back(Child(children, i));
  }
  return false;
}

// Some frameworks (ASP.NET Web Forms) wrap the whole page in one <form>; such a form is a
// container, not a form.
bool IsPageWrappingForm(const GumboNode* form) {
  return Contains(form, [](const GumboNode* n) {
    return IsHtml(n, GUMBO_TAG_MAIN) || IsHtml(n, GUMBO_TAG_ARTICLE) || HeadingLevel(n) == 1 ||
           HeadingLevel(n) == 2;
  });
}

// A table laid out as a page (headings, paragraphs or tables inside cells) is walked as
// containers; a data table becomes one kTable block.
bool IsLayoutTable(const GumboNode* table) {
  return Contains(table, [](const GumboNode* n) {
    return HeadingLevel(n) > 0 || IsHtml(n, GUMBO_TAG_P) || IsHtml(n, GUMBO_TAG_TABLE) ||
           IsHtml(n, GUMBO_TAG_PRE) || IsHtml(n, GUMBO_TAG_UL) || IsHtml(n, GUMBO_TAG_OL);
  });
}

// The text under `node` as one line, skipping non-content; block children separate words.
std::string InlineText(const GumboNode* node) {
  std::string text;
  std::vector<const GumboNode*> stack = {node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
        n->type == GUMBO_NODE_WHITESPACE) {
      text += n->v.text.text;
      continue;
    }
    if (!IsElement(n)) continue;
    GumboTag tag = n->v.element.tag;
    if (n != node && (IsNonContentTag(tag) || IsHidden(n))) continue;
    if (tag == GUMBO_TAG_BR || IsBlockTag(tag)) text += ' ';
    const GumboVector& children = n->v.element.children;
    for (unsigned int i = children.length; i > 0; --i)
      stack.push_back(Child(children, i - 1));
  }
  return CollapseWhitespace(text);
}

// Bytes of visible text under `node`, to compare candidate roots.
std::size_t TextSize(const GumboNode* node) {
  std::size_t size = 0;
  std::vector<const GumboNode*> stack = {node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      size += std::string_view(n->v.text.text).size();
      continue;
    }
    if (!IsElement(n) || (n != node && (IsNonContentTag(n->v.element.tag) || IsHidden(n))))
      continue;
    const GumboVector& children = n->v.element.children;
    for (unsigned int i = 0; i < children.length; ++i)
      stack.push_back(Child(children, i));
  }
  return size;
}

struct Survey {
  const GumboNode* body = nullptr;
  const GumboNode* main = nullptr;         // first visible <main> or role=main
  std::vector<const GumboNode*> articles;  // <article>s not inside another
  const GumboNode* title = nullptr;
  const GumboNode* first_h1 = nullptr;
};

Survey SurveyDocument(const GumboNode* document) {
  struct Frame {
    const GumboNode* node;
    bool in_article;
  };
  Survey s;
  std::vector<Frame> stack = {{document, false}};
  while (!stack.empty()) {
    auto [node, in_article] = stack.back();
    stack.pop_back();
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) continue;
    if (IsElement(node)) {
      if (IsHtml(node, GUMBO_TAG_TEMPLATE)) continue;
      if (IsHtml(node, GUMBO_TAG_BODY) && s.body == nullptr) s.body = node;
      if (IsHtml(node, GUMBO_TAG_TITLE) && s.title == nullptr) s.title = node;
      if (HeadingLevel(node) == 1 && s.first_h1 == nullptr) s.first_h1 = node;
      if (s.main == nullptr &&
          (IsHtml(node, GUMBO_TAG_MAIN) || HasWord(Attr(node, "role").value_or(""), "main"))) {
        if (!IsHidden(node)) s.main = node;
      }
      if (IsHtml(node, GUMBO_TAG_ARTICLE)) {
        if (!in_article) s.articles.push_back(node);
        in_article = true;
      }
    }
    const GumboVector& children = ChildrenOf(node);
    for (unsigned int i = children.length; i > 0; --i)
      stack.push_back({Child(children, i - 1), in_article});
  }
  return s;
}

// The root to read: <main>, else an <article> holding at least two thirds of all article text
// (several of similar size are a listing, better read whole), else <body>.
const GumboNode* ContentRoot(const Survey& survey) {
  if (survey.main != nullptr) return survey.main;
  const GumboNode* best = nullptr;
  std::size_t best_size = 0;
  std::size_t total = 0;
  for (const GumboNode* article : survey.articles) {
    std::size_t size = TextSize(article);
    total += size;
    if (size > best_size) {
      best = article;
      best_size = size;
    }
  }
  if (best != nullptr && best_size * 3 >= total * 2 && best_size > 0) return best;
  return survey.body;
}

class BlockWalker {
 public:
  BlockWalker(DocumentBuilder& builder, bool honour_hiding)
      : builder_(builder), honour_hiding_(honour_hiding) {}

  void Walk(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      bool leaving;
      bool pushed_context;
      bool content_container;  // an <article> or <main>, where <header> is content
    };
    int content_containers = 0;
    std::vector<Frame> stack = {{root, false, false, false}};
    while (!stack.empty() && !builder_.full()) {
      Frame frame = stack.back();
      stack.pop_back();
      const GumboNode* node = frame.node;
      if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
          node->type == GUMBO_NODE_WHITESPACE) {
        buffer_ += node->v.text.text;
        continue;
      }
      if (!IsElement(node)) continue;
      GumboTag tag = node->v.element.tag;
      bool html = node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
      bool block = html && IsBlockTag(tag);
      if (frame.leaving) {
        if (frame.content_container) --content_containers;
        if (block) Break();
        if (frame.pushed_context) {
          Flush();
          if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL || tag == GUMBO_TAG_MENU) --list_depth_;
          contexts_.pop_back();
        }
        continue;
      }
      if (node != root && Skip(node, content_containers > 0)) continue;
      if (block) Break();
      if (auto id = AnchorOf(node); id && !HeadingLevel(node)) {
        // An anchor before a heading: <a name="x"></a><h2>, <section id="x"><h2>.
        if (IsHtml(node, GUMBO_TAG_A) ? InlineText(node).empty() : block) pending_anchor_ = *id;
      }
      if (int level = HeadingLevel(node); level > 0) {
        Heading(node, level);
        continue;
      }
      if (html && tag == GUMBO_TAG_BR) {
        buffer_ += '\n';
        continue;
      }
      if (html && tag == GUMBO_TAG_TABLE && !IsLayoutTable(node)) {
        Flush();
        Table(node);
        continue;
      }
      Frame leave = {node, true, false, false};
      if (html && (tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_MAIN)) {
        leave.content_container = true;
        ++content_containers;
      }
      if (html) leave.pushed_context = EnterContext(tag);
      stack.push_back(leave);
      const GumboVector& children = node->v.element.children;
      for (unsigned int i = children.length; i > 0; --i)
        stack.push_back({Child(children, i - 1), false, false, false});
    }
    Flush();
  }

 private:
  struct Context {
    Block::Kind kind;
    int level;
  };

  bool Skip(const GumboNode* node, bool in_content_container) const {
    GumboTag tag = node->v.element.tag;
    if (node->v.element.tag_namespace != GUMBO_NAMESPACE_HTML) {
      return tag == GUMBO_TAG_SVG || tag == GUMBO_TAG_MATH;
    }
    if (honour_hiding_ && IsHidden(node)) return true;
    // A <header> inside an article or main holds its title, not the site's banner.
    if (tag == GUMBO_TAG_HEADER) return !in_content_container;
    if (tag == GUMBO_TAG_FORM) return !IsPageWrappingForm(node);
    return IsNonContentTag(tag);
  }

  // The id a link to this element would use: id, or name on an <a>.
  static std::optional<std::string_view> AnchorOf(const GumboNode* node) {
    if (auto id = Attr(node, "id"); id && !Trim(*id).empty()) return Trim(*id);
    if (IsHtml(node, GUMBO_TAG_A)) {
      if (auto name = Attr(node, "name"); name && !Trim(*name).empty()) return Trim(*name);
    }
    return std::nullopt;
  }

  // Pushes the block kind an element sets for the text inside it; false if it sets none.
  bool EnterContext(GumboTag tag) {
    switch (tag) {
      case GUMBO_TAG_UL:
      case GUMBO_TAG_OL:
      case GUMBO_TAG_MENU:
        Flush();
        ++list_depth_;
        contexts_.push_back({CurrentKind(), list_depth_});
        return true;
      case GUMBO_TAG_LI:
        Flush();
        contexts_.push_back({Block::Kind::kListItem, std::max(list_depth_, 1)});
        return true;
      case GUMBO_TAG_PRE:
        Flush();
        contexts_.push_back({Block::Kind::kCode, 0});
        return true;
      case GUMBO_TAG_P:
      case GUMBO_TAG_BLOCKQUOTE:
      case GUMBO_TAG_DT:
      case GUMBO_TAG_DD:
      case GUMBO_TAG_FIGCAPTION:
      case GUMBO_TAG_CAPTION:
      case GUMBO_TAG_SUMMARY:
        if (CurrentKind() == Block::Kind::kListItem || CurrentKind() == Block::Kind::kCode)
          return false;
        Flush();
        contexts_.push_back({Block::Kind::kParagraph, 0});
        return true;
      default:
        return false;
    }
  }

  Block::Kind CurrentKind() const {
    return contexts_.empty() ? Block::Kind::kParagraph : contexts_.back().kind;
  }

  // A block boundary: ends the pending block, except inside a list item or <pre>, where it only
  // separates words (or lines).
  void Break() {
    Block::Kind kind = CurrentKind();
    if (kind == Block::Kind::kListItem) {
      buffer_ += ' ';
    } else if (kind == Block::Kind::kCode) {
      buffer_ += '\n';
    } else {
      Flush();
    }
  }

  void Flush() {
    if (buffer_.empty()) return;
    Block::Kind kind = CurrentKind();
    int level = kind == Block::Kind::kListItem ? contexts_.back().level : 0;
    if (Trim(buffer_).empty() && kind != Block::Kind::kCode) {
      buffer_.clear();
      return;
    }
    builder_.Add(kind, buffer_, level);
    buffer_.clear();
    pending_anchor_.clear();
  }

  void Heading(const GumboNode* node, int level) {
    Flush();
    std::string anchor(AnchorOf(node).value_or(""));
    if (anchor.empty()) {
      // <h2><a id="x"></a>Title</h2> or <h2><a name="x">Title</a></h2>.
      std::vector<const GumboNode*> stack = {node};
      while (!stack.empty() && anchor.empty()) {
        const GumboNode* n = stack.back();
        stack.pop_back();
        if (!IsElement(n)) continue;
        if (n != node) anchor = AnchorOf(n).value_or("");
        const GumboVector& children = n->v.element.children;
        for (unsigned int i = children.length; i > 0; --i)
          stack.push_back(Child(children, i - 1));
      }
    }
    if (anchor.empty()) anchor = pending_anchor_;
    pending_anchor_.clear();
    builder_.Add(Block::Kind::kHeading, InlineText(node), level, anchor);
  }

  // A data table: one row per line, cells joined by " | ", the caption as a paragraph before.
  void Table(const GumboNode* table) {
    std::string text;
    std::vector<const GumboNode*> stack = {table};
    while (!stack.empty()) {
      const GumboNode* n = stack.back();
      stack.pop_back();
      if (!IsElement(n) || (n != table && honour_hiding_ && IsHidden(n))) continue;
      if (IsHtml(n, GUMBO_TAG_CAPTION)) {
        builder_.Add(Block::Kind::kParagraph, InlineText(n));
        continue;
      }
      if (IsHtml(n, GUMBO_TAG_TR)) {
        std::string row;
        const GumboVector& cells = n->v.element.children;
        for (unsigned int i = 0; i < cells.length; ++i) {
          const GumboNode* cell = Child(cells, i);
          if (!IsHtml(cell, GUMBO_TAG_TD) && !IsHtml(cell, GUMBO_TAG_TH)) continue;
          if (honour_hiding_ && IsHidden(cell)) continue;
          if (!row.empty()) row += " | ";
          row += InlineText(cell);
        }
        if (!Trim(row).empty()) text += row + "\n";
        continue;
      }
      const GumboVector& children = n->v.element.children;
      for (unsigned int i = children.length; i > 0; --i)
        stack.push_back(Child(children, i - 1));
    }
    builder_.Add(Block::Kind::kTable, text);
  }

  DocumentBuilder& builder_;
  bool honour_hiding_;
  std::string buffer_;
  std::vector<Context> contexts_;
  std::string pending_anchor_;
  int list_depth_ = 0;
};

}  // namespace

Result<ParsedDocument> ParseHtml(std::string_view html) {
  if (html.size() > kMaxMarkupBytes) {
    return Error::PayloadTooLarge("the HTML document is larger than " +
                                  std::to_string(kMaxMarkupBytes / (1024 * 1024)) + " MiB");
  }
  // Sanitised first: gumbo turns control characters into U+FFFD, which would then stay.
  std::string limited = scraping::LimitNestingDepth(SanitizeText(html), kMaxNestingDepth);
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // parse errors are not recorded: nobody reads them
  std::unique_ptr<GumboOutput, GumboOutputDeleter> output(
      gumbo_parse_with_options(&options, limited.data(), limited.size()));
  DocumentBuilder builder;
  if (output == nullptr) return builder.Finish("");  // gumbo fails only when out of memory
  Survey survey = SurveyDocument(output->document);
  const GumboNode* root = ContentRoot(survey);
  if (root != nullptr) {
    BlockWalker(builder, true).Walk(root);
    if (builder.empty() && root != survey.body) BlockWalker(builder, true).Walk(survey.body);
    // A headless render can mark the whole app aria-hidden behind a cookie dialog: rather the
    // text with the hiding rules ignored than none.
    if (builder.empty()) BlockWalker(builder, false).Walk(survey.body);
  }
  std::string title;
  if (survey.title != nullptr) title = InlineText(survey.title);
  if (title.empty() && survey.first_h1 != nullptr) title = InlineText(survey.first_h1);
  return builder.Finish(title);
}

}  // namespace studybot::ingest
