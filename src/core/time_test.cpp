#include "core/time.h"

#include <gtest/gtest.h>

namespace studybot {
namespace {

TEST(TimeTest, FormatsAndParsesRfc3339) {
  auto t = std::chrono::system_clock::from_time_t(1795000000) + std::chrono::milliseconds(42);
  auto text = FormatRfc3339Millis(t);
  EXPECT_EQ(text, "2026-11-18T11:06:40.042Z");
  auto back = ParseRfc3339(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, t);
  EXPECT_EQ(ParseRfc3339("2026-11-18T11:06:40Z"),
            std::chrono::system_clock::from_time_t(1795000000));
  for (const char* bad :
       {"", "2026-11-18", "2026-11-18T10:26:40", "2026-13-18T10:26:40Z",
        "2026-11-18T10:26:40+01:00", "2026-11-18T10:26:40.1Z", "x026-11-18T10:26:40Z"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace studybot
