#include "ingest/text_clean.h"

#include <string>

#include <gtest/gtest.h>

namespace studybot::ingest {
namespace {

TEST(SanitizeTextTest, StripsControlCharactersButTabsAndNewlines) {
  constexpr char kControls[] = "a\0b\x01\x07\x1B[31mc\x7F";
  EXPECT_EQ(SanitizeText(std::string(kControls, sizeof(kControls) - 1)), "ab[31mc");
  EXPECT_EQ(SanitizeText("tab\tnew\nline"), "tab\tnew\nline");
  EXPECT_EQ(SanitizeText("dos\r\nmac\rpage\fend"), "dos\nmac\npage\nend");
  EXPECT_EQ(SanitizeText("c1\xC2\x85x\xC2\x9F"), "c1x");  // C1 controls
  EXPECT_EQ(SanitizeText("\xEF\xBB\xBFhello"), "hello");  // BOM
  EXPECT_EQ(SanitizeText("infor\xC2\xADmation zero\xE2\x80\x8Bwidth"), "information zerowidth");
  EXPECT_EQ(SanitizeText("line\xE2\x80\xA8sep"), "line\nsep");
}

TEST(SanitizeTextTest, ReplacesInvalidUtf8) {
  EXPECT_EQ(SanitizeText("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeText("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC"), "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(SanitizeText("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(NextCodePointTest, DecodesAndAlwaysProgresses) {
  std::string_view s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\xE2\x82";
  std::size_t pos = 0;
  EXPECT_EQ(NextCodePoint(s, &pos), U'a');
  EXPECT_EQ(NextCodePoint(s, &pos), U'\u00E9');
  EXPECT_EQ(NextCodePoint(s, &pos), U'\u20AC');
  EXPECT_EQ(NextCodePoint(s, &pos), U'\U0001F600');
  EXPECT_EQ(NextCodePoint(s, &pos), kReplacementChar);
  EXPECT_EQ(NextCodePoint(s, &pos), kReplacementChar);  // truncated sequence: one byte at a time
  EXPECT_EQ(NextCodePoint(s, &pos), kReplacementChar);
  EXPECT_EQ(pos, s.size());
}

TEST(CollapseWhitespaceTest, CollapsesAllSpacesIncludingNoBreakOnes) {
  EXPECT_EQ(CollapseWhitespace("  a \t\n b\xC2\xA0\xC2\xA0!\xE2\x80\xAF\xC2\xBB  "),
            "a b ! \xC2\xBB");
  EXPECT_EQ(CollapseWhitespace(" \n "), "");
}

TEST(NormalizePreformattedTest, KeepsLinesAndIndentation) {
  EXPECT_EQ(NormalizePreformatted("\n\nint main() {  \n\treturn 0;\n\n\n\n}\n\n"),
            "int main() {\n\treturn 0;\n\n}");
}

TEST(TruncateUtf8Test, NeverCutsInsideACodePoint) {
  EXPECT_EQ(TruncateUtf8("ab\xE2\x82\xAC", 4), "ab");
  EXPECT_EQ(TruncateUtf8("ab\xE2\x82\xAC", 5), "ab\xE2\x82\xAC");
  EXPECT_EQ(TruncateUtf8("abc", 0), "");
}

TEST(CaseTest, LowersLatinGreekAndCyrillic) {
  EXPECT_EQ(ToLowerChar(U'A'), U'a');
  EXPECT_EQ(ToLowerChar(U'\u00C9'), U'\u00E9');  // É
  EXPECT_EQ(ToLowerChar(U'\u0152'), U'\u0153');  // Œ
  EXPECT_EQ(ToLowerChar(U'\u0141'), U'\u0142');  // Ł
  EXPECT_EQ(ToLowerChar(U'\u03A3'), U'\u03C3');  // Σ
  EXPECT_EQ(ToLowerChar(U'\u0416'), U'\u0436');  // Ж
  EXPECT_EQ(ToLowerChar(U'\u00D7'), U'\u00D7');  // × is not a letter
  EXPECT_TRUE(IsUpper(U'\u00C0'));
  EXPECT_TRUE(IsLower(U'\u00E0'));
  EXPECT_FALSE(IsLower(U'\u00D7'));
}

}  // namespace
}  // namespace studybot::ingest
