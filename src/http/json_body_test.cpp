#include "http/json_body.h"

#include <gtest/gtest.h>

namespace studybot::http {
namespace {

Request JsonRequest(std::string body, std::string ct = "application/json") {
  Request r{Method::post, "/x", 11};
  r.set(bhttp::field::content_type, ct);
  r.body() = std::move(body);
  return r;
}

TEST(JsonBodyTest, AcceptsJsonMediaTypes) {
  for (const char* ct : {"application/json", "application/json; charset=utf-8",
                         "Application/JSON;charset=UTF-8", "application/merge-patch+json"}) {
    auto v = ParseJsonBody(JsonRequest("{\"a\":1}", ct));
    ASSERT_TRUE(v.ok()) << ct;
    EXPECT_EQ(v->as_object().at("a").as_int64(), 1);
  }
}

TEST(JsonBodyTest, RefusesOtherMediaTypes) {
  for (const char* ct : {"text/plain", "", "application/x-www-form-urlencoded",
                         "application/json; charset=latin1"}) {
    auto v = ParseJsonBody(JsonRequest("{}", ct));
    ASSERT_FALSE(v.ok()) << ct;
    EXPECT_EQ(v.error().code, ErrorCode::kUnsupportedMediaType);
  }
}

TEST(JsonBodyTest, MalformedJsonGivesPosition) {
  struct Case {
    std::string body;
    std::string where;
  };
  for (const auto& [body, where] :
       std::vector<Case>{{"{\"a\":", "line 1"},
                         {"{\n  \"a\": tru }", "line 2"},
                         {"{} {}", "byte 3"},
                         {std::string("{\"a\":\"\xff\xfe\"}"), "line 1"},
                         {std::string(10000, '[') + std::string(10000, ']'), "line 1"},
                         {"1e999999", "too large"},
                         {"[-" + std::string(400, '9') + "]", "too large"},
                         {"", "empty"}}) {
    auto v = ParseJsonBody(JsonRequest(body));
    ASSERT_FALSE(v.ok()) << body.substr(0, 20);
    EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(v.error().message.find(where), std::string::npos) << v.error().message;
  }
}

// Security review finding 8: {"role":"bot_admin","role":"system_admin"} made a system admin.
TEST(JsonBodyTest, DuplicateKeysAreRefusedAtAnyDepth) {
  for (std::string body :
       {R"({"role":"bot_admin","role":"system_admin"})", R"({"a":{"x":1,"y":2,"x":3}})",
        R"([{"k":1},{"k":2,"k":2}])", R"({"a\u0062":1,"ab":2})"}) {
    auto v = ParseJson(body);
    ASSERT_FALSE(v.ok()) << body;
    EXPECT_EQ(v.error().slug, "malformed_json");
    EXPECT_NE(v.error().message.find("appears twice"), std::string::npos) << v.error().message;
  }
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseJson(R"([{"k":1},{"k":2}])").ok());
  EXPECT_TRUE(ParseJson(R"({"a":{"k":1},"b":{"k":1}})").ok());
}

TEST(JsonBodyTest, DepthLimit) {
  std::string ok = std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']');
  EXPECT_TRUE(ParseJson(ok).ok());
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(ParseJson(deep).ok());
}

}  // namespace
}  // namespace studybot::http
