#include "core/strings.h"

#include <gtest/gtest.h>

namespace studybot {
namespace {

TEST(CleanUtf8, KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(CleanUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(CleanUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(CleanUtf8("Latin-1 caf\xE9!"), "Latin-1 caf\xEF\xBF\xBD!");
  EXPECT_EQ(CleanUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(CleanUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(CleanUtf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");         // > U+10FFFF
  EXPECT_EQ(CleanUtf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(CleanUtf8, TruncatesAtACharacterBoundary) {
  EXPECT_EQ(CleanUtf8("abcdef", 3), "abc");
  EXPECT_EQ(CleanUtf8("ab\xE2\x82\xAC", 4), "ab");  // the euro sign does not fit
  EXPECT_EQ(CleanUtf8("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(CleanUtf8("", 0), "");
}

}  // namespace
}  // namespace studybot
