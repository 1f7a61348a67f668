#include "ingest/chunker.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/strings.h"
#include "ingest/parsers.h"
#include "ingest/pdf_testing.h"
#include "ingest/token_count.h"

namespace studybot::ingest {
namespace {

using Path = std::vector<std::string>;

Block Para(std::string text, int page = 0) {
  return {Block::Kind::kParagraph, 0, std::move(text), "", page};
}
Block Heading(int level, std::string text, std::string anchor = "") {
  return {Block::Kind::kHeading, level, std::move(text), std::move(anchor), 0};
}
Block Item(std::string text) {
  return {Block::Kind::kListItem, 1, std::move(text), "", 0};
}

// "Sentence number N is here and says something about topic N." ~ 12 tokens each.
std::string Sentences(int first, int count, std::string_view word = "Sentence") {
  std::string text;
  for (int i = first; i < first + count; ++i) {
    if (!text.empty()) text += ' ';
    text += std::string(word) + " number " + std::to_string(i) +
            " is here and says something about topic " + std::to_string(i) + ".";
  }
  return text;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The longest prefix of `next` that is also a suffix of `previous`.
std::string_view SharedOverlap(std::string_view previous, std::string_view next) {
  for (std::size_t n = std::min(previous.size(), next.size()); n > 0; --n) {
    if (EndsWith(previous, next.substr(0, n))) return next.substr(0, n);
  }
  return {};
}

// Checks that hold for every chunking: positions, counts, size bound, valid UTF-8.
void ExpectWellFormed(const std::vector<Chunk>& chunks, const ChunkingOptions& options,
                      int tolerance = 0) {
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& chunk = chunks[i];
    EXPECT_EQ(chunk.position, static_cast<int>(i));
    EXPECT_EQ(chunk.token_count, static_cast<int>(CountTokens(chunk.text)));
    EXPECT_LE(chunk.token_count, options.size_tokens + tolerance) << chunk.text;
    EXPECT_FALSE(chunk.text.empty());
    EXPECT_EQ(CleanUtf8(chunk.text), chunk.text) << "invalid UTF-8 in chunk " << i;
    // No blank start or end (code keeps the indentation of its first line).
    EXPECT_NE(chunk.text.front(), '\n');
    EXPECT_FALSE(EndsWith(chunk.text, " ") || EndsWith(chunk.text, "\n")) << chunk.text;
  }
}

TEST(ChunkDocumentTest, EmptyDocumentsGiveNoChunks) {
  ChunkingOptions options;
  EXPECT_TRUE(ChunkDocument(ParsedDocument{}, options).empty());
  ParsedDocument headings_only;
  headings_only.blocks = {Heading(1, "A"), Heading(2, "B"), Para("  \n\t ")};
  EXPECT_TRUE(ChunkDocument(headings_only, options).empty());
  EXPECT_TRUE(ChunkDocument(ParseMarkdown("").value(), options).empty());
  EXPECT_TRUE(ChunkDocument(ParseHtml("<html><body></body></html>").value(), options).empty());
}

TEST(ChunkDocumentTest, HeadingsStartChunksAndTrackTheirPath) {
  auto document = ParseMarkdown(
      "Preamble.\n"
      "# Guide\nIntro.\n"
      "## Install\nInstall text.\n"
      "### On Debian\nRun apt.\n"
      "### On Fedora\nRun dnf.\n"
      "## Use\nUse text.\n"
      "# Appendix\nMore.\n");
  ASSERT_TRUE(document.ok());
  auto chunks = ChunkDocument(*document, ChunkingOptions{});
  ExpectWellFormed(chunks, ChunkingOptions{});
  struct Expected {
    const char* text;
    Path path;
    const char* anchor;
  };
  const std::vector<Expected> kExpected = {
      {"Preamble.", {}, ""},
      {"Intro.", {"Guide"}, "guide"},
      {"Install text.", {"Guide", "Install"}, "install"},
      {"Run apt.", {"Guide", "Install", "On Debian"}, "on-debian"},
      {"Run dnf.", {"Guide", "Install", "On Fedora"}, "on-fedora"},
      {"Use text.", {"Guide", "Use"}, "use"},
      {"More.", {"Appendix"}, "appendix"},
  };
  ASSERT_EQ(chunks.size(), kExpected.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].text, kExpected[i].text);
    EXPECT_EQ(chunks[i].heading_path, kExpected[i].path) << i;
    EXPECT_EQ(chunks[i].anchor, kExpected[i].anchor) << i;
  }
}

