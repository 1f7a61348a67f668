#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/document_testing.h"
#include "ingest/parsers.h"

namespace studybot::ingest {
namespace {

using Lines = std::vector<std::string>;

Lines Parse(std::string_view text) {
  auto document = ParseText(text);
  EXPECT_TRUE(document.ok());
  return document.ok() ? Describe(*document) : Lines{};
}

TEST(ParseTextTest, ParagraphsAndListItems) {
  struct Case {
    const char* text;
    Lines blocks;
  };
  const std::vector<Case> kCases = {
      {"", {}},
      {" \n\n\t\n", {}},
      {"One line", {"P One line"}},
      {"First paragraph\nwrapped here.\n\nSecond one.",
       {"P First paragraph wrapped here.", "P Second one."}},
      {"Shopping:\n- milk\n- eggs\n  from the farm\n* bread\n+ jam\nThat's all.",
       {"P Shopping:", "L1 milk", "L1 eggs from the farm", "L1 bread", "L1 jam", "P That's all."}},
      {"Steps:\n1. Install\n2) Run\n  a) nested\n10. Ten",
       {"P Steps:", "L1 Install", "L1 Run", "L2 nested", "L1 Ten"}},
      {"\xE2\x80\xA2 bullet one\n\xE2\x80\xA2 bullet two", {"L1 bullet one", "L1 bullet two"}},
      // Not list items: no space after the marker, a bare marker, a long number.
      {"-5 degrees\n*emphasis*\n-\n2024. was a year",
       {"P -5 degrees *emphasis* - 2024. was a year"}},
      {"dos\r\nlines\r\n\r\nnext", {"P dos lines", "P next"}},
  };
  for (const Case& c : kCases)
    EXPECT_EQ(Parse(c.text), c.blocks) << c.text;
}

TEST(ParseTextTest, StripsControlCharactersAndRepairsUtf8) {
  EXPECT_EQ(Parse("bell\x07 esc\x1B[0m caf\xE9 \xC3\xA9t\xC3\xA9\x7F"),
            Lines{"P bell esc[0m caf\xEF\xBF\xBD \xC3\xA9t\xC3\xA9"});
}

TEST(ParseTextTest, BoundsTheOutput) {
  // 6 MiB of paragraphs: the first 4 MiB are kept.
  std::string paragraph(1023, 'x');
  std::string text;
  while (text.size() < 6 * 1024 * 1024)
    text += paragraph + "\n\n";
  auto document = ParseText(text);
  ASSERT_TRUE(document.ok());
  EXPECT_TRUE(document->truncated);
  std::size_t bytes = 0;
  for (const Block& block : document->blocks)
    bytes += block.text.size();
  EXPECT_EQ(bytes, kMaxDocumentTextBytes);

  EXPECT_FALSE(ParseText("small").value().truncated);
  auto too_large = ParseText(std::string(kMaxMarkupBytes + 1, 'a'));
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, ErrorCode::kPayloadTooLarge);
}

TEST(ParseDocumentTest, DispatchesOnMediaType) {
  EXPECT_EQ(Describe(ParseDocument("text/plain; charset=utf-8", "a\n\nb").value()),
            (Lines{"P a", "P b"}));
  EXPECT_EQ(Describe(ParseDocument("Text/Markdown", "# T").value()), (Lines{"H1 #t T"}));
  EXPECT_EQ(Describe(ParseDocument("text/html", "<p>x</p>").value()), (Lines{"P x"}));
  EXPECT_EQ(ParseDocument("application/pdf", "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDocument("image/png", "").error().code, ErrorCode::kUnsupportedMediaType);
}

}  // namespace
}  // namespace studybot::ingest
