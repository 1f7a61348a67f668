#include "chat/followup.h"

#include <gtest/gtest.h>

namespace studybot::chat {
namespace {

TEST(FollowupTest, StandaloneQuestionsAreKept) {
  EXPECT_EQ(StandaloneQuestion("When does the library open?", {}), "When does the library open?");
  EXPECT_EQ(StandaloneQuestion("Where can students park their bicycles on campus?",
                               {"When does the library open?"}),
            "Where can students park their bicycles on campus?");
}

TEST(FollowupTest, PronounsBringBackTheTopic) {
  auto q = StandaloneQuestion("When does it close?", {"When does the library open?"});
  EXPECT_EQ(q.find("When does it close?"), 0u);
  EXPECT_NE(q.find("library"), std::string::npos) << q;
  EXPECT_EQ(q.find("close"), q.rfind("close")) << "only words the question lacks: " << q;
}

TEST(FollowupTest, ShortAndContinuationQuestions) {
  EXPECT_NE(StandaloneQuestion("And on Sundays?", {"Is the cafeteria open?"}).find("cafeteria"),
            std::string::npos);
  EXPECT_NE(
      StandaloneQuestion("What about the price?", {"Do you sell parking permits?"}).find("parking"),
      std::string::npos);
  EXPECT_NE(StandaloneQuestion("Et le dimanche ?", {"La bibliothèque est-elle ouverte ?"})
                .find("bibliothèque"),
            std::string::npos);
}

TEST(FollowupTest, SkipsEarlierMessagesWithoutContent) {
  auto q = StandaloneQuestion("How much is it?", {"Do you sell parking permits?", "thanks!"});
  EXPECT_NE(q.find("parking"), std::string::npos) << q;
}

TEST(FollowupTest, LooksLikeFollowUp) {
  EXPECT_TRUE(LooksLikeFollowUp("and that one?"));
  EXPECT_TRUE(LooksLikeFollowUp("Combien ça coûte ?"));
  EXPECT_FALSE(LooksLikeFollowUp("What are the opening hours of the campus library?"));
  EXPECT_FALSE(LooksLikeFollowUp(""));
}

}  // namespace
}  // namespace studybot::chat
