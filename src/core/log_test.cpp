#include "core/log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/ids.h"

namespace studybot {
namespace {

TEST(LogTest, LinesAreJsonWithTypedFields) {
  auto path = std::filesystem::temp_directory_path() / ("studybot-log-" + RandomHex(6));
  {
    Logger log(Logger::Options{LogLevel::kDebug, path.string(), std::chrono::milliseconds(200)});
    std::string owned = "quote\" backslash\\ newline\n ctl\x01 bad\xff utf8 é";
    log.Log(LogLevel::kInfo, "hello",
            {{"s", owned},
             {"i", -3},
             {"u", 7u},
             {"d", 1.5},
             {"b", true},
             {"j", boost::json::array{1, 2}}},
            "rid-1");
    log.Debug("dbg");
    log.SetLevel(LogLevel::kWarn);
    log.Info("hidden");
  }
  std::ifstream in(path);
  std::string line;
  std::vector<boost::json::object> lines;
  while (std::getline(in, line))
    lines.push_back(boost::json::parse(line).as_object());
  std::filesystem::remove(path);
  ASSERT_EQ(lines.size(), 2u);
  const auto& o = lines[0];
  EXPECT_EQ(o.at("msg").as_string(), "hello");
  EXPECT_EQ(o.at("level").as_string(), "info");
  EXPECT_EQ(o.at("request_id").as_string(), "rid-1");
  EXPECT_EQ(o.at("s").as_string(),
            "quote\" backslash\\ newline\n ctl\x01 bad\xef\xbf\xbd utf8 \xc3\xa9");
  EXPECT_EQ(o.at("i").as_int64(), -3);
  EXPECT_EQ(o.at("u").to_number<int64_t>(), 7);
  EXPECT_EQ(o.at("d").as_double(), 1.5);
  EXPECT_TRUE(o.at("b").as_bool());
  EXPECT_EQ(o.at("j").as_array().size(), 2u);
  EXPECT_EQ(o.at("time").as_string().size(), 24u);
  EXPECT_EQ(lines[1].at("level").as_string(), "debug");
}

}  // namespace
}  // namespace studybot
