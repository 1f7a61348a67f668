#include "scraping/extractor.h"

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <utility>

#include <gumbo.h>

#include "core/strings.h"
#include "scraping/html_depth_limit.h"
#include "scraping/url_normalize.h"

namespace studybot::scraping {
namespace {

bool IsHtmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// ---------------------------------------------------------------------------------------------
// Tree helpers.

struct GumboOutputDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};
using GumboOutputPtr = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

bool IsElement(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT;
}

bool IsHtmlElement(const GumboNode* node, GumboTag tag) {
  return IsElement(node) && node->v.element.tag == tag &&
         node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
}

// The attribute's value, or nullopt if the element lacks it. Gumbo lower-cases attribute names.
std::optional<std::string_view> Attr(const GumboNode* node, const char* name) {
  if (!IsElement(node)) return std::nullopt;
  const GumboAttribute* attr = gumbo_get_attribute(&node->v.element.attributes, name);
  if (attr == nullptr) return std::nullopt;
  return std::string_view(attr->value);
}

// Whether a whitespace- or comma-separated list (rel, role, robots content) holds `token`.
bool HasToken(std::string_view list, std::string_view token) {
  std::size_t pos = 0;
  while (pos < list.size()) {
    while (pos < list.size() && (IsHtmlSpace(list[pos]) || list[pos] == ','))
      ++pos;
    std::size_t end = pos;
    while (end < list.size() && !IsHtmlSpace(list[end]) && list[end] != ',')
      ++end;
    if (end > pos && EqualsIgnoreCase(list.substr(pos, end - pos), token)) return true;
    pos = end;
  }
  return false;
}

// Children of elements and templates; nothing for other nodes.
const GumboVector* Children(const GumboNode* node) {
  if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
    return &node->v.element.children;
  }
  if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Text rendering.

// Accumulates text with HTML whitespace rules: runs of whitespace become one space, breaks
// requested between blocks are merged (a paragraph break absorbs a line break) and never exceed
// one blank line, and nothing is emitted before the first or after the last visible character.
class TextWriter {
 public:
  void Text(std::string_view s, bool preformatted) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      bool nbsp = c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0';
      if (preformatted) {
        if (c == '\n') {
          LineBreak();
        } else if (c != '\r') {
          Flush();
          out_ += c;
        }
        continue;
      }
      if (nbsp) ++i;
      if (nbsp || IsHtmlSpace(c)) {
        pending_space_ = true;
      } else {
        Flush();
        out_ += c;
      }
    }
  }

  // At least `newlines` line ends before the next text: 1 for a line, 2 for a paragraph.
  void Break(int newlines) { pending_newlines_ = std::max(pending_newlines_, newlines); }

  // <br> and newlines in <pre>: each adds one, so two make a blank line.
  void LineBreak() {
    if (out_.empty()) return;
    pending_newlines_ = std::min(pending_newlines_ + 1, 2);
  }

  void Space() { pending_space_ = true; }

  // The text so far, trimmed, without trailing blanks on any line (<pre> can leave some).
  std::string Finish() const {
    std::string result;
    result.reserve(out_.size());
    for (char c : out_) {
      if (c == '\n') {
        while (!result.empty() && (result.back() == ' ' || result.back() == '\t'))
          result.pop_back();
      }
      result += c;
    }
    return std::string(Trim(result));
  }

 private:
  void Flush() {
    if (!out_.empty()) {
      if (pending_newlines_ > 0) {
        out_.append(static_cast<std::size_t>(pending_newlines_), '\n');
      } else if (pending_space_ && out_.back() != '\n') {
        out_ += ' ';
      }
    }
    pending_newlines_ = 0;
    pending_space_ = false;
  }

  std::string out_;
  int pending_newlines_ = 0;
  bool pending_space_ = false;
};

// How an element affects the text around it: 0 inline, 1 on its own line, 2 set apart by a blank
// line.
int BreaksAround(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_HR:
      return 2;
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_DIR:
      return 1;
    default:
      return 0;
  }
}

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
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_DATALIST:
      return true;
    default:
      return false;
  }
}

