#include "ai/extractive_answerer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/token_count.h"

namespace studybot::ai {
namespace {

SourcePassage Source(int number, std::string title, std::string text,
                     std::vector<std::string> headings = {}) {
  SourcePassage s;
  s.number = number;
  s.title = std::move(title);
  s.heading_path = std::move(headings);
  s.text = std::move(text);
  s.score = 1.0 / number;
  return s;
}

ChatRequest Ask(std::string question, std::vector<SourcePassage> sources,
                std::string language = "en") {
  ChatRequest r;
  r.question = std::move(question);
  r.sources = std::move(sources);
  r.language = std::move(language);
  return r;
}

class CollectingSink final : public ChatSink {
 public:
  explicit CollectingSink(std::shared_ptr<Cancellation> cancel_on_delta = nullptr)
      : cancel_on_delta_(std::move(cancel_on_delta)) {}
  void OnDelta(std::string_view text) override {
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(completions, 0) << "delta after completion";
    deltas.emplace_back(text);
    if (cancel_on_delta_ != nullptr) cancel_on_delta_->Cancel();
  }
  void OnComplete(Result<ChatCompletion> r) override {
    ++completions;
    result = std::move(r);
  }
  std::vector<std::string> deltas;
  int completions = 0;
  Result<ChatCompletion> result = Error::Internal("never completed");

