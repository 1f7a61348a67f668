#include "chat/citations.h"

#include <gtest/gtest.h>

namespace studybot::chat {
namespace {

struct CitationCase {
  std::string in;
  int sources;
  std::string text;
  std::vector<int> cited;
  int dropped;
};

TEST(CitationsTest, MapsMarkers) {
  const CitationCase cases[] = {
      {"Opens at 8 [1].", 2, "Opens at 8 [1].", {1}, 0},
      {"A [2]. B [1]. C [2].", 2, "A [2]. B [1]. C [2].", {2, 1}, 0},
      {"A [1, 2].", 2, "A [1, 2].", {1, 2}, 0},
      {"A [1; 2].", 2, "A [1; 2].", {1, 2}, 0},
      {"A [3].", 2, "A.", {}, 1},
      {"A [1, 3].", 2, "A [1].", {1}, 1},
      {"A [0] b.", 2, "A b.", {}, 1},
      {"See [the guide](https://x.example) [1].",
       1,
       "See [the guide](https://x.example) [1].",
       {1},
       0},
      {"Link [1](https://x.example).", 1, "Link [1](https://x.example).", {}, 0},
      {"[sic] and [a, b] stay", 1, "[sic] and [a, b] stay", {}, 0},
      {"Unclosed [1", 1, "Unclosed [1", {}, 0},
      {"Huge [123456]", 1, "Huge [123456]", {}, 0},
      {"[1][2] both", 2, "[1][2] both", {1, 2}, 0},
      {"", 2, "", {}, 0},
  };
  for (const auto& c : cases) {
    auto got = MapCitations(c.in, c.sources);
    EXPECT_EQ(got.text, c.text) << c.in;
    EXPECT_EQ(got.cited, c.cited) << c.in;
    EXPECT_EQ(got.dropped, c.dropped) << c.in;
  }
}

TEST(CitationsTest, SaysNoAnswer) {
  EXPECT_TRUE(SaysNoAnswer(""));
  EXPECT_TRUE(SaysNoAnswer("I don't know."));
  EXPECT_TRUE(SaysNoAnswer("  I don’t know. The sources do not say."));
  EXPECT_TRUE(SaysNoAnswer("I do not know the answer to that."));
  EXPECT_TRUE(SaysNoAnswer("The sources do not mention parking fees."));
  EXPECT_TRUE(SaysNoAnswer("Je ne sais pas."));
  EXPECT_TRUE(SaysNoAnswer("Je ne trouve pas cette information dans les sources."));
  EXPECT_FALSE(SaysNoAnswer("The library opens at 8 am [1]."));
  EXPECT_FALSE(SaysNoAnswer("Knowing the hours helps: the library opens at 8 [1]."));
  std::string long_answer = "I don't know exactly, but " + std::string(400, 'x');
  EXPECT_FALSE(SaysNoAnswer(long_answer));
}

TEST(CitationsTest, CitationCoverage) {
  EXPECT_DOUBLE_EQ(CitationCoverage(""), 0.0);
  EXPECT_DOUBLE_EQ(CitationCoverage("A [1]. B [2]."), 1.0);
  EXPECT_DOUBLE_EQ(CitationCoverage("A [1]. B."), 0.5);
  EXPECT_DOUBLE_EQ(CitationCoverage("A. [1]"), 1.0);
}

}  // namespace
}  // namespace studybot::chat
