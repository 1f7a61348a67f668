#include "scraping/html_depth_limit.h"

#include <string>

#include <gtest/gtest.h>

namespace studybot::scraping {
namespace {

TEST(LimitNestingDepthTest, LeavesShallowMarkupUntouched) {
  for (const char* html :
       {"", "plain text", "<div><div>x</div></div>", "<p>a<p>b<p>c", "<ul><li>a<li>b</ul>",
        "<div><br><img src=x>y</div>", "a < b", "<", "</span>stray", "<div unterminated"}) {
    EXPECT_EQ(LimitNestingDepth(html, 2), html) << html;
  }
}

TEST(LimitNestingDepthTest, UnwrapsElementsBeyondTheLimitKeepingTheirContent) {
  EXPECT_EQ(LimitNestingDepth("<div><div><div>x</div></div></div>", 2), "<div><div>x</div></div>");
  EXPECT_EQ(LimitNestingDepth("<div><span><b>x</b>y</span></div>z", 1), "<div>xy</div>z");
  EXPECT_EQ(LimitNestingDepth("<DIV><Div>x</div></DIV>", 1), "<DIV>x</DIV>");
}

TEST(LimitNestingDepthTest, DoesNotCountFlatUnclosedItemsAsNesting) {
  EXPECT_EQ(LimitNestingDepth("<div><p>a<p>b<p>c</div>", 2), "<div><p>a<p>b<p>c</div>");
  EXPECT_EQ(LimitNestingDepth("<dl><dt>a<dd>b<dt>c</dl>", 2), "<dl><dt>a<dd>b<dt>c</dl>");
}

TEST(LimitNestingDepthTest, SkipsCommentsRawTextAndQuotedAttributes) {
  EXPECT_EQ(LimitNestingDepth("<div><!-- <div><div> --></div>", 1),
            "<div><!-- <div><div> --></div>");
  EXPECT_EQ(LimitNestingDepth("<div><script>if (a<b) '<div>'</script></div>", 1),
            "<div><script>if (a<b) '<div>'</script></div>");
  EXPECT_EQ(LimitNestingDepth("<div title=\"a>b\"><div>x</div></div>", 1),
            "<div title=\"a>b\">x</div>");
}

TEST(LimitNestingDepthTest, SelfClosingTagsCountOnlyInForeignContent) {
  EXPECT_EQ(LimitNestingDepth("<svg><g/><g/><g/></svg>", 2), "<svg><g/><g/><g/></svg>");
  EXPECT_EQ(LimitNestingDepth("<div/><div/><div/>x", 2), "<div/><div/>x");
}

TEST(LimitNestingDepthTest, CutsHostileNestingDownToTheLimit) {
  std::string html;
  for (int i = 0; i < 100000; ++i)
    html += "<div>";
  html += "x";
  for (int i = 0; i < 100000; ++i)
    html += "</div>";
  std::string limited = LimitNestingDepth(html, 512);
  EXPECT_EQ(limited.size(), 512 * (5 + 6) + 1);
}

}  // namespace
}  // namespace studybot::scraping
