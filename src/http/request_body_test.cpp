#include "http/request_body.h"

#include <gtest/gtest.h>

namespace studybot::http {
namespace {

TEST(RequestBodyTest, QueryParams) {
  EXPECT_EQ(QueryParam("limit=200&cursor=a%20b", "limit"), std::optional<std::string>("200"));
  EXPECT_EQ(QueryParam("limit=200&cursor=a%20b", "cursor"), std::optional<std::string>("a b"));
  EXPECT_EQ(QueryParam("limit=200", "cursor"), std::nullopt);
  EXPECT_EQ(QueryParam("", "cursor"), std::nullopt);
}

TEST(RequestBodyTest, PageParams) {
  auto p = ReadPageParams("limit=200&cursor=abc");
  ASSERT_TRUE(p.ok()) << p.error().details[0].reason;
  EXPECT_EQ(p->limit, 200);
  EXPECT_EQ(p->cursor, "abc");
  EXPECT_EQ(ReadPageParams("")->limit, 50);
  for (const char* bad : {"limit=0", "limit=201", "limit=-1", "limit=abc", "limit=", "limit=1e3"}) {
    EXPECT_FALSE(ReadPageParams(bad).ok()) << bad;
  }
}

TEST(RequestBodyTest, BearerAndCookies) {
  Request r{Method::get, "/", 11};
  r.set(bhttp::field::authorization, "Bearer abc.def");
  r.set(bhttp::field::cookie, "a=1; studybot_refresh=xyz; b=2");
  EXPECT_EQ(BearerToken(r), "abc.def");
  EXPECT_EQ(CookieValue(r, "studybot_refresh"), "xyz");
  EXPECT_EQ(CookieValue(r, "missing"), "");
  r.set(bhttp::field::authorization, "Basic abc");
  EXPECT_EQ(BearerToken(r), "");
}

}  // namespace
}  // namespace studybot::http

namespace studybot::http {
namespace {

TEST(RequestBodyTest, QueryParamStaysInsideItsView) {
  std::string s = "limit=20garbage";
  EXPECT_EQ(QueryParam(std::string_view(s.data(), 8), "limit"), std::optional<std::string>("20"));
  EXPECT_EQ(QueryParam("a=%zz&b=x+y%21", "a"), std::optional<std::string>("%zz"));
  EXPECT_EQ(QueryParam("a=%zz&b=x+y%21", "b"), std::optional<std::string>("x y!"));
  EXPECT_EQ(QueryParam("flag&x=1", "flag"), std::optional<std::string>(""));
  EXPECT_EQ(QueryParam("a=%4", "a"), std::optional<std::string>("%4"));
}

}  // namespace
}  // namespace studybot::http
