#include "http/router.h"

#include <gtest/gtest.h>

namespace studybot::http {
namespace {

Handler Noop() {
  return [](RequestContext&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

TEST(RouterTest, MatchesLiteralsParamsAndMethods) {
  Router r;
  r.Add(Method::get, "/api/chatbots", Noop());
  r.Add(Method::post, "/api/chatbots", Noop());
  r.Add(Method::get, "/api/chatbots/:id", Noop());
  r.Add(Method::get, "/api/chatbots/:id/config", Noop());
  r.Add(Method::get, "/api/chatbots/stats", Noop());

  auto m = r.Find(Method::get, "/api/chatbots/abc%20d/config");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/chatbots/:id/config");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].second, "abc d");

  m = r.Find(Method::get, "/api/chatbots/stats");
  EXPECT_EQ(m.pattern, "/api/chatbots/stats");  // literal beats parameter

  m = r.Find(Method::head, "/api/chatbots");
  EXPECT_NE(m.handler, nullptr);  // HEAD served by GET

  m = r.Find(Method::delete_, "/api/chatbots");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.pattern, "/api/chatbots");
  EXPECT_EQ(Router::AllowHeader(m.allowed), "GET, POST, HEAD, OPTIONS");

  m = r.Find(Method::get, "/api/nothing");
  EXPECT_TRUE(m.pattern.empty());
  m = r.Find(Method::get, "/api/chatbots/%zz");
  EXPECT_TRUE(m.pattern.empty());  // bad escape is not a match
}

TEST(RouterTest, DuplicateRoutesAreRefused) {
  Router r;
  r.Add(Method::get, "/x", Noop());
  EXPECT_THROW(r.Add(Method::get, "/x", Noop()), std::invalid_argument);
}

}  // namespace
}  // namespace studybot::http
