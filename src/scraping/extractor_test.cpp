#include "scraping/extractor.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace studybot::scraping {
namespace {

constexpr char kPageUrl[] = "https://www.example.com/docs/guide/intro.html";

std::string TextOf(const std::string& body) {
  return ExtractPage("<!doctype html><html><body>" + body + "</body></html>", kPageUrl).text;
}

TEST(ExtractPageTest, FullPage) {
  auto page = ExtractPage(R"(<!DOCTYPE html>
<html lang="en-GB">
<head>
  <title>  Getting   started &amp; more </title>
  <meta name="description" content="How to set up the thing.">
  <meta name="robots" content="index, follow">
  <link rel="canonical" href="/docs/guide/intro">
  <style>body { color: red }</style>
  <script>var x = "<p>not text</p>";</script>
</head>
<body>
  <header><a href="/">Home</a> <a href="/pricing">Pricing</a></header>
  <nav><ul><li><a href="setup.html">Setup</a></li></ul></nav>
  <main>
    <h1>Getting started</h1>
    <p>First, install the <b>package</b>.
       Then run it.</p>
    <p>See <a href="setup.html#step-2">step 2</a> and <a href="https://other.example.org/x">this</a>.</p>
  </main>
  <aside>Related: something else</aside>
  <footer>&copy; 2024 Example <a href="/legal" rel="nofollow">Legal</a></footer>
</body>
</html>)",
                          kPageUrl);
  EXPECT_EQ(page.title, "Getting started & more");
  EXPECT_EQ(page.description, "How to set up the thing.");
  EXPECT_EQ(page.language, "en-GB");
  EXPECT_EQ(page.canonical_url, "https://www.example.com/docs/guide/intro");
  EXPECT_FALSE(page.noindex);
  EXPECT_FALSE(page.nofollow);
  EXPECT_EQ(page.text,
            "Getting started\n\nFirst, install the package. Then run it.\n\nSee step 2 and this.");
  EXPECT_EQ(page.links, (std::vector<std::string>{
                            "https://www.example.com/",
                            "https://www.example.com/pricing",
                            "https://www.example.com/docs/guide/setup.html",
                            "https://other.example.org/x",
                        }));
}

TEST(ExtractPageTest, EmptyAndTrivialInput) {
  for (const char* html : {"", " ", "<", "<>", "</", "<!--", "<html>", "</html>", "\0\0\0",
                           "<!doctype html>", "<![CDATA[x"}) {
    auto page = ExtractPage(html, kPageUrl);
    EXPECT_EQ(page.title, "") << html;
    EXPECT_TRUE(page.links.empty()) << html;
    EXPECT_FALSE(page.canonical_url.has_value()) << html;
  }
  EXPECT_EQ(ExtractPage("just text", "").text, "just text");
}

TEST(ExtractPageTest, DecodesEntities) {
  EXPECT_EQ(TextOf("<p>&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &eacute; &#233; &#x20AC; "
                   "&euro;&nbsp;5 &copy &zzz; &notit;</p>"),
            "<tag> & \"q\" 's' \xC3\xA9 \xC3\xA9 \xE2\x82\xAC \xE2\x82\xAC 5 \xC2\xA9 "
            "&zzz; \xC2\xACit;");  // "&not" decodes without ';', as in browsers
  auto page = ExtractPage(
      "<title>Tom &amp; Jerry</title><meta name=description content='a &lt; b'>", kPageUrl);
  EXPECT_EQ(page.title, "Tom & Jerry");
  EXPECT_EQ(page.description, "a < b");
}