TEST(ChunkDocumentTest, HtmlHeadingPathsAndNearestAnchor) {
  auto document = ParseHtml(
      "<body><h1 id=\"top\">Top</h1><p>One.</p><h2>No id</h2><p>Two.</p>"
      "<h3 id=\"deep\">Deep</h3><p>Three.</p><h2 id=\"b\">B</h2><ul><li>x</li><li>y</li></ul>"
      "</body>");
  ASSERT_TRUE(document.ok());
  auto chunks = ChunkDocument(*document, ChunkingOptions{});
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[1].heading_path, (Path{"Top", "No id"}));
  EXPECT_EQ(chunks[1].anchor, "top");  // the nearest heading with an anchor
  EXPECT_EQ(chunks[2].heading_path, (Path{"Top", "No id", "Deep"}));
  EXPECT_EQ(chunks[2].anchor, "deep");
  EXPECT_EQ(chunks[3].heading_path, (Path{"Top", "B"}));
  EXPECT_EQ(chunks[3].text, "x\ny");  // list items one per line, no marker
}

TEST(ChunkDocumentTest, LongParagraphIsSplitAtSentencesWithOverlap) {
  ChunkingOptions options{100, 20};
  ParsedDocument document;
  document.blocks = {Heading(1, "Long"), Para(Sentences(1, 40))};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GE(chunks.size(), 5u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_TRUE(EndsWith(chunks[i].text, ".")) << chunks[i].text;  // cut between sentences
    EXPECT_TRUE(StartsWith(chunks[i].text, "Sentence number ")) << chunks[i].text;
    EXPECT_GE(chunks[i].token_count, 50) << "chunks are filled";
    if (i == 0) continue;
    // The overlap really repeats the previous chunk's end: whole sentences, 10-20 tokens.
    std::string_view overlap = SharedOverlap(chunks[i - 1].text, chunks[i].text);
    EXPECT_GE(CountTokens(overlap), 10u) << chunks[i].text;
    EXPECT_LE(CountTokens(overlap), 20u) << chunks[i].text;
    EXPECT_TRUE(EndsWith(overlap, ".")) << overlap;
  }
  // Nothing is lost: every sentence is in some chunk, in order.
  std::size_t chunk = 0;
  for (int i = 1; i <= 40; ++i) {
    std::string sentence = Sentences(i, 1);
    while (chunk < chunks.size() && chunks[chunk].text.find(sentence) == std::string::npos)
      ++chunk;
    EXPECT_LT(chunk, chunks.size()) << sentence;
  }
}

TEST(ChunkDocumentTest, ChunksAreFilledWithWholeParagraphsUpToTheSize) {
  ChunkingOptions options{100, 0};
  ParsedDocument document;
  for (int i = 0; i < 6; ++i)
    document.blocks.push_back(Para(Sentences(3 * i, 3)));  // ~36 tokens
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].text, Sentences(0, 3) + "\n\n" + Sentences(3, 3));
}

TEST(ChunkDocumentTest, ListItemsAreKeptWhole) {
  ChunkingOptions options{100, 30};
  ParsedDocument document;
  document.blocks.push_back(Para("Intro:"));
  for (int i = 0; i < 10; ++i)
    document.blocks.push_back(Item(Sentences(10 * i, 2)));  // ~24
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  for (int i = 0; i < 10; ++i) {
    std::string item = Sentences(10 * i, 2);
    bool whole = false;
    for (const Chunk& chunk : chunks)
      whole = whole || chunk.text.find(item) != std::string::npos;
    EXPECT_TRUE(whole) << item;
  }
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_FALSE(SharedOverlap(chunks[i - 1].text, chunks[i].text).empty()) << i;
  }
}