// Whether the element is marked as hidden or as page chrome rather than content.
bool IsHiddenOrChrome(const GumboNode* node) {
  if (auto role = Attr(node, "role")) {
    for (std::string_view chrome :
         {"navigation", "banner", "contentinfo", "complementary", "search"}) {
      if (HasToken(*role, chrome)) return true;
    }
  }
  if (auto aria = Attr(node, "aria-hidden"); aria && EqualsIgnoreCase(Trim(*aria), "true")) {
    return true;
  }
  // hidden="until-found" is content the browser reveals on find-in-page: still content.
  if (auto hidden = Attr(node, "hidden"); hidden && !EqualsIgnoreCase(*hidden, "until-found")) {
    return true;
  }
  if (auto style = Attr(node, "style")) {
    std::string compact;
    for (char c : *style) {
      if (!IsHtmlSpace(c)) compact += c;
    }
    compact = ToLower(std::move(compact));
    if (compact.find("display:none") != std::string::npos ||
        compact.find("visibility:hidden") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// ASP.NET Web Forms and similar frameworks wrap the whole page in one <form>; dropping it would
// drop the page. A form holding the page's structure is treated as a plain container.
bool IsPageWrappingForm(const GumboNode* form) {
  std::vector<const GumboNode*> stack = {form};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (!IsElement(node)) continue;
    if (node != form) {
      for (GumboTag tag : {GUMBO_TAG_MAIN, GUMBO_TAG_ARTICLE, GUMBO_TAG_H1, GUMBO_TAG_H2}) {
        if (IsHtmlElement(node, tag)) return true;
      }
    }
    const GumboVector& children = node->v.element.children;
    for (unsigned int i = 0; i < children.length; ++i) {
      stack.push_back(static_cast<const GumboNode*>(children.data[i]));
    }
  }
  return false;
}

// Renders the text under `root`. With `honour_hiding` false, only the tag-based rules apply.
std::string RenderText(const GumboNode* root, bool honour_hiding) {
  struct Frame {
    const GumboNode* node;
    bool leaving;
  };
  TextWriter writer;
  int pre_depth = 0;
  std::vector<Frame> stack = {{root, false}};
  while (!stack.empty()) {
    Frame frame = stack.back();
    stack.pop_back();
    const GumboNode* node = frame.node;
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        writer.Text(node->v.text.text, pre_depth > 0);
        continue;
      case GUMBO_NODE_ELEMENT:
        break;
      default:  // documents are never roots here; comments and templates hold no content
        continue;
    }
    GumboTag tag = node->v.element.tag;
    bool html = node->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
    int breaks = html ? BreaksAround(tag) : 0;
    if (frame.leaving) {
      if (html && tag == GUMBO_TAG_PRE) --pre_depth;
      writer.Break(breaks);
      continue;
    }
    if (node != root) {
      bool non_content =
          html ? IsNonContentTag(tag) : tag == GUMBO_TAG_SVG || tag == GUMBO_TAG_MATH;
      if (non_content && !(html && tag == GUMBO_TAG_FORM && IsPageWrappingForm(node))) continue;
      if (honour_hiding && IsHiddenOrChrome(node)) continue;
    }
    if (html && tag == GUMBO_TAG_BR) {
      writer.LineBreak();
      continue;
    }
    if (html && (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH)) writer.Space();
    writer.Break(breaks);
    if (html && tag == GUMBO_TAG_PRE) ++pre_depth;
    stack.push_back({node, true});
    const GumboVector& children = node->v.element.children;
    for (unsigned int i = children.length; i > 0; --i) {
      stack.push_back({static_cast<const GumboNode*>(children.data[i - 1]), false});
    }
  }
  return writer.Finish();
}

// The text under `node` on one line, for titles and headings.
std::string InlineText(const GumboNode* node) {
  TextWriter writer;
  std::vector<const GumboNode*> stack = {node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
        n->type == GUMBO_NODE_WHITESPACE) {
      writer.Text(n->v.text.text, false);
      continue;
    }
    if (!IsElement(n)) continue;
    if (n != node && (IsNonContentTag(n->v.element.tag) || IsHtmlElement(n, GUMBO_TAG_BR))) {
      writer.Space();
      continue;
    }
    const GumboVector& children = n->v.element.children;
    for (unsigned int i = children.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
    }
  }
  return writer.Finish();
}

// ---------------------------------------------------------------------------------------------
// One pass over the whole document for metadata, links and candidate roots.

struct Survey {
  const GumboNode* body = nullptr;
  const GumboNode* main = nullptr;         // first visible <main> or role=main
  std::vector<const GumboNode*> articles;  // <article>s not inside another one
  const GumboNode* title = nullptr;
  const GumboNode* first_h1 = nullptr;
  std::optional<std::string_view> description;
  std::optional<std::string_view> og_description;
  std::optional<std::string_view> canonical_href;
  std::optional<std::string_view> base_href;
  std::vector<std::string_view> hrefs;  // followable links, as written
  bool noindex = false;
  bool nofollow = false;
};

