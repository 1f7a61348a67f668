#include "ingest/token_count.h"

#include <string>

#include <gtest/gtest.h>

namespace studybot::ingest {
namespace {

struct Case {
  const char* text;
  std::size_t tokens;
};

// The rule of token_count.h, case by case. Where cl100k_base differs, its count is in the comment.
TEST(CountTokensTest, FollowsTheDocumentedRule) {
  const Case kCases[] = {
      {"", 0},
      {" \n\t \xC2\xA0", 0},                        // whitespace is free
      {"hello", 1},                                 // <= 6 letters: 1 token
      {"information", 3},                           // 11 letters: 1 + ceil(5 / 3); real 1
      {"12345678", 3},                              // digits by three
      {"...", 1},                                   // a repeated punctuation character
      {"----------", 3},                            // ceil(10 / 4); real 1
      {"a, b; c!", 6},                              // punctuation costs 1 each
      {"don't", 2},                                 // "don" + "'t"
      {"l'\xC3\xA9t\xC3\xA9", 3},                   // l'été: "l" + "'" "été" (weight 8)
      {"CountTokens", 2},                           // camelCase splits
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", 3},  // 日本語: one per ideograph
      {"\xF0\x9F\x98\x80", 2},                      // an emoji
      {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", 2},  // Привет; real 3
      {"a\xFF"
       "b",
       3},  // invalid UTF-8: U+FFFD, a symbol
  };
  for (const Case& c : kCases)
    EXPECT_EQ(CountTokens(c.text), c.tokens) << c.text;
}

// Reference counts from tiktoken's cl100k_base for the exact strings below.
constexpr char kEnglish[] =
    "When Maria first arrived in the city, she had no idea how much her life was about to "
    "change. She had grown up in a small village in the mountains, where everyone knew each "
    "other and the biggest event of the year was the harvest festival. The city, by contrast, "
    "seemed enormous and chaotic. Cars honked at every intersection, people rushed past "
    "without looking up from their phones, and the buildings stretched so high that she had "
    "to tilt her head back to see the sky. Scientists have long debated the causes of the "
    "decline in bee populations. Researchers point to several factors, including pesticides, "
    "habitat loss, climate change, and parasites such as the varroa mite. A 2019 study "
    "estimated that commercial beekeepers in the United States lost approximately 40 percent "
    "of their colonies over the course of a single year. Because bees pollinate roughly one "
    "third of the crops we eat, the consequences for agriculture could be severe. Governments "
    "have responded with a mix of regulations and incentives, though critics argue that these "
    "measures do not go far enough.";
constexpr std::size_t kEnglishRealTokens = 210;  // 180 words
constexpr char kFrench[] =
    "Lorsque Marie est arrivée à Paris pour la première fois, elle n'avait aucune idée de ce "
    "qui l'attendait. Elle avait grandi dans un petit village de montagne, où tout le monde "
    "se connaissait et où l'événement le plus important de l'année était la fête des "
    "vendanges. La ville, au contraire, lui semblait immense et chaotique : les voitures "
    "klaxonnaient à chaque carrefour, les passants se pressaient sans lever les yeux de leur "
    "téléphone, et les immeubles étaient si hauts qu'elle devait pencher la tête en arrière "
    "pour apercevoir le ciel. Les scientifiques débattent depuis longtemps des causes du "
    "déclin des abeilles. Les chercheurs évoquent plusieurs facteurs, notamment les "
    "pesticides, la disparition des habitats, le réchauffement climatique et des parasites "
    "comme le varroa. Parce que les abeilles pollinisent environ un tiers des cultures que "
    "nous consommons, les conséquences pour l'agriculture pourraient être graves. Qu'en "
    "pensez-vous ? Aujourd'hui, c'est l'été ; demain, peut-être, l'hiver reviendra déjà.";
constexpr std::size_t kFrenchRealTokens = 272;  // 154 words

TEST(CountTokensTest, StaysCloseToCl100k) {
  double english = static_cast<double>(CountTokens(kEnglish)) / kEnglishRealTokens;
  double french = static_cast<double>(CountTokens(kFrench)) / kFrenchRealTokens;
  // Erring high on English is by design (see the header); never far low.
  EXPECT_GE(english, 1.0);
  EXPECT_LE(english, 1.3);
  EXPECT_GE(french, 0.9);
  EXPECT_LE(french, 1.1);
}

TEST(CountTokensTest, IsAdditiveOverWhitespace) {
  std::string a = "Hello, world! 12345";
  std::string b = "l\xE2\x80\x99\xC3\xA9t\xC3\xA9 arrive\xE2\x80\xA6";
  EXPECT_EQ(CountTokens(a + " " + b), CountTokens(a) + CountTokens(b));
  EXPECT_EQ(CountTokens(a + "\n\n" + b), CountTokens(a) + CountTokens(b));
}

TEST(PrefixWithinTokensTest, CutsAtWordBoundaries) {
  std::string text = "one two three four five";
  EXPECT_EQ(PrefixWithinTokens(text, 0), "");
  EXPECT_EQ(PrefixWithinTokens(text, 1), "one");
  EXPECT_EQ(PrefixWithinTokens(text, 3), "one two three");
  EXPECT_EQ(PrefixWithinTokens(text, 100), text);
  EXPECT_EQ(PrefixWithinTokens("  lead   trail  ", 100), "  lead   trail");
}

TEST(PrefixWithinTokensTest, CutsAGiantWordAfterPunctuationOrAtACodePoint) {
  // A URL: cut after a slash.
  std::string_view url = PrefixWithinTokens("https://example.com/aaaa/bbbb/cccc", 8);
  EXPECT_EQ(url.back(), '/');
  EXPECT_LE(CountTokens(url), 8u);
  // No punctuation: cut between code points, never inside one.
  std::string word;
  for (int i = 0; i < 100; ++i)
    word += "\xC3\xA9";  // é
  std::string_view cut = PrefixWithinTokens(word, 5);
  EXPECT_FALSE(cut.empty());
  EXPECT_EQ(cut.size() % 2, 0u);
  EXPECT_LE(CountTokens(cut), 5u);
}

TEST(SuffixWithinTokensTest, TakesWholeTrailingWords) {
  std::string text = "one two three four five ";
  EXPECT_EQ(SuffixWithinTokens(text, 2), "four five");
  EXPECT_EQ(SuffixWithinTokens(text, 0), "");
  EXPECT_EQ(SuffixWithinTokens("x internationalization", 2), "");  // never inside a word
  EXPECT_EQ(SuffixWithinTokens(text, 100), "one two three four five");
}

}  // namespace
}  // namespace studybot::ingest