TEST(ExtractPageTest, CollapsesWhitespaceAndSeparatesBlocks) {
  struct Case {
    const char* body;
    const char* text;
  };
  for (const auto& c : std::vector<Case>{
           {"<p>  a \n\t b  </p>", "a b"},
           {"<p>a</p><p>b</p>", "a\n\nb"},
           {"<div>a</div><div>b</div>", "a\nb"},
           {"<div><div><div>a</div></div></div><div>b</div>", "a\nb"},
           {"<p>a</p>\n\n\n<p></p><p> </p><div></div><p>b</p>", "a\n\nb"},
           {"a<br>b", "a\nb"},
           {"a<br><br>b", "a\n\nb"},
           {"a<br><br><br><br>b", "a\n\nb"},
           {"<br><br>a<br><br>", "a"},
           {"<span>a</span><span>b</span> <span>c</span>", "ab c"},
           {"<b>bold</b>, <i>italic</i>.", "bold, italic."},
           {"<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"},
           {"<ol><li>one<li>two</ol>", "one\ntwo"},
           {"<h1>Title</h1>text<h2>Sub</h2>more", "Title\n\ntext\n\nSub\n\nmore"},
           {"intro <h3>Inline heading</h3> outro", "intro\n\nInline heading\n\noutro"},
           {"<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>",
            "k v\na 1"},
           {"<dl><dt>term</dt><dd>def</dd></dl>", "term\ndef"},
           {"<blockquote>quoted</blockquote>said", "quoted\n\nsaid"},
           {"a&nbsp;&nbsp; b", "a b"},
           {"<p>x</p>   ", "x"},
           {"<section><article><p>deep</p></article></section>", "deep"},
       }) {
    EXPECT_EQ(TextOf(c.body), c.text) << c.body;
  }
}

TEST(ExtractPageTest, PreservesPreformattedText) {
  EXPECT_EQ(TextOf("<p>code:</p><pre>int main() {\n  return 0;   \n}\n</pre><p>done</p>"),
            "code:\n\nint main() {\n  return 0;\n}\n\ndone");
  EXPECT_EQ(TextOf("<pre>a\n\n\n\n\nb</pre>"), "a\n\nb");
  EXPECT_EQ(TextOf("<pre><code>x  =  1</code></pre>"), "x  =  1");
}

TEST(ExtractPageTest, DropsNonContent) {
  std::string body = R"(
    <script>alert("script")</script><style>.x{}</style><noscript>noscript</noscript>
    <template><p>template</p></template><svg><text>svg</text><title>svgtitle</title></svg>
    <iframe src="x">iframe</iframe><nav>nav</nav><header>header</header>
    <footer>footer</footer><aside>aside</aside><form><label>form</label><input value="v"></form>
    <button>button</button><select><option>option</option></select>
    <div role="navigation">rolenav</div><div role="banner">banner</div>
    <div role="contentinfo">contentinfo</div><div aria-hidden="true">ariahidden</div>
    <div aria-hidden="TRUE ">ariahidden2</div><div hidden>hiddenattr</div>
    <div style="display: none">displaynone</div><div style="color:red;VISIBILITY:hidden">vh</div>
    <p>kept <span aria-hidden="false">visible</span> <span hidden="until-found">found</span></p>
    <math><mi>x</mi></math><video>video fallback</video><!-- comment -->)";
  EXPECT_EQ(TextOf(body), "kept visible found");
}

TEST(ExtractPageTest, PrefersMainThenArticleThenBody) {
  EXPECT_EQ(TextOf("<div>chrome</div><main><p>main text</p></main><div>more chrome</div>"),
            "main text");
  EXPECT_EQ(TextOf("<div>chrome</div><div role=main><p>role main</p></div>"), "role main");
  EXPECT_EQ(TextOf("<div>chrome</div><article><p>the story</p></article><div>x</div>"),
            "the story");
  EXPECT_EQ(TextOf("<main hidden>stale</main><main>fresh</main>"), "fresh");
  // One dominant article wins over short teasers.
  EXPECT_EQ(TextOf("<article>The long main story, with many words in it.</article>"
                   "<article>Teaser</article>"),
            "The long main story, with many words in it.");
  // A listing of similar articles keeps them all.
  EXPECT_EQ(TextOf("<h1>Blog</h1><article>First post</article><article>Second post</article>"),
            "Blog\n\nFirst post\n\nSecond post");
  // Nested articles (comments) belong to their outer article.
  EXPECT_EQ(TextOf("<div>chrome</div><article><p>story</p><article>comment</article></article>"),
            "story\n\ncomment");
  // An empty <main> (filled by JavaScript later) falls back to the body.
  EXPECT_EQ(TextOf("<main></main><div>server text</div>"), "server text");
}