void Inspect(const GumboNode* node, int article_depth, Survey& s) {
  auto is = [&](GumboTag tag) { return IsHtmlElement(node, tag); };
  if (is(GUMBO_TAG_BODY) && s.body == nullptr) s.body = node;
  if (is(GUMBO_TAG_TITLE) && s.title == nullptr) s.title = node;
  if (is(GUMBO_TAG_H1) && s.first_h1 == nullptr) s.first_h1 = node;
  if (is(GUMBO_TAG_ARTICLE) && article_depth == 0) s.articles.push_back(node);
  if (s.main == nullptr &&
      (is(GUMBO_TAG_MAIN) || HasToken(Attr(node, "role").value_or(""), "main"))) {
    if (!IsHiddenOrChrome(node)) s.main = node;
  }
  if (is(GUMBO_TAG_BASE) && !s.base_href) s.base_href = Attr(node, "href");
  if (is(GUMBO_TAG_LINK) && !s.canonical_href &&
      HasToken(Attr(node, "rel").value_or(""), "canonical")) {
    s.canonical_href = Attr(node, "href");
  }
  if (is(GUMBO_TAG_META)) {
    std::string_view name = Trim(Attr(node, "name").value_or(""));
    std::string_view property = Trim(Attr(node, "property").value_or(""));
    auto content = Attr(node, "content");
    if (content && EqualsIgnoreCase(name, "description") && !s.description) s.description = content;
    if (content &&
        (EqualsIgnoreCase(property, "og:description") ||
         EqualsIgnoreCase(name, "og:description")) &&
        !s.og_description) {
      s.og_description = content;
    }
    if (content && EqualsIgnoreCase(name, "robots")) {
      bool none = HasToken(*content, "none");
      s.noindex = s.noindex || none || HasToken(*content, "noindex");
      s.nofollow = s.nofollow || none || HasToken(*content, "nofollow");
    }
  }
  if (is(GUMBO_TAG_A) || is(GUMBO_TAG_AREA)) {
    auto href = Attr(node, "href");
    if (href && !HasToken(Attr(node, "rel").value_or(""), "nofollow")) s.hrefs.push_back(*href);
  }
}

Survey SurveyDocument(const GumboNode* document) {
  struct Frame {
    const GumboNode* node;
    int article_depth;
  };
  Survey survey;
  std::vector<Frame> stack = {{document, 0}};
  while (!stack.empty()) {
    Frame frame = stack.back();
    stack.pop_back();
    const GumboNode* node = frame.node;
    // Template contents are inert: not rendered, not linked.
    if (node->type == GUMBO_NODE_TEMPLATE) continue;
    const GumboVector* children = Children(node);
    if (children == nullptr) continue;
    if (IsElement(node)) Inspect(node, frame.article_depth, survey);
    int depth = frame.article_depth + (IsHtmlElement(node, GUMBO_TAG_ARTICLE) ? 1 : 0);
    for (unsigned int i = children->length; i > 0; --i) {
      stack.push_back({static_cast<const GumboNode*>(children->data[i - 1]), depth});
    }
  }
  return survey;
}

// The main text: see the header for the order of preference.
std::string MainText(const Survey& survey) {
  if (survey.body == nullptr) return {};
  std::string text;
  if (survey.main != nullptr) {
    text = RenderText(survey.main, true);
  } else if (!survey.articles.empty()) {
    // One article holding most of the article text is the page's story; several of similar size
    // are a listing, better served by the whole body.
    std::size_t total = 0;
    for (const GumboNode* article : survey.articles) {
      std::string candidate = RenderText(article, true);
      total += candidate.size();
      if (candidate.size() > text.size()) text = std::move(candidate);
    }
    if (text.size() * 3 < total * 2) text.clear();
  }
  if (text.empty()) text = RenderText(survey.body, true);
  if (text.empty()) text = RenderText(survey.body, false);
  return text;
}

}  // namespace

ExtractedPage ExtractPage(std::string_view html, std::string_view page_url) {
  std::string limited =
      LimitNestingDepth(html.substr(0, std::min(html.size(), kMaxHtmlBytes)), kMaxNestingDepth);
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // parse errors are not recorded: nobody reads them
  GumboOutputPtr output(gumbo_parse_with_options(&options, limited.data(), limited.size()));

  ExtractedPage page;
  if (output == nullptr) return page;  // gumbo only fails when out of memory
  Survey survey = SurveyDocument(output->document);

  page.text = MainText(survey);
  if (survey.title != nullptr) page.title = InlineText(survey.title);
  if (page.title.empty() && survey.first_h1 != nullptr) page.title = InlineText(survey.first_h1);
  auto description = survey.description ? survey.description : survey.og_description;
  if (description) {
    TextWriter writer;
    writer.Text(*description, false);
    page.description = writer.Finish();
  }
  page.language = std::string(Trim(Attr(output->root, "lang").value_or("")));
  page.noindex = survey.noindex;
  page.nofollow = survey.nofollow;

  // HTML: the first <base href> sets the base URL of the whole document, itself relative to the
  // page URL.
  std::string base(page_url);
  if (survey.base_href) {
    if (auto resolved = ResolveLink(page_url, *survey.base_href)) base = *resolved;
  }
  if (survey.canonical_href) page.canonical_url = ResolveLink(base, *survey.canonical_href);

  std::unordered_set<std::string> seen;
  for (std::string_view href : survey.hrefs) {
    auto link = ResolveLink(base, href);
    if (link && seen.insert(*link).second) page.links.push_back(std::move(*link));
  }
  return page;
}

}  // namespace studybot::scraping
