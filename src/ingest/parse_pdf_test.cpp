#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/document_testing.h"
#include "ingest/parsers.h"
#include "ingest/pdf_testing.h"

namespace studybot::ingest {
namespace {

using Lines = std::vector<std::string>;

const PdfSpec kTwoPages = {
    {{"Hello from page one.", "It has two lines."},
     {"Bonjour de la page deux : \xAB l'\xE9t\xE9 \xBB !"}},
    "Test \xE9"
    "dition",
};

TEST(ParsePdfTest, ReadsEachPageWithItsNumber) {
  auto document = ParsePdf(MakePdf(kTwoPages));
  ASSERT_TRUE(document.ok()) << document.error().message;
  EXPECT_EQ(document->title,
            "Test \xC3\xA9"
            "dition");
  EXPECT_EQ(Describe(*document),
            (Lines{"P Hello from page one. It has two lines. @1",
                   "P Bonjour de la page deux : \xC2\xAB l'\xC3\xA9t\xC3\xA9 \xC2\xBB ! @2"}));
}

TEST(ParsePdfTest, SplitsParagraphsAtShortSentenceEndsAndRejoinsHyphens) {
  PdfSpec spec;
  spec.pages = {{"This first paragraph has a rather long line that goes on and on,",
                 "and it ends here.", "A second paragraph starts with a long line that is infor-",
                 "mation rich and long enough to be a full line of the page text, ok.",
                 "Short end.", "12"}};  // the page number goes
  auto document = ParsePdf(MakePdf(spec));
  ASSERT_TRUE(document.ok()) << document.error().message;
  EXPECT_EQ(Describe(*document),
            (Lines{"P This first paragraph has a rather long line that goes on and on, and it ends "
                   "here. @1",
                   "P A second paragraph starts with a long line that is information rich and "
                   "long enough to be a full line of the page text, ok. Short end. @1"}));
}

void ExpectInvalid(std::string_view bytes, const std::string& what) {
  testing::internal::CaptureStderr();
  auto document = ParsePdf(bytes);
  std::string printed = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(document.ok()) << what;
  EXPECT_EQ(document.error().code, ErrorCode::kInvalidArgument) << what;
  EXPECT_FALSE(document.error().message.empty());
  EXPECT_EQ(printed, "") << what << ": poppler must stay quiet";
}

TEST(ParsePdfTest, RefusesEmptyAndNonPdfInput) {
  ExpectInvalid("", "empty");
  ExpectInvalid("hello world", "text");
  ExpectInvalid(std::string(5000, '\0'), "zeros");
  EXPECT_NE(ParsePdf("").error().message.find("empty"), std::string::npos);
}

TEST(ParsePdfTest, RefusesRandomBytesAfterAHeader) {
  std::mt19937 random(42);
  for (int round = 0; round < 20; ++round) {
    std::string bytes = "%PDF-1.7\n";
    for (int i = 0; i < 4096; ++i)
      bytes.push_back(static_cast<char>(random() & 0xFF));
    ExpectInvalid(bytes, "random round " + std::to_string(round));
  }
}

TEST(ParsePdfTest, RefusesEncryptedPdf) {
  PdfSpec spec = kTwoPages;
  spec.encrypted = true;
  ExpectInvalid(MakePdf(spec), "encrypted");
  EXPECT_NE(ParsePdf(MakePdf(spec)).error().message.find("password"), std::string::npos);
}

TEST(ParsePdfTest, TruncatedPdfNeverCrashes) {
  std::string pdf = MakePdf(kTwoPages);
  // Cut anywhere: poppler either rebuilds what is left (its xref reconstruction finds whole
  // objects) or gives up. Either way an answer, nothing printed.
  for (std::size_t cut = 0; cut < pdf.size(); cut += 7) {
    testing::internal::CaptureStderr();
    auto document = ParsePdf(std::string_view(pdf).substr(0, cut));
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "") << cut;
    if (document.ok()) {
      EXPECT_FALSE(document->blocks.empty()) << cut;
    } else {
      EXPECT_TRUE(document.error().code == ErrorCode::kInvalidArgument ||
                  document.error().code == ErrorCode::kUnprocessable)
          << cut;
    }
  }
  // Cut before the first page's content: nothing to read.
  ExpectInvalid(std::string_view(pdf).substr(0, pdf.find("3 0 obj")), "cut after the catalog");
}

TEST(ParsePdfTest, PdfWithoutTextIsUnprocessable) {
  PdfSpec spec;
  spec.pages = {{}, {}};
  auto document = ParsePdf(MakePdf(spec));
  ASSERT_FALSE(document.ok());
  EXPECT_EQ(document.error().code, ErrorCode::kUnprocessable);
}

}  // namespace
}  // namespace studybot::ingest