TEST(ExtractPageTest, FallsBackWhenHidingRulesHideEverything) {
  EXPECT_EQ(TextOf("<div aria-hidden=true><p>app behind a cookie dialog</p></div>"),
            "app behind a cookie dialog");
  EXPECT_EQ(TextOf("<nav>only navigation</nav>"), "");
}

TEST(ExtractPageTest, KeepsPageWrappingForms) {
  EXPECT_EQ(TextOf("<form action=x><h1>Web Forms page</h1><p>body text</p>"
                   "<input type=submit value=Go></form>"),
            "Web Forms page\n\nbody text");
  EXPECT_EQ(TextOf("<p>before</p><form><label>Email</label><input></form><p>after</p>"),
            "before\n\nafter");
}

TEST(ExtractPageTest, TitleFallsBackToFirstH1) {
  EXPECT_EQ(ExtractPage("<h1>  Big <em>news</em> </h1><h1>second</h1>", kPageUrl).title,
            "Big news");
  EXPECT_EQ(ExtractPage("<title> </title><h1>heading</h1>", kPageUrl).title, "heading");
  EXPECT_EQ(ExtractPage("<title>Real</title><h1>heading</h1>", kPageUrl).title, "Real");
  EXPECT_EQ(ExtractPage("<svg><title>icon</title></svg><p>x</p>", kPageUrl).title, "");
}

TEST(ExtractPageTest, Description) {
  EXPECT_EQ(ExtractPage("<meta name=DESCRIPTION content='  two\n  lines '>", kPageUrl).description,
            "two lines");
  EXPECT_EQ(ExtractPage("<meta property='og:description' content='og'>", kPageUrl).description,
            "og");
  EXPECT_EQ(ExtractPage("<meta property='og:description' content='og'>"
                        "<meta name=description content='plain'>",
                        kPageUrl)
                .description,
            "plain");
  EXPECT_EQ(ExtractPage("<meta name=description>", kPageUrl).description, "");
}

TEST(ExtractPageTest, Language) {
  EXPECT_EQ(ExtractPage("<html lang=' de '><p>x", kPageUrl).language, "de");
  EXPECT_EQ(ExtractPage("<p>x", kPageUrl).language, "");
}

TEST(ExtractPageTest, RobotsMeta) {
  struct Case {
    const char* html;
    bool noindex;
    bool nofollow;
  };
  for (const auto& c : std::vector<Case>{
           {"<meta name=robots content='noindex'>", true, false},
           {"<meta name=robots content='NOFOLLOW'>", false, true},
           {"<meta name=robots content='noindex, nofollow'>", true, true},
           {"<meta name=robots content='noindex,nofollow'>", true, true},
           {"<meta name=Robots content='none'>", true, true},
           {"<meta name=robots content='index, follow'>", false, false},
           {"<meta name=robots content='noindexx'>", false, false},
           {"<meta name=googlebot content='noindex'>", false, false},
           {"<meta name=robots content=noindex><meta name=robots content=nofollow>", true, true},
       }) {
    auto page = ExtractPage(c.html, kPageUrl);
    EXPECT_EQ(page.noindex, c.noindex) << c.html;
    EXPECT_EQ(page.nofollow, c.nofollow) << c.html;
  }
}

TEST(ExtractPageTest, Canonical) {
  EXPECT_EQ(ExtractPage("<link rel=canonical href='https://Example.com:443/a#x'>", kPageUrl)
                .canonical_url,
            "https://example.com/a");
  EXPECT_EQ(ExtractPage("<link rel='Canonical' href='../b?utm_source=x'>", kPageUrl).canonical_url,
            "https://www.example.com/docs/b");
  EXPECT_EQ(ExtractPage("<link rel='alternate canonical' href='/c'>", kPageUrl).canonical_url,
            "https://www.example.com/c");
  EXPECT_FALSE(ExtractPage("<link rel=canonical href='javascript:x'>", kPageUrl).canonical_url);
  EXPECT_FALSE(ExtractPage("<link rel=canonical>", kPageUrl).canonical_url);
  EXPECT_FALSE(ExtractPage("<link rel=alternate href='/d'>", kPageUrl).canonical_url);
}