 private:
  std::shared_ptr<Cancellation> cancel_on_delta_;
};

struct Outcome {
  Result<ChatCompletion> result = Error::Internal("not run");
  std::vector<std::string> deltas;
};

Outcome Answer(const ChatRequest& request, ExtractiveOptions options = {},
               std::shared_ptr<Cancellation> cancel = nullptr,
               std::shared_ptr<Cancellation> cancel_on_delta = nullptr) {
  ExtractiveAnswerer answerer(options);
  auto sink = std::make_shared<CollectingSink>(std::move(cancel_on_delta));
  answerer.Start(request, sink, std::move(cancel));
  EXPECT_EQ(sink->completions, 1);
  return {sink->result, sink->deltas};
}

bool Has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

const char* const kLibrary =
    "The campus has three libraries. The main library opens at 8 am and closes at midnight "
    "during exam weeks. Students may borrow up to twelve books with their card. Late returns "
    "cost 50 cents a day.";
const char* const kCafeteria =
    "The cafeteria serves vegetarian lunches every weekday. Breakfast is served from 7:30 in "
    "the main hall. The cafeteria closes during the summer break.";
const char* const kSport =
    "The sports centre has a swimming pool and two gyms. Membership costs 40 euros a year for "
    "students. The pool is closed on public holidays.";

struct PickCase {
  const char* name;
  const char* question;
  const char* expected;   // in the answer
  const char* citation;   // in the answer, right after the expected sentence's words
  const char* forbidden;  // not in the answer
};

TEST(ExtractiveAnswererTest, PicksTheAnsweringSentenceAmongDistractors) {
  const std::vector<SourcePassage> sources = {Source(1, "Cafeteria", kCafeteria),
                                              Source(2, "Libraries", kLibrary),
                                              Source(3, "Sports centre", kSport)};
  const PickCase cases[] = {
      {"closing", "When does the main library close during exam weeks?", "closes at midnight",
       "exam weeks [2].", "vegetarian"},
      {"borrowing", "How many books can students borrow with their card?", "twelve books",
       "card [2].", "swimming"},
      {"membership", "How much does a sports centre membership cost for students?",
       "40 euros a year", "students [3].", "libraries"},
      {"breakfast", "From what time is breakfast served in the main hall?", "from 7:30",
       "main hall [1].", "midnight"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome run = Answer(Ask(c.question, sources));
    ASSERT_TRUE(run.result.ok());
    const std::string& text = run.result->text;
    EXPECT_FALSE(run.result->no_answer);
    EXPECT_TRUE(Has(text, c.expected)) << text;
    EXPECT_TRUE(Has(text, c.citation)) << text;
    EXPECT_FALSE(Has(text, c.forbidden)) << text;
  }
}

TEST(ExtractiveAnswererTest, CompletionCarriesModelUsageAndTheDeltas) {
  ChatRequest request = Ask("How many books can students borrow, and what do late returns cost?",
                            {Source(1, "Libraries", kLibrary)});
  Outcome run = Answer(request);
  ASSERT_TRUE(run.result.ok());
  const ChatCompletion& done = *run.result;
  EXPECT_EQ(done.model, "extractive");
  EXPECT_EQ(done.finish_reason, "stop");
  EXPECT_FALSE(done.no_answer);
  EXPECT_TRUE(done.usage.estimated);
  EXPECT_EQ(done.usage.prompt_tokens,
            static_cast<int64_t>(ingest::CountTokens(request.question) +
                                 ingest::CountTokens(request.sources[0].text)));
  EXPECT_EQ(done.usage.completion_tokens, static_cast<int64_t>(ingest::CountTokens(done.text)));
  ASSERT_GE(run.deltas.size(), 2u) << done.text;
  std::string joined;
  for (const auto& d : run.deltas)
    joined += d;
  EXPECT_EQ(joined, done.text);
  // Both sentences of one source, in text order, sharing one citation at the end.
  EXPECT_EQ(done.text,
            "Students may borrow up to twelve books with their card. Late returns cost 50 cents "
            "a day [1].");
  EXPECT_EQ(ExtractiveAnswerer().name(), "extractive");
}

TEST(ExtractiveAnswererTest, CitesTheSourceNumberNotItsIndex) {
  auto selection =
      SelectSentences(Ask("When does the main library close during exam weeks?",
                          {Source(4, "Cafeteria", kCafeteria), Source(7, "Libraries", kLibrary)}),
                      {});
  ASSERT_FALSE(selection.sentences.empty());
  EXPECT_EQ(selection.sentences[0].source, 7);
  EXPECT_EQ(selection.sentences[0].source_index, 1u);
  EXPECT_GT(selection.best_coverage, 0.5);
  EXPECT_GT(selection.best_score, 0);
  auto pieces = AnswerPieces(selection);
  ASSERT_FALSE(pieces.empty());
  EXPECT_TRUE(Has(pieces.back(), "[7]")) << pieces.back();
}

TEST(ExtractiveAnswererTest, KeepsReadingOrderWithinASource) {
  const char* text =
      "Registration for the chess club opens in September. Meetings take place every Tuesday "
      "evening. The chess club registration fee is ten euros.";
  auto selection =
      SelectSentences(Ask("chess club registration fee september", {Source(1, "Clubs", text)}), {});
  ASSERT_EQ(selection.sentences.size(), 2u);
  // The fee sentence scores best, yet the September one comes first: text order.
  EXPECT_LT(selection.sentences[0].position, selection.sentences[1].position);
  EXPECT_TRUE(Has(selection.sentences[0].text, "September"));
  EXPECT_EQ(selection.sentences[0].source, 1);
}

TEST(ExtractiveAnswererTest, LeadsWithTheSourceOfTheBestSentence) {
  auto selection =
      SelectSentences(Ask("How much does the swimming pool membership cost for students per year?",
                          {Source(1, "Library", kLibrary), Source(2, "Sports centre", kSport)}),
                      {});
  ASSERT_FALSE(selection.sentences.empty());
  EXPECT_EQ(selection.sentences.front().source, 2);
}

TEST(ExtractiveAnswererTest, DropsNearDuplicates) {
  const char* a = "The museum opens at nine in the morning on weekdays.";
  const char* b = "The museum opens at nine in the morning on weekdays!";
  ChatRequest request = Ask("When does the museum open in the morning on weekdays?",
                            {Source(1, "Visit", std::string(a) + " Tickets are sold at the door."),
                             Source(2, "Visit again", b)});
  auto selection = SelectSentences(request, {});
  int museum = 0;
  for (const auto& s : selection.sentences)
    museum += Has(s.text, "museum opens") ? 1 : 0;
  EXPECT_EQ(museum, 1);
}

TEST(ExtractiveAnswererTest, AnswersInFrench) {
  const char* bibliotheque =
      "La bibliothèque universitaire ouvre à huit heures. Elle ferme à minuit pendant les "
      "semaines d'examens. Les étudiants peuvent emprunter douze livres.";
  const char* cantine = "La cantine sert des repas végétariens tous les jours de la semaine.";
  for (const char* language : {"fr", "auto"}) {
    SCOPED_TRACE(language);
    Outcome run = Answer(
        Ask("Combien de livres les étudiants peuvent-ils emprunter à la bibliothèque ?",
            {Source(1, "Cantine", cantine), Source(2, "Bibliothèque", bibliotheque)}, language));
    ASSERT_TRUE(run.result.ok());
    EXPECT_TRUE(Has(run.result->text, "douze livres [2].")) << run.result->text;
    EXPECT_FALSE(Has(run.result->text, "cantine")) << run.result->text;
  }
}

TEST(ExtractiveAnswererTest, NoAnswerWhenNothingAnswers) {
  const std::vector<SourcePassage> sources = {Source(1, "Cafeteria", kCafeteria),
                                              Source(2, "Libraries", kLibrary)};
  const char* questions[] = {
      "What is it, and how can I do that?",            // stop words and fillers only
      "Who won the football world cup in 2018?",       // words absent from the sources
      "How do I renew my passport at the embassy?",    // unrelated
      "Can I cancel my library subscription online?",  // one word in common, not the topic
      "",
  };
  for (const char* q : questions) {
    SCOPED_TRACE(q);
    Outcome run = Answer(Ask(q, sources));
    ASSERT_TRUE(run.result.ok());
    EXPECT_TRUE(run.result->no_answer) << run.result->text;
    EXPECT_EQ(run.result->text, "");
    EXPECT_TRUE(run.deltas.empty());
    EXPECT_EQ(run.result->model, "extractive");
    EXPECT_TRUE(SelectSentences(Ask(q, sources), {}).sentences.empty());
  }
}

TEST(ExtractiveAnswererTest, EmptySourcesGiveNoAnswer) {
  for (auto sources : {std::vector<SourcePassage>{},
                       std::vector<SourcePassage>{Source(1, "Empty", "   \n\n  ")}}) {
    Outcome run = Answer(Ask("When does the library close?", sources));
    ASSERT_TRUE(run.result.ok());
    EXPECT_TRUE(run.result->no_answer);
    EXPECT_TRUE(run.deltas.empty());
  }
}

TEST(ExtractiveAnswererTest, HeadingsGiveTheirSentencesContext) {
  const char* fees = "It costs 50 euros per year. Payment is due before enrolment.";
  Outcome with = Answer(Ask("How much are the admission fees?",
                            {Source(1, "Campus life", kCafeteria),
                             Source(2, "Studying here", fees, {"Admissions", "Admission fees"})}));
  ASSERT_TRUE(with.result.ok());
  EXPECT_FALSE(with.result->no_answer);
  EXPECT_TRUE(Has(with.result->text, "It costs 50 euros per year")) << with.result->text;
  EXPECT_TRUE(Has(with.result->text, "[2]")) << with.result->text;

  Outcome without =
      Answer(Ask("How much are the admission fees?",
                 {Source(1, "Campus life", kCafeteria), Source(2, "Studying", fees)}));
  ASSERT_TRUE(without.result.ok());
  EXPECT_TRUE(without.result->no_answer) << without.result->text;
}

TEST(ExtractiveAnswererTest, RespectsMaxSentences) {
  const char* text =
      "Exam results are published online. Exam results appear within three weeks of the exam. "
      "Students can appeal exam results within ten days. Appeals about exam results go to the "
      "dean.";
  ChatRequest request =
      Ask("When and where are exam results published?", {Source(1, "Exams", text)});
  ExtractiveOptions one;
  one.max_sentences = 1;
  auto selection = SelectSentences(request, one);
  ASSERT_EQ(selection.sentences.size(), 1u);
  EXPECT_TRUE(Has(selection.sentences[0].text, "published online"));
  ExtractiveOptions three;
  EXPECT_LE(SelectSentences(request, three).sentences.size(), 3u);
  ExtractiveOptions none;
  none.max_sentences = 0;
  EXPECT_TRUE(SelectSentences(request, none).sentences.empty());
}

TEST(ExtractiveAnswererTest, RespectsTheTokenBudget) {
  std::string text;
  for (int i = 0; i < 6; ++i)
    text += "The exam timetable for semester " + std::to_string(i + 1) +
            " is published on the faculty website and on the notice board of the main "
            "building. ";
  ChatRequest request =
      Ask("Where is the exam timetable for the semester published?", {Source(1, "Exams", text)});
  ExtractiveOptions options;
  options.max_similarity = 1.0;  // let the near-identical sentences compete for the budget
  options.redundancy_penalty = 0;
  request.max_tokens = 40;
  Outcome run = Answer(request, options);
  ASSERT_TRUE(run.result.ok());
  EXPECT_FALSE(run.result->no_answer);
  EXPECT_LE(ingest::CountTokens(run.result->text), 40u) << run.result->text;

  // The best sentence alone over the budget is cut to fit.
  request.max_tokens = 8;
  run = Answer(request, options);
  ASSERT_TRUE(run.result.ok());
  EXPECT_FALSE(run.result->no_answer);
  EXPECT_TRUE(Has(run.result->text, "\xE2\x80\xA6")) << run.result->text;
  EXPECT_TRUE(Has(run.result->text, "[1]")) << run.result->text;
  EXPECT_LE(ingest::CountTokens(run.result->text), 12u) << run.result->text;
}

TEST(ExtractiveAnswererTest, CancelledBeforeStartGivesNoDelta) {
  auto cancel = std::make_shared<Cancellation>();
  cancel->Cancel();
  Outcome run = Answer(Ask("When does the main library close during exam weeks?",
                           {Source(1, "Libraries", kLibrary)}),
                       {}, cancel);
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(run.deltas.empty());
}

TEST(ExtractiveAnswererTest, CancelledWhileStreamingStops) {
  auto cancel = std::make_shared<Cancellation>();
  Outcome run = Answer(Ask("How many books can students borrow, and what do late returns cost?",
                           {Source(1, "Libraries", kLibrary)}),
                       {}, cancel, cancel);
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(run.deltas.size(), 1u);
}

TEST(ExtractiveAnswererTest, StripsMarkdownNoise) {
  const char* text =
      "## Opening hours\n"
      "- The **main library** opens at 8 am on weekdays.\n"
      "1. The reading room opens at 10 am on weekends.";
  auto selection = SelectSentences(
      Ask("When does the main library open on weekdays?", {Source(1, "Library", text)}), {});
  ASSERT_FALSE(selection.sentences.empty());
  EXPECT_EQ(selection.sentences[0].text, "The main library opens at 8 am on weekdays.");
}

TEST(ExtractiveAnswererTest, VeryLongSource) {
  std::string text;
  for (int i = 0; i < 3000; ++i)
    text += "Paragraph " + std::to_string(i) + " talks about gardens and flowers in spring. ";
  text += "The observatory telescope is open to visitors on clear Friday nights. ";
  text += "X" + std::string(5000, 'x') + ". Y" + std::string(20000, 'y') + ".";  // over-long
  Outcome run = Answer(
      Ask("When is the observatory telescope open to visitors?", {Source(1, "Everything", text)}));
  ASSERT_TRUE(run.result.ok());
  EXPECT_TRUE(Has(run.result->text, "clear Friday nights [1].")) << run.result->text;
}

TEST(ExtractiveAnswererTest, InvalidUtf8DoesNotCrash) {
  std::string bad =
      "The library \xff\xfe opens \xc3 at 8 am \xe2\x82 on weekdays.\x80 Fin \xf0\x9f";
  Outcome run = Answer(Ask("When does the library \xc3\x28 open on weekdays \xff?",
                           {Source(1, "Lib\xff", bad, {"\xe2\x28\xa1"})}));
  ASSERT_TRUE(run.result.ok());
  std::string joined;
  for (const auto& d : run.deltas)
    joined += d;
  EXPECT_EQ(joined, run.result->text);
  // Arbitrary bytes everywhere.
  std::string noise;
  for (int i = 0; i < 4096; ++i)
    noise.push_back(static_cast<char>((i * 7919) % 256));
  Outcome run2 = Answer(Ask(noise, {Source(1, noise, noise, {noise})}, "auto"));
  EXPECT_TRUE(run2.result.ok());
}

}  // namespace
}  // namespace studybot::ai
