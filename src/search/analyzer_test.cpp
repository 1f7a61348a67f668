#include "search/analyzer.h"

#include <gtest/gtest.h>

#include <thread>

namespace studybot::search {
namespace {

using Strings = std::vector<std::string>;
using Spans = std::vector<std::pair<std::size_t, std::size_t>>;

TEST(ParseLanguageTest, KnownNamesAndErrors) {
  EXPECT_EQ(*ParseLanguage("en"), Language::kEnglish);
  EXPECT_EQ(*ParseLanguage("English"), Language::kEnglish);
  EXPECT_EQ(*ParseLanguage("FR"), Language::kFrench);
  EXPECT_EQ(*ParseLanguage("french"), Language::kFrench);
  EXPECT_EQ(*ParseLanguage("auto"), Language::kAuto);
  auto bad = ParseLanguage("de");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseLanguage("").ok());
  EXPECT_EQ(LanguageName(Language::kFrench), "fr");
  EXPECT_EQ(LanguageName(Language::kAuto), "auto");
}

struct TokenizeCase {
  const char* name;
  std::string text;
  Strings words;
};

class TokenizeTableTest : public ::testing::TestWithParam<TokenizeCase> {};

TEST_P(TokenizeTableTest, Words) {
  const TokenizeCase& c = GetParam();
  EXPECT_EQ(Analyzer(Language::kEnglish).Words(c.text), c.words);
}

const TokenizeCase kTokenizeCases[] = {
    {"empty", "", {}},
    {"punctuation only", " ,.;!? -- ", {}},
    {"ascii case", "Hello, WORLD!", {"hello", "world"}},
    {"digits kept", "Room 101 at 9am, v2.5", {"room", "101", "at", "9am", "v2", "5"}},
    {"latin-1 capitals", "ÉCOLE Ça Über ÀÉÎÕÜ", {"école", "ça", "über", "àéîõü"}},
    {"latin extended-a", "Œuvre ŁÓDŹ Ŝ ĲSSEL İ", {"œuvre", "łódź", "ŝ", "ĳssel", "i"}},
    {"greek and cyrillic", "ΑΘΗΝΑ Москва", {"αθηνα", "москва"}},
    {"elision ascii", "l'école d'été", {"école", "été"}},
    {"elision typographic", "L’Éducation qu’il n’a", {"éducation", "il", "a"}},
    {"all elisions",
     "j'ai m'a t'es s'il c'est jusqu'ici lorsqu'on",
     {"ai", "a", "es", "il", "est", "ici", "on"}},
    {"inner apostrophe kept", "aujourd'hui John’s don't", {"aujourd'hui", "john's", "don't"}},
    {"edge apostrophes split", "'quoted' students' l'", {"quoted", "students", "l"}},
    {"symbols split",
     "e-mail×2÷3 a/b €5 ©me ★x",
     {"e", "mail", "2", "3", "a", "b", "5", "me", "x"}},
    {"typographic punctuation", "«Bonjour» — dit‑il…", {"bonjour", "dit", "il"}},
    {"nbsp and emoji",
     "prix\xC2\xA0"
     "10\xE2\x82\xAC \xF0\x9F\x98\x80smile",
     {"prix", "10", "smile"}},
    {"long token dropped",
     "ok " + std::string(65, 'a') + " fine " + std::string(64, 'b'),
     {"ok", "fine", std::string(64, 'b')}},
    {"long accented token dropped",
     std::string("x ") +
         [] {
           std::string s;
           for (int i = 0; i < 33; ++i)
             s += "é";  // 66 bytes
           return s;
         }(),
     {"x"}},
};

INSTANTIATE_TEST_SUITE_P(Cases, TokenizeTableTest, ::testing::ValuesIn(kTokenizeCases),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(TokenizeTest, SpansPointIntoTheOriginalText) {
  std::string text = "L’École, c'est  ÉTÉ";
  std::vector<Token> tokens = Tokenize(text);
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(text.substr(tokens[0].begin, tokens[0].end - tokens[0].begin), "École");
  EXPECT_EQ(text.substr(tokens[1].begin, tokens[1].end - tokens[1].begin), "est");
  EXPECT_EQ(text.substr(tokens[2].begin, tokens[2].end - tokens[2].begin), "ÉTÉ");
  EXPECT_EQ(tokens[2].end, text.size());
}

TEST(TokenizeTest, MalformedUtf8SeparatesAndNeverCrashes) {
  // Stray continuation, overlong "/", a surrogate, a truncated sequence at the end.
  std::string text =
      "abc\x80"
      "def\xC0\xAFghi\xED\xA0\x80jkl\xE2\x82";
  EXPECT_EQ(Analyzer(Language::kEnglish).Words(text), (Strings{"abc", "def", "ghi", "jkl"}));
  // A truncated sequence right after an apostrophe must not be read past the end.
  EXPECT_EQ(Analyzer(Language::kFrench).Words("l'\xC3"), (Strings{"l"}));
  // Every byte value, in every position: only valid UTF-8 comes out.
  std::string all;
  for (int round = 0; round < 3; ++round)
    for (int b = 0; b < 256; ++b)
      all.push_back(static_cast<char>((b * 37 + round * 11) & 0xFF));
  for (const Token& token : Tokenize(all)) {
    EXPECT_FALSE(token.text.empty());
    EXPECT_LE(token.end, all.size());
    EXPECT_LT(token.begin, token.end);
  }
}

struct TermsCase {
  const char* name;
  Language language;
  std::string text;
  Strings terms;
};

class TermsTableTest : public ::testing::TestWithParam<TermsCase> {};

TEST_P(TermsTableTest, Terms) {
  const TermsCase& c = GetParam();
  EXPECT_EQ(Analyzer(c.language).Terms(c.text), c.terms);
}

// Stems are what libstemmer's Snowball algorithms really give.
const TermsCase kTermsCases[] = {
    {"english stemming",
     Language::kEnglish,
     "running connections connected studies",
     {"run", "connect", "connect", "studi"}},
    {"english stop words", Language::kEnglish, "The cat is on the mat, isn't it?", {"cat", "mat"}},
    {"english possessive", Language::kEnglish, "John's passwords", {"john", "password"}},
    {"french stemming",
     Language::kFrench,
     "écoles étudiantes connexions chevaux",
     {"écol", "étudi", "connex", "cheval"}},
    {"french stop words",
     Language::kFrench,
     "Le chat est sur la table et il dort",
     {"chat", "tabl", "dort"}},
    {"french elision then stop word", Language::kFrench, "qu'il l'école d'hiver", {"écol", "hiv"}},
    {"french capitals", Language::kFrench, "ÉCOLES", {"écol"}},
    {"auto english",
     Language::kAuto,
     "The students are running to the connections",
     {"student", "run", "connect"}},
    {"auto french",
     Language::kAuto,
     "Les étudiantes vont à l'école avec des amis",
     {"étudi", "vont", "écol", "amis"}},
    {"stop words only", Language::kEnglish, "the and of it", {}},
};

INSTANTIATE_TEST_SUITE_P(Cases, TermsTableTest, ::testing::ValuesIn(kTermsCases),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

TEST(AnalyzerTest, StemMatchesSnowball) {
  EXPECT_EQ(Analyzer::Stem(Language::kEnglish, "running"), "run");
  EXPECT_EQ(Analyzer::Stem(Language::kEnglish, "connections"), "connect");
  EXPECT_EQ(Analyzer::Stem(Language::kFrench, "écoles"), "écol");
  EXPECT_EQ(Analyzer::Stem(Language::kFrench, "réinitialisation"), "réinitialis");
}

TEST(AnalyzerTest, StopWordLists) {
  EXPECT_TRUE(IsStopWord(Language::kEnglish, "the"));
  EXPECT_TRUE(IsStopWord(Language::kEnglish, "don't"));
  EXPECT_FALSE(IsStopWord(Language::kEnglish, "le"));
  EXPECT_TRUE(IsStopWord(Language::kFrench, "le"));
  EXPECT_TRUE(IsStopWord(Language::kFrench, "été"));
  EXPECT_TRUE(IsStopWord(Language::kFrench, "où"));
  EXPECT_FALSE(IsStopWord(Language::kFrench, "the"));
  EXPECT_TRUE(IsStopWord(Language::kAuto, "the"));
  EXPECT_TRUE(IsStopWord(Language::kAuto, "les"));
  EXPECT_FALSE(IsStopWord(Language::kAuto, "école"));
}

TEST(AnalyzerTest, DetectLanguage) {
  EXPECT_EQ(DetectLanguage("How do I reset my password?"), Language::kEnglish);
  EXPECT_EQ(DetectLanguage("Comment est-ce que je change mon mot de passe ?"), Language::kFrench);
  EXPECT_EQ(DetectLanguage("Où se trouve la bibliothèque"), Language::kFrench);
  // No evidence, or only words both lists claim: English.
  EXPECT_EQ(DetectLanguage(""), Language::kEnglish);
  EXPECT_EQ(DetectLanguage("bibliothèque"), Language::kEnglish);
  EXPECT_EQ(DetectLanguage("a on me"), Language::kEnglish);
  EXPECT_EQ(Analyzer(Language::kAuto).Resolve("le chat et la souris"), Language::kFrench);
  EXPECT_EQ(Analyzer(Language::kEnglish).Resolve("le chat et la souris"), Language::kEnglish);
}

TEST(AnalyzerTest, AnalyzeKeepsWordAndStem) {
  std::vector<AnalyzedWord> words = Analyzer(Language::kEnglish).Analyze("The Running dogs");
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].word, "running");
  EXPECT_EQ(words[0].stem, "run");
  EXPECT_EQ(words[1].word, "dogs");
  EXPECT_EQ(words[1].stem, "dog");
}

TEST(AnalyzerTest, QueryTermsDeduplicate) {
  EXPECT_EQ(Analyzer(Language::kEnglish).QueryTerms("run running runs the dog"),
            (Strings{"run", "dog"}));
}

TEST(AnalyzerTest, AutoQueryTermsUnionWhenUndecided) {
  Analyzer analyzer(Language::kAuto);
  // No stop word: both stemmings. English keeps "car", French drops it as a stop word; the
  // French stemmer leaves "running" alone.
  EXPECT_EQ(analyzer.QueryTerms("car running"), (Strings{"car", "run", "running"}));
  // Clearly English, clearly French: one stemming.
  EXPECT_EQ(analyzer.QueryTerms("how do I reset my passwords"), (Strings{"reset", "password"}));
  EXPECT_EQ(analyzer.QueryTerms("je ne trouve pas les écoles"), (Strings{"trouv", "écol"}));
}

TEST(AnalyzerTest, MatchSpansHighlightsStemMatches) {
  Analyzer analyzer(Language::kEnglish);
  std::string text = "Connecting: the connection CONNECTS, unlike the cat.";
  std::unordered_set<std::string> query;
  for (std::string& term : analyzer.QueryTerms("connections"))
    query.insert(term);
  EXPECT_EQ(analyzer.MatchSpans(text, query), (Spans{{0, 10}, {16, 26}, {27, 35}}));
  EXPECT_TRUE(analyzer.MatchSpans(text, {}).empty());
  // Stop words are never highlighted, even if asked for.
  EXPECT_TRUE(analyzer.MatchSpans("the the", {"the"}).empty());
}

TEST(AnalyzerTest, MatchSpansFrenchAndAuto) {
  std::string text = "Toutes les écoles de l’École normale";
  Spans expected = {{11, 18}, {26, 32}};  // "écoles", "École" (after the elision)
  EXPECT_EQ(Analyzer(Language::kFrench).MatchSpans(text, {"écol"}), expected);
  EXPECT_EQ(Analyzer(Language::kAuto).MatchSpans(text, {"écol"}), expected);
  // Under kAuto, the other language's stem also matches: the English-stemmed query "école" meets
  // the French text.
  EXPECT_EQ(Analyzer(Language::kAuto).MatchSpans(text, {"école"}), expected);
}

TEST(AnalyzerTest, ConcurrentStemmingIsConsistent) {
  Analyzer analyzer(Language::kAuto);
  const std::string en = "The students were running between the connected stations";
  const std::string fr = "Les étudiantes couraient entre les gares connectées";
  const Strings en_terms = analyzer.Terms(en);
  const Strings fr_terms = analyzer.Terms(fr);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (analyzer.Terms(en) != en_terms || analyzer.Terms(fr) != fr_terms) ++mismatches;
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace studybot::search