TEST(ExtractPageTest, LinksAreResolvedFilteredAndDeduplicated) {
  auto page = ExtractPage(R"html(
    <a href="b.html">1</a>
    <a href="./b.html#top">dup after normalisation</a>
    <a href="/c?utm_source=x&id=1">2</a>
    <a href="//cdn.example.net/d">3</a>
    <a href="../up/">4</a>
    <a href=" e.html ">5</a>
    <a href="">self</a>
    <a href="#frag">self again</a>
    <a href="javascript:void(0)">js</a>
    <a href="mailto:x@example.com">mail</a>
    <a href="tel:123">tel</a>
    <a href="data:text/html,x">data</a>
    <a href="ftp://example.com/f">ftp</a>
    <a href="https://user:pw@example.com/">creds</a>
    <a href="/no" rel="nofollow">nofollow</a>
    <a href="/no2" rel="external NoFollow noopener">nofollow2</a>
    <a href="/ugc" rel="ugc">ugc is only a hint</a>
    <a>no href</a>
    <map><area href="/area" alt=""></map>
    <template><a href="/inert">inert</a></template>
    <nav><a href="/nav">nav links count</a></nav>)html",
                          kPageUrl);
  EXPECT_EQ(page.links, (std::vector<std::string>{
                            "https://www.example.com/docs/guide/b.html",
                            "https://www.example.com/c?id=1",
                            "https://cdn.example.net/d",
                            "https://www.example.com/docs/up/",
                            "https://www.example.com/docs/guide/e.html",
                            "https://www.example.com/docs/guide/intro.html",
                            "https://www.example.com/ugc",
                            "https://www.example.com/area",
                            "https://www.example.com/nav",
                        }));
}

TEST(ExtractPageTest, BaseHrefChangesResolution) {
  auto page = ExtractPage(
      "<base href='/other/dir/'><base href='/ignored/'><link rel=canonical href='canon'>"
      "<a href='x'>x</a><a href='/abs'>abs</a>",
      kPageUrl);
  EXPECT_EQ(page.links, (std::vector<std::string>{"https://www.example.com/other/dir/x",
                                                  "https://www.example.com/abs"}));
  EXPECT_EQ(page.canonical_url, "https://www.example.com/other/dir/canon");
  // A useless base is ignored.
  page = ExtractPage("<base href='javascript:x'><a href='y'>y</a>", kPageUrl);
  EXPECT_EQ(page.links, (std::vector<std::string>{"https://www.example.com/docs/guide/y"}));
}

TEST(ExtractPageTest, InvalidPageUrlKeepsOnlyAbsoluteLinks) {
  auto page = ExtractPage("<a href='rel'>r</a><a href='https://example.com/abs'>a</a>", "");
  EXPECT_EQ(page.links, (std::vector<std::string>{"https://example.com/abs"}));
}

TEST(ExtractPageTest, NofollowPageStillReportsLinks) {
  auto page = ExtractPage("<meta name=robots content=nofollow><a href='/x'>x</a>", kPageUrl);
  EXPECT_TRUE(page.nofollow);
  EXPECT_EQ(page.links.size(), 1u);
}