TEST(ChunkDocumentTest, OverlapNeverCrossesAHeadingOrAPage) {
  ChunkingOptions options{60, 20};
  ParsedDocument document;
  document.blocks = {Para(Sentences(0, 8, "Alpha")), Heading(2, "Next"),
                     Para(Sentences(0, 8, "Beta"))};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  bool first_of_section = true;
  for (const Chunk& chunk : chunks) {
    bool second_section = !chunk.heading_path.empty();
    EXPECT_EQ(chunk.text.find(second_section ? "Alpha" : "Beta"), std::string::npos) << chunk.text;
    if (second_section && first_of_section) {
      EXPECT_TRUE(StartsWith(chunk.text, "Beta number 0 ")) << chunk.text;
      first_of_section = false;
    }
  }
  EXPECT_FALSE(first_of_section);
}

TEST(ChunkDocumentTest, ChunksNeverSpanTwoPdfPages) {
  ChunkingOptions options{80, 20};
  ParsedDocument pdf;
  pdf.blocks = {Para("Short one.", 1), Para("Also one.", 1), Para(Sentences(0, 20, "Beta"), 2),
                Para(Sentences(0, 3, "Gamma"), 3)};
  auto chunks = ChunkDocument(pdf, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GE(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].text, "Short one.\n\nAlso one.");
  EXPECT_EQ(chunks[0].page, 1);
  int last_page = 1;
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    const Chunk& chunk = chunks[i];
    const char* word = chunk.page == 2 ? "Beta" : "Gamma";
    ASSERT_TRUE(chunk.page == 2 || chunk.page == 3) << chunk.page;
    EXPECT_GE(chunk.page, last_page);
    // Only this page's sentences, and its first chunk starts at the page's first sentence.
    for (const char* other : {"one.", chunk.page == 2 ? "Gamma" : "Beta"}) {
      EXPECT_EQ(chunk.text.find(other), std::string::npos) << chunk.text;
    }
    if (chunk.page != last_page) {
      EXPECT_TRUE(StartsWith(chunk.text, std::string(word) + " number 0 ")) << chunk.text;
    }
    last_page = chunk.page;
  }
  EXPECT_EQ(chunks.back().page, 3);
}

TEST(ChunkDocumentTest, PdfPagesEndToEnd) {
  // Through the real parser: short pages are not merged, each chunk names its page.
  PdfSpec spec;
  spec.pages = {{"Hello from page one."}, {"Bonjour de la page deux."}, {"Page three."}};
  auto document = ParsePdf(MakePdf(spec));
  ASSERT_TRUE(document.ok()) << document.error().message;
  auto chunks = ChunkDocument(*document, ChunkingOptions{});
  ASSERT_EQ(chunks.size(), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(chunks[i].page, i + 1);
  EXPECT_EQ(chunks[1].text, "Bonjour de la page deux.");
}

TEST(ChunkDocumentTest, GiantWordsAndCodeAreCutSafely) {
  ChunkingOptions options{50, 10};
  std::string word;
  for (int i = 0; i < 3000; ++i)
    word += "\xC3\xA9";  // é, no space at all
  ParsedDocument document;
  document.blocks = {Para(word)};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options, 2);
  std::string joined;
  for (const Chunk& chunk : chunks)
    joined += chunk.text;
  EXPECT_EQ(joined, word);  // no overlap inside a word, no byte lost or added

  std::string code;
  for (int i = 0; i < 60; ++i)
    code += "  call_function(argument_" + std::to_string(i) + ");\n";
  document.blocks = {{Block::Kind::kCode, 0, code, "", 0}};
  chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GT(chunks.size(), 2u);
  for (const Chunk& chunk : chunks) {
    for (std::string_view line : Split(chunk.text, '\n')) {
      EXPECT_TRUE(StartsWith(Trim(line), "call_function(") && EndsWith(line, ");")) << line;
    }
  }
}

TEST(ChunkDocumentTest, GiantWordIsCutInLinearTime) {
  // Each cut once read the rest of the word: 1 MiB took seconds, 4 MiB half a minute.
  ParsedDocument document;
  document.blocks = {Para(std::string(1 << 20, 'x'))};
  auto start = std::chrono::steady_clock::now();
  auto chunks = ChunkDocument(document, ChunkingOptions{50, 10});
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GT(chunks.size(), 1000u);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(ChunkDocumentTest, TableRowsAreNeverCutAndOverlapByWholeRows) {
  std::string rows;
  for (int i = 0; i < 40; ++i) {
    rows += "row " + std::to_string(i) + " | setting.name_" + std::to_string(i) +
            " | a value with several words in it\n";
  }
  ParsedDocument document;
  document.blocks = {{Block::Kind::kTable, 0, rows, "", 0}};
  ChunkingOptions options{80, 30};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    for (std::string_view line : Split(chunks[i].text, '\n')) {
      EXPECT_TRUE(StartsWith(line, "row ") && EndsWith(line, "in it")) << line;
    }
    if (i > 0) {
      std::string_view overlap = SharedOverlap(chunks[i - 1].text, chunks[i].text);
      EXPECT_TRUE(StartsWith(overlap, "row ")) << overlap;
    }
  }
}

