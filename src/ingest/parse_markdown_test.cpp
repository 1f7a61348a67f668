#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/document_testing.h"
#include "ingest/markdown_inline.h"
#include "ingest/parsers.h"

namespace studybot::ingest {
namespace {

using Lines = std::vector<std::string>;

Lines Parse(std::string_view markdown) {
  auto document = ParseMarkdown(markdown);
  EXPECT_TRUE(document.ok());
  return document.ok() ? Describe(*document) : Lines{};
}

TEST(ParseMarkdownTest, HeadingsWithSlugs) {
  EXPECT_EQ(Parse("# Getting Started\n"
                  "Intro text.\n"
                  "## Install ##\n"
                  "### On *Debian* & `apt`\n"
                  "## Install\n"
                  "####### seven is text\n"
                  "#hashtag is text\n"
                  "\n"
                  "Setext One\n"
                  "==========\n"
                  "Setext Two\n"
                  "---\n"
                  "## Custom {#my-id}\n"
                  "## \xC3\x89t\xC3\xA9 \xC2\xAB chaud \xC2\xBB\n"),
            (Lines{"H1 #getting-started Getting Started", "P Intro text.", "H2 #install Install",
                   "H3 #on-debian--apt On Debian & apt", "H2 #install-1 Install",
                   "P ####### seven is text #hashtag is text", "H1 #setext-one Setext One",
                   "H2 #setext-two Setext Two", "H2 #my-id Custom",
                   "H2 #\xC3\xA9t\xC3\xA9--chaud- \xC3\x89t\xC3\xA9 \xC2\xAB chaud \xC2\xBB"}));
}

TEST(ParseMarkdownTest, TitleFromFrontMatterElseFirstH1) {
  auto with_front_matter =
      ParseMarkdown("---\ntitle: \"Le guide\"\nauthor: x\n---\n# Heading\ntext\n");
  ASSERT_TRUE(with_front_matter.ok());
  EXPECT_EQ(with_front_matter->title, "Le guide");
  EXPECT_EQ(Describe(*with_front_matter), (Lines{"H1 #heading Heading", "P text"}));

  auto without = ParseMarkdown("Intro\n\n## Two\n\n# The *Title*\n\n# Other\n");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->title, "The Title");
}

TEST(ParseMarkdownTest, ListsAreFlattenedWithTheirDepth) {
  EXPECT_EQ(Parse("Intro:\n"
                  "- one\n"
                  "- two\n"
                  "  continued\n"
                  "lazy line\n"
                  "  - nested **bold**\n"
                  "    1. deeper\n"
                  "- [x] done task\n"
                  "- [ ] open task\n"
                  "\n"
                  "  paragraph in the item\n"
                  "\n"
                  "1. first\n"
                  "2) second\n"
                  "\n"
                  "After the list.\n"),
            (Lines{"P Intro:", "L1 one", "L1 two continued lazy line", "L2 nested bold",
                   "L3 deeper", "L1 done task", "L1 open task paragraph in the item", "L1 first",
                   "L1 second", "P After the list."}));
}

TEST(ParseMarkdownTest, CodeBlocksAreKept) {
  EXPECT_EQ(Parse("Text before:\n"
                  "```cpp\n"
                  "int main() {\n"
                  "  return 0;  // *not* emphasis\n"
                  "}\n"
                  "```\n"
                  "~~~~\n"
                  "# not a heading\n"
                  "```\n"
                  "~~~~\n"
                  "\n"
                  "    indented code\n"
                  "      more\n"
                  "\n"
                  "- item\n"
                  "  ```\n"
                  "  in item\n"
                  "  ```\n"
                  "```\n"
                  "unclosed fence runs to the end\n"),
            (Lines{"P Text before:", "C int main() {\n  return 0;  // *not* emphasis\n}",
                   "C # not a heading\n```", "C indented code\n  more", "L1 item", "C in item",
                   "C unclosed fence runs to the end"}));
}

TEST(ParseMarkdownTest, TablesQuotesAndRules) {
  EXPECT_EQ(Parse("| Name | Value |\n"
                  "|:-----|------:|\n"
                  "| **a** | 1 |\n"
                  "| b \\| c | `2` |\n"
                  "\n"
                  "> Quoted *text*\n"
                  "> > nested\n"
                  ">\n"
                  "> # Quoted heading\n"
                  "\n"
                  "***\n"
                  "- - -\n"
                  "After rules.\n"),
            (Lines{"T Name | Value\na | 1\nb | c | 2", "P Quoted text nested",
                   "H1 #quoted-heading Quoted heading", "P After rules."}));
}

TEST(ParseMarkdownTest, HtmlCommentsDefinitionsAndFootnotes) {
  EXPECT_EQ(Parse("<!-- a comment\nover lines -->\n"
                  "Text with a footnote[^1] and a [ref link][docs].\n"
                  "\n"
                  "[docs]: https://example.com/docs\n"
                  "[^1]: The footnote text.\n"
                  "<div align=\"center\"><img src=\"logo.png\"></div>\n"),
            (Lines{"P Text with a footnote and a ref link.", "P The footnote text."}));
}

TEST(StripInlineMarkdownTest, Cases) {
  struct Case {
    const char* markdown;
    const char* text;
  };
  const Case kCases[] = {
      {"*em* **strong** ***both*** _u_ __uu__ ~~gone~~", "em strong both u uu gone"},
      {"snake_case and __init__ and 2 * 3 and ~5 min", "snake_case and init and 2 * 3 and ~5 min"},
      {"a `code *span*` b ``with ` tick``", "a code *span* b with ` tick"},
      {"[link *text*](https://x.org \"title\") and [ref][id] and [empty][]",
       "link text and ref and empty"},
      {"![alt text](img.png) gone, ![ref][img] too", " gone,  too"},
      {"[a [nested](x) link](y)", "a nested link"},
      {"[just brackets] stay", "[just brackets] stay"},
      {"<https://example.com/a> and <me@example.com>", "https://example.com/a and me@example.com"},
      {"<b>bold</b> and<br>break <span class=\"x\">s</span>", "bold and break s"},
      {"\\*not em\\* \\[x\\] a\\\\b", "*not em* [x] a\\b"},
      {"&amp; &lt;tag&gt; &eacute;t&eacute; &#233; &#x20AC; &bogus; & alone",
       "& <tag> \xC3\xA9t\xC3\xA9 \xC3\xA9 \xE2\x82\xAC &bogus; & alone"},
      {"unclosed [bracket and `tick and <tag", "unclosed [bracket and `tick and <tag"},
      {"line one\\\nline two", "line one line two"},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(StripInlineMarkdown(c.markdown), c.text) << c.markdown;
}

TEST(ParseMarkdownTest, HostileInputStaysFast) {
  // Unclosed brackets, backtick runs and tags everywhere: the lookahead budget keeps it linear.
  std::string hostile;
  for (int i = 0; i < 200000; ++i)
    hostile += (i % 3 == 0) ? "[" : (i % 3 == 1) ? "` " : "<a ";
  auto document = ParseMarkdown(hostile);
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->blocks.size(), 1u);
  // Deeply nested quotes and lists are flattened, not recursed into.
  std::string deep(100000, '>');
  deep += " text\n" + std::string(100000, ' ') + "- item\n";
  EXPECT_TRUE(ParseMarkdown(deep).ok());
}

TEST(ParseMarkdownTest, EmptyAndControlCharacters) {
  EXPECT_EQ(Parse(""), Lines{});
  EXPECT_EQ(Parse("\n\n   \n"), Lines{});
  EXPECT_EQ(Parse("# Ti\x01tle\x1B\n\ntext\x7F with\x00 nul"),
            (Lines{"H1 #title Title", "P text with"}));
}

}  // namespace
}  // namespace studybot::ingest
