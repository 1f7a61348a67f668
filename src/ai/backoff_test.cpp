#include "ai/backoff.h"

#include <gtest/gtest.h>

namespace studybot::ai {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, CeilingDoublesUpToTheCap) {
  const milliseconds base(500), cap(20'000);
  EXPECT_EQ(BackoffCeiling(0, base, cap), milliseconds(500));
  EXPECT_EQ(BackoffCeiling(1, base, cap), milliseconds(1000));
  EXPECT_EQ(BackoffCeiling(5, base, cap), milliseconds(16'000));
  EXPECT_EQ(BackoffCeiling(6, base, cap), cap);
  EXPECT_EQ(BackoffCeiling(1000, base, cap), cap);
}

TEST(BackoffTest, FullJitterStaysUnderTheCeilingAndIsSeedable) {
  std::mt19937_64 a(7), b(7);
  bool varied = false;
  for (int attempt = 0; attempt < 10; ++attempt) {
    for (int i = 0; i < 50; ++i) {
      const milliseconds d = FullJitterBackoff(attempt, milliseconds(500), milliseconds(20'000), a);
      EXPECT_EQ(d, FullJitterBackoff(attempt, milliseconds(500), milliseconds(20'000), b));
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d, BackoffCeiling(attempt, milliseconds(500), milliseconds(20'000)));
      varied = varied || d != milliseconds(0);
    }
  }
  EXPECT_TRUE(varied);
}

outbound::HttpResponse WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  outbound::HttpResponse r;
  r.status = 429;
  r.headers = std::move(headers);
  return r;
}

TEST(BackoffTest, RetryAfterHint) {
  // Tue, 15 Nov 1994 08:12:31 GMT
  const SystemTime now = std::chrono::system_clock::from_time_t(784887151);
  struct Case {
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<milliseconds> want;
  };
  const Case cases[] = {
      {{}, std::nullopt},
      {{{"retry-after", "3"}}, milliseconds(3000)},
      {{{"retry-after", " 0 "}}, milliseconds(0)},
      {{{"retry-after", "-3"}}, std::nullopt},
      {{{"retry-after", "1.5"}}, std::nullopt},
      {{{"retry-after", "soon"}}, std::nullopt},
      {{{"retry-after", "99999999999999"}}, std::chrono::hours(24)},
      {{{"retry-after", "Tue, 15 Nov 1994 08:12:41 GMT"}}, milliseconds(10'000)},
      {{{"retry-after", "Tue, 15 Nov 1994 08:12:00 GMT"}}, milliseconds(0)},  // past
      {{{"retry-after-ms", "250"}}, milliseconds(250)},
      {{{"retry-after-ms", "12.2"}}, milliseconds(13)},
      // retry-after-ms is finer and wins; a malformed one falls back to Retry-After.
      {{{"retry-after", "1"}, {"retry-after-ms", "750"}}, milliseconds(750)},
      {{{"retry-after", "2"}, {"retry-after-ms", "x"}}, milliseconds(2000)},
      {{{"retry-after-ms", "-1"}}, std::nullopt},
  };
  for (const Case& c : cases) {
    std::string label;
    for (const auto& [k, v] : c.headers)
      label += k + "=" + v + " ";
    EXPECT_EQ(RetryAfterHint(WithHeaders(c.headers), now), c.want) << label;
  }
}

TEST(BackoffTest, ParsesTheThreeHttpDateForms) {
  const SystemTime want = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), want);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), want);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), want);
  for (const char* bad : {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49 GMT", "1994-11-06T08:49:37Z"}) {
    EXPECT_EQ(ParseHttpDate(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace studybot::ai
