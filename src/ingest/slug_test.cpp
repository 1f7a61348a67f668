#include "ingest/slug.h"

#include <gtest/gtest.h>

namespace studybot::ingest {
namespace {

TEST(GitHubSlugTest, Cases) {
  struct Case {
    const char* heading;
    const char* slug;
  };
  const Case kCases[] = {
      {"Getting Started", "getting-started"},
      {"What's new in v2.0?", "whats-new-in-v20"},
      {"C++ & Rust: a comparison", "c--rust-a-comparison"},
      {"snake_case and kebab-case", "snake_case-and-kebab-case"},
      {"D\xC3\xA9j\xC3\xA0 vu ?", "d\xC3\xA9j\xC3\xA0-vu-"},                       // Déjà vu ?
      {"\xC3\x89t\xC3\xA9 \xC2\xAB chaud \xC2\xBB", "\xC3\xA9t\xC3\xA9--chaud-"},  // Été « chaud »
      {"Emoji \xF0\x9F\x9A\x80 rocket", "emoji--rocket"},
      {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
       "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"},
      {"!!!", ""},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(GitHubSlug(c.heading), c.slug) << c.heading;
}

TEST(SlugSetTest, NumbersDuplicatesLikeGitHub) {
  SlugSet slugs;
  EXPECT_EQ(slugs.Unique("intro"), "intro");
  EXPECT_EQ(slugs.Unique("intro"), "intro-1");
  EXPECT_EQ(slugs.Unique("intro-1"), "intro-1-1");  // taken by the second "intro"
  EXPECT_EQ(slugs.Unique("intro"), "intro-2");
  EXPECT_EQ(slugs.Unique(""), "");
  EXPECT_EQ(slugs.Unique(""), "");
}

}  // namespace
}  // namespace studybot::ingest
