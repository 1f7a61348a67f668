#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/document_testing.h"
#include "ingest/parsers.h"

namespace studybot::ingest {
namespace {

using Lines = std::vector<std::string>;

Lines Parse(std::string_view html) {
  auto document = ParseHtml(html);
  EXPECT_TRUE(document.ok());
  return document.ok() ? Describe(*document) : Lines{};
}

Lines Body(const std::string& body) {
  return Parse("<!doctype html><html><body>" + body + "</body></html>");
}

TEST(ParseHtmlTest, FullPage) {
  auto document = ParseHtml(R"(<!DOCTYPE html>
<html lang="fr">
<head><title>  Guide   &amp; FAQ </title><style>p { color: red }</style></head>
<body>
  <header><a href="/">Home</a></header>
  <nav><ul><li>Menu</li></ul></nav>
  <main>
    <h1 id="guide">Le guide</h1>
    <p>Premi&egrave;re   phrase.
       Deuxi&#232;me&nbsp;phrase&#x202F;!</p>
    <h2><a id="install"></a>Installation</h2>
    <ul><li>Un</li><li>Deux <ul><li>Imbriqu&eacute;</li></ul></li></ul>
    <pre><code>make
  install</code></pre>
    <blockquote>Une citation.</blockquote>
    <script>var x = "<p>not text</p>";</script>
  </main>
  <aside>Related</aside>
  <footer>&copy; 2024</footer>
</body></html>)");
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->title, "Guide & FAQ");
  EXPECT_EQ(Describe(*document),
            (Lines{"H1 #guide Le guide", "P Premi\xC3\xA8re phrase. Deuxi\xC3\xA8me phrase !",
                   "H2 #install Installation", "L1 Un", "L1 Deux", "L2 Imbriqu\xC3\xA9",
                   "C make\n  install", "P Une citation."}));
}

TEST(ParseHtmlTest, HeadingAnchors) {
  EXPECT_EQ(Body("<h2 id=\"own\">Own id</h2>"
                 "<h2><a name=\"inner\">Inner name</a></h2>"
                 "<a name=\"before\"></a><h3>Anchor before</h3>"
                 "<section id=\"sec\"><h2>Section id</h2><p>Text.</p></section>"
                 "<div id=\"used\"><p>Text first.</p><h2>No anchor</h2></div>"),
            (Lines{"H2 #own Own id", "H2 #inner Inner name", "H3 #before Anchor before",
                   "H2 #sec Section id", "P Text.", "P Text first.", "H2 # No anchor"}));
}

TEST(ParseHtmlTest, SkipsNonContentAndHiddenElements) {
  EXPECT_EQ(
      Body("<p>Kept</p>"
           "<script>no</script><style>no</style><noscript>no</noscript>"
           "<template><p>no</p></template><nav>no</nav><footer>no</footer>"
           "<header>no</header><aside>no</aside><form><label>no</label><input value=no></form>"
           "<p hidden>no</p><p aria-hidden=\"true\">no</p>"
           "<div style=\"display: none\">no</div><div role=\"navigation\">no</div>"
           "<p>Also <span aria-hidden=\"TRUE\">no</span>kept</p>"),
      (Lines{"P Kept", "P Also kept"}));
  // A <header> inside an article holds its title; a <form> wrapping the page is a container.
  EXPECT_EQ(Body("<article><header><h1>Title</h1></header><p>Body.</p></article>"),
            (Lines{"H1 # Title", "P Body."}));
  EXPECT_EQ(Body("<form id=\"aspnet\"><main><h2>In form</h2><p>Text.</p></main></form>"),
            (Lines{"H2 # In form", "P Text."}));
}

TEST(ParseHtmlTest, PrefersMainOrTheDominantArticle) {
  EXPECT_EQ(Body("<div>Outside</div><main><p>Inside main</p></main>"), (Lines{"P Inside main"}));
  EXPECT_EQ(Body("<div>Chrome</div><article><p>" + std::string(300, 'a') +
                 "</p></article><article><p>short</p></article>"),
            (Lines{"P " + std::string(300, 'a')}));
  // Articles of similar size are a listing: the whole body is read.
  EXPECT_EQ(Body("<div>Intro</div><article><p>One</p></article><article><p>Two</p></article>"),
            (Lines{"P Intro", "P One", "P Two"}));
  // An empty <main> falls back to the body.
  EXPECT_EQ(Body("<main></main><p>Body text</p>"), (Lines{"P Body text"}));
}

TEST(ParseHtmlTest, TablesAndTextInContainers) {
  EXPECT_EQ(Body("<table><caption>Prices</caption><tr><th>Item</th><th>Price</th></tr>"
                 "<tr><td>Tea</td><td>2 &euro;</td></tr></table>"
                 "<div>Loose text <b>bold</b><div>inner div</div>tail</div>"
                 "<dl><dt>Term</dt><dd>Definition</dd></dl>"
                 "<ul><li><div>Item title</div><div>item body</div></li></ul>"),
            (Lines{"P Prices", "T Item | Price\nTea | 2 \xE2\x82\xAC", "P Loose text bold",
                   "P inner div", "P tail", "P Term", "P Definition", "L1 Item title item body"}));
  // A layout table is read as containers, so its headings stay headings.
  EXPECT_EQ(Body("<table><tr><td><h2>Left</h2><p>Text.</p></td><td>Right</td></tr></table>"),
            (Lines{"H2 # Left", "P Text.", "P Right"}));
}

TEST(ParseHtmlTest, TitleFallsBackToTheFirstH1) {
  auto document = ParseHtml("<body><p>x</p><h1>The <i>first</i></h1><h1>Second</h1></body>");
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->title, "The first");
}

TEST(ParseHtmlTest, MalformedAndHostileMarkup) {
  for (const char* html : {"", " ", "<", "<>", "</", "<!--", "<html>", "</html>", "<p",
                           "<![CDATA[x", "<table><td>cell", "<<<>>>"}) {
    auto document = ParseHtml(html);
    ASSERT_TRUE(document.ok()) << html;
  }
  EXPECT_EQ(Body("<p>Unclosed <b>bold <i>both</p><p>next"),
            (Lines{"P Unclosed bold both", "P next"}));
  EXPECT_EQ(Body("<li>orphan item<li>another"), (Lines{"L1 orphan item", "L1 another"}));
  EXPECT_EQ(Body("<p>bad \xFF utf8 and \x01 control</p>"),
            (Lines{"P bad \xEF\xBF\xBD utf8 and control"}));
  // Deep nesting is flattened before parsing, and the walk does not recurse.
  std::string deep;
  for (int i = 0; i < 100000; ++i)
    deep += "<div>";
  deep += "deep text";
  EXPECT_EQ(Body(deep), (Lines{"P deep text"}));
}

}  // namespace
}  // namespace studybot::ingest