TEST(ExtractPageTest, SurvivesMalformedHtml) {
  for (const char* html : {
           "<p>unclosed <b>bold <i>both</p> after",
           "<div><span></div></span>text",
           "<table><p>misplaced</p><tr><td>cell</table>",
           "</p></div></body></html>stray ends",
           "<a href='x'>one<a href='y'>two</a>",
           "<p attr=\"unterminated>text",
           "<p>text<",
           "<<<>>><p>x</p",
           "<script>never closed",
           "<style>never closed",
           "<!-- never closed",
           "<html><html><body><body><head><title>t</title></head>late</body>",
           "<frameset><frame src=x></frameset>",
           "<select><option>a<option>b</select>",
           "\xFF\xFE\x00\x80\xC3(broken utf-8)",
           "<p>\xED\xA0\x80 surrogate</p>",
           "<svg><foreignObject><p>inside</p></foreignObject></svg>",
           "<math><mtext><p>x</p></mtext></math>",
           "<plaintext><p>all text",
           "<textarea><p>not markup</textarea>",
           "<b><p><i></b>adoption</i>agency</p>",
       }) {
    auto page = ExtractPage(html, kPageUrl);
    SUCCEED() << html << " -> " << page.text;
  }
  EXPECT_EQ(TextOf("<p>unclosed <b>bold <i>both</p> after"), "unclosed bold both\n\nafter");
  EXPECT_EQ(TextOf("<p>x</p><p>y"), "x\n\ny");
}

std::string Nested(const std::string& open, const std::string& close, int depth) {
  std::string html = "<!doctype html><body>";
  html.reserve(html.size() + (open.size() + close.size()) * depth + 16);
  for (int i = 0; i < depth; ++i)
    html += open;
  html += "deep text";
  for (int i = 0; i < depth; ++i)
    html += close;
  html += "<p>after</p>";
  return html;
}

TEST(ExtractPageTest, DeepNestingNeitherCrashesNorStalls) {
  struct Case {
    const char* open;
    const char* close;
  };
  for (const auto& c : std::vector<Case>{{"<div>", "</div>"},
                                         {"<div>", ""},
                                         {"<span>", "</span>"},
                                         {"<b>", ""},
                                         {"<blockquote><div>", "</div></blockquote>"},
                                         {"<table><tr><td>", "</td></tr></table>"},
                                         {"<ul><li>", "</li></ul>"},
                                         {"<a href='/x'>", "</a>"},
                                         {"<svg><g>", "</g></svg>"},
                                         {"<div/>", ""}}) {
    auto start = std::chrono::steady_clock::now();
    auto page = ExtractPage(Nested(c.open, c.close, 100000), kPageUrl);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 20.0) << c.open;  // generous: unoptimised build on a shared machine
    if (std::string(c.open) != "<svg><g>") {
      EXPECT_NE(page.text.find("deep text"), std::string::npos) << c.open;
    }
  }
}

TEST(ExtractPageTest, DeepNestingKeepsTheStructureAboveTheLimit) {
  // Within the limit nothing changes; the text of over-deep elements is kept, flattened.
  EXPECT_EQ(ExtractPage(Nested("<div>", "</div>", 100), kPageUrl).text, "deep text\n\nafter");
  auto page = ExtractPage(Nested("<div><p>x</p>", "</div>", 2000), kPageUrl);
  EXPECT_NE(page.text.find("deep text"), std::string::npos);
  EXPECT_NE(page.text.find("after"), std::string::npos);
}

TEST(ExtractPageTest, DoesNotCountFlatUnclosedItemsAsNesting) {
  // 2000 unclosed <p>s and <li>s are siblings, not nesting: their breaks must survive.
  std::string html = "<body>";
  for (int i = 0; i < 2000; ++i)
    html += "<p>p" + std::to_string(i);
  html += "<ul>";
  for (int i = 0; i < 2000; ++i)
    html += "<li>li" + std::to_string(i);
  html += "</ul>";
  auto text = ExtractPage(html, kPageUrl).text;
  EXPECT_NE(text.find("p1998\n\np1999"), std::string::npos);
  EXPECT_NE(text.find("li1998\nli1999"), std::string::npos);
}

TEST(ExtractPageTest, ManySiblingsAndLargeInput) {
  std::string html = "<body>";
  for (int i = 0; i < 50000; ++i)
    html += "<p><a href='/p" + std::to_string(i % 100) + "'>x</a></p>";
  auto page = ExtractPage(html, kPageUrl);
  EXPECT_EQ(page.links.size(), 100u);
}

}  // namespace
}  // namespace studybot::scraping
