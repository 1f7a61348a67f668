#include "ingest/sentences.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace studybot::ingest {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view s : SplitSentences(text))
    out.emplace_back(s);
  return out;
}

struct Case {
  const char* text;
  std::vector<std::string> sentences;
};

TEST(SplitSentencesTest, Cases) {
  const std::vector<Case> kCases = {
      {"", {}},
      {"   ", {}},
      {"One. Two! Three? Four", {"One.", "Two!", "Three?", "Four"}},
      {"Wait... What?! Yes.", {"Wait...", "What?!", "Yes."}},
      {"He left\xE2\x80\xA6 Then he came back.", {"He left\xE2\x80\xA6", "Then he came back."}},
      {"Pi is 3.14 today. Next.", {"Pi is 3.14 today.", "Next."}},
      // Abbreviations and initials do not end sentences.
      {"Use a tool, e.g. a hammer. Or not.", {"Use a tool, e.g. a hammer.", "Or not."}},
      {"Ask Dr. Smith and Mr. Jones. Done.", {"Ask Dr. Smith and Mr. Jones.", "Done."}},
      {"Read J. R. R. Tolkien. Then sleep.", {"Read J. R. R. Tolkien.", "Then sleep."}},
      {"See Fig. 3 and No. 5 here. Ok.", {"See Fig. 3 and No. 5 here.", "Ok."}},
      {"Made in the U.S. Army style. Ok.", {"Made in the U.S. Army style.", "Ok."}},
      {"Apples, pears, etc. Then more.", {"Apples, pears, etc.", "Then more."}},
      // The next word in lower case: the sentence goes on.
      {"It works. and then", {"It works. and then"}},
      // Closing quotes and brackets stay with their sentence.
      {"He said \"Stop!\" Then he ran. (Really.) Yes.",
       {"He said \"Stop!\"", "Then he ran.", "(Really.)", "Yes."}},
      // French: spaces before ! ? and inside guillemets.
      {"\xC2\xAB Bonjour ! \xC2\xBB dit-il. \xC2\xAB Vraiment ? \xC2\xBB Oui.",
       {"\xC2\xAB Bonjour ! \xC2\xBB dit-il.", "\xC2\xAB Vraiment ? \xC2\xBB", "Oui."}},
      {"Qu'en pensez-vous ? Aujourd'hui, c'est l'\xC3\xA9t\xC3\xA9. \xC3\x89videmment.",
       {"Qu'en pensez-vous ?", "Aujourd'hui, c'est l'\xC3\xA9t\xC3\xA9.", "\xC3\x89videmment."}},
      {"M. Dupont et Mme Durand. La suite.", {"M. Dupont et Mme Durand.", "La suite."}},
      // CJK full stops need no space.
      {"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82\xE5\x86\x8D\xE8\xA7\x81\xEF\xBC\x81",
       {"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82", "\xE5\x86\x8D\xE8\xA7\x81\xEF\xBC\x81"}},
      // Newlines always end one.
      {"no stop here\nnext line", {"no stop here", "next line"}},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(Split(c.text), c.sentences) << c.text;
}

TEST(SplitSentencesTest, JoiningGivesTheTextBack) {
  std::string text = "First one. Second, e.g. this! Third? \xC2\xAB Quatre ! \xC2\xBB Fin.";
  std::string joined;
  for (std::string_view s : SplitSentences(text))
    joined += (joined.empty() ? "" : " ") + std::string(s);
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace studybot::ingest