TEST(ChunkDocumentTest, FrenchTextKeepsGuillemetsAndElisions) {
  std::string text;
  for (int i = 0; i < 12; ++i) {
    text +=
        "\xC2\xAB Qu'est-ce que l'\xC3\xA9t\xC3\xA9 ? \xC2\xBB demanda-t-il \xC3\xA0 "
        "l'\xC3\xA9l\xC3\xA8ve num\xC3\xA9ro " +
        std::to_string(i) + ". Aujourd'hui, c'est d\xC3\xA9j\xC3\xA0 fini ! ";
  }
  ChunkingOptions options{60, 15};
  ParsedDocument document;
  document.blocks = {Para(text)};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GT(chunks.size(), 2u);
  for (const Chunk& chunk : chunks) {
    // Cuts fall between sentences, never between « and » nor inside an elision.
    EXPECT_TRUE(StartsWith(chunk.text, "\xC2\xAB Qu'est-ce") ||
                StartsWith(chunk.text, "Aujourd'hui"))
        << chunk.text;
    EXPECT_TRUE(EndsWith(chunk.text, "fini !") || EndsWith(chunk.text, "."));
  }
}

TEST(ChunkDocumentTest, SmallParagraphThenLargeOneFillsTheChunk) {
  ChunkingOptions options{100, 0};
  ParsedDocument document;
  document.blocks = {Para("A short intro."), Para(Sentences(0, 12))};
  auto chunks = ChunkDocument(document, options);
  ExpectWellFormed(chunks, options);
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_TRUE(StartsWith(chunks[0].text, "A short intro.\n\nSentence number 0 "));
  EXPECT_GE(chunks[0].token_count, 80);
}

TEST(ChunkDocumentTest, HandBuiltDocumentsAreSanitised) {
  ParsedDocument document;
  document.blocks = {Heading(1, "Ti\x01tle"), Para("bad \xFF byte,\x1B   \n spaces\x7F")};
  auto chunks = ChunkDocument(document, ChunkingOptions{});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "bad \xEF\xBF\xBD byte, spaces");
  EXPECT_EQ(chunks[0].heading_path, (Path{"Title"}));
}

TEST(ChunkDocumentTest, IsDeterministic) {
  auto document = ParseMarkdown("# A\n" + Sentences(0, 50) + "\n\n- " + Sentences(60, 3) + "\n");
  ASSERT_TRUE(document.ok());
  ChunkingOptions options{80, 30};
  auto first = ChunkDocument(*document, options);
  auto second = ChunkDocument(*document, options);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(first[i].text, second[i].text);
}

TEST(ValidateChunkingOptionsTest, Cases) {
  struct Case {
    ChunkingOptions options;
    std::vector<std::string> bad_fields;
  };
  const std::vector<Case> kCases = {
      {{400, 60}, {}},
      {{50, 24}, {}},
      {{4000, 1999}, {}},
      {{400, 0}, {}},
      {{49, 10}, {"/size_tokens"}},
      {{4001, 10}, {"/size_tokens"}},
      {{400, 200}, {"/overlap_tokens"}},
      {{400, -1}, {"/overlap_tokens"}},
      {{10, 10}, {"/size_tokens", "/overlap_tokens"}},
  };
  for (const Case& c : kCases) {
    Status status = ValidateChunkingOptions(c.options);
    std::vector<std::string> fields;
    if (!status.ok()) {
      EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
      for (const FieldError& field : status.error().details)
        fields.push_back(field.path);
    }
    EXPECT_EQ(fields, c.bad_fields) << c.options.size_tokens << "/" << c.options.overlap_tokens;
  }
}

}  // namespace
}  // namespace studybot::ingest
