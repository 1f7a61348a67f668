// The fake's own contract: it must refuse what the real API refuses, in the real shapes, or the
// embedder tests prove nothing.
#include "fake_openai_server.h"

#include <cstring>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "outbound/http_client.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;

class FakeOpenAiServerTest : public ::testing::Test {
 protected:
  outbound::HttpResponse Post(const std::string& path, const std::string& body,
                              const std::string& auth_header = "authorization",
                              std::string auth_value = "") {
    if (auth_value.empty()) {
      auth_value = auth_header == "authorization" ? "Bearer " + FakeOpenAiOptions{}.api_key
                                                  : FakeOpenAiOptions{}.api_key;
    }
    outbound::HttpRequest r;
    r.method = "POST";
    r.url = fake_.endpoint() + path;
    r.headers = {{"Content-Type", "application/json"}};
    if (auth_value != "-") r.headers.emplace_back(auth_header, auth_value);
    r.body = body;
    auto got = http_.Send(r);
    EXPECT_TRUE(got.ok()) << got.error().message;
    return got.ok() ? *got : outbound::HttpResponse{};
  }

  // The error object, checked for the real shape (all four fields present).
  static json::object OpenAiError(const outbound::HttpResponse& r) {
    json::value v = json::parse(r.body);
    json::object e = v.at("error").as_object();
    for (const char* field : {"message", "type", "param", "code"})
      EXPECT_TRUE(e.contains(field)) << field << " in " << r.body;
    return e;
  }

  FakeOpenAiServer fake_;
  outbound::CurlHttpClient http_{outbound::HttpClientOptions{outbound::AddressPolicy{true}}};
};

TEST_F(FakeOpenAiServerTest, AcceptsEveryInputShape) {
  const std::string model = R"("model":"text-embedding-3-small")";
  for (const std::string input :
       {R"("one text")", R"(["a","b"])", R"([1212,318])", R"([[1212,318],[257]])"}) {
    auto r = Post("/v1/embeddings", "{" + model + R"(,"input":)" + input + "}");
    EXPECT_EQ(r.status, 200) << input << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    json::object o = json::parse(r.body).as_object();
    EXPECT_EQ(o.at("object"), "list");
    EXPECT_EQ(o.at("model"), "text-embedding-3-small");
    EXPECT_TRUE(o.at("usage").as_object().contains("prompt_tokens"));
    const json::object& first = o.at("data").as_array().at(0).as_object();
    EXPECT_EQ(first.at("object"), "embedding");
    EXPECT_EQ(first.at("index"), 0);
    EXPECT_EQ(first.at("embedding").as_array().size(), 1536u);
  }
}

TEST_F(FakeOpenAiServerTest, AnswersBase64AndShortenedVectors) {
  auto r =
      Post("/v1/embeddings", R"({"model":"text-embedding-3-large","input":"hi","dimensions":8,)"
                             R"("encoding_format":"base64"})");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string b64(json::parse(r.body).at("data").at(0).at("embedding").as_string());
  // base64 -> base64url, which core/crypto can decode.
  for (char& c : b64)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b64.empty() && b64.back() == '=')
    b64.pop_back();
  auto bytes = Base64UrlDecode(b64);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), 8 * sizeof(float));
  std::vector<float> v(8);
  std::memcpy(v.data(), bytes->data(), bytes->size());
  EXPECT_EQ(v, FakeOpenAiServer::ExpectedVector("hi", 8));
}

TEST_F(FakeOpenAiServerTest, RefusesWhatTheApiRefuses) {
  struct Case {
    const char* body;
    long status;
    const char* message_part;
  };
  const Case cases[] = {
      {"not json", 400, "could not parse the JSON body"},
      {R"({"input":"x"})", 400, "you must provide a model parameter"},
      {R"({"model":"text-embedding-3-small"})", 400, "'input' is a required property"},
      {R"({"model":"text-embedding-3-small","input":""})", 400, "'$.input' is invalid"},
      {R"({"model":"text-embedding-3-small","input":["a",""]})", 400, "'$.input' is invalid"},
      {R"({"model":"text-embedding-3-small","input":["a",1]})", 400, "'$.input' is invalid"},
      {R"({"model":"text-embedding-3-small","input":7})", 400, "'$.input' is invalid"},
      {R"({"model":"text-embedding-3-small","input":[]})", 400, "'$.input' is invalid"},
      {R"({"model":"text-embedding-3-small","input":"x","foo":1})", 400,
       "Unrecognized request argument supplied: foo"},
      {R"({"model":"text-embedding-3-small","input":"x","dimensions":0})", 400,
       "'$.dimensions' is invalid"},
      {R"({"model":"text-embedding-3-small","input":"x","dimensions":2000})", 400,
       "maximum dimensions is 1536"},
      {R"({"model":"text-embedding-ada-002","input":"x","dimensions":100})", 400,
       "does not support specifying dimensions"},
      {R"({"model":"text-embedding-3-small","input":"x","encoding_format":"int8"})", 400,
       "encoding_format"},
      {R"({"model":"gpt-nope","input":"x"})", 404, "does not exist"},
  };
  for (const Case& c : cases) {
    auto r = Post("/v1/embeddings", c.body);
    EXPECT_EQ(r.status, c.status) << c.body;
    json::object e = OpenAiError(r);
    EXPECT_NE(std::string(e.at("message").as_string()).find(c.message_part), std::string::npos)
        << c.body << ": " << r.body;
  }

  std::string many = R"({"model":"text-embedding-3-small","input":[)";
  for (int i = 0; i < 2049; ++i)
    many += std::string(i ? "," : "") + "\"x\"";
  EXPECT_EQ(Post("/v1/embeddings", many + "]}").status, 400);
  auto too_long = Post("/v1/embeddings", R"({"model":"text-embedding-3-small","input":")" +
                                             std::string(8193 * 4, 'a') + "\"}");
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(OpenAiError(too_long).at("code"), "context_length_exceeded");
}

TEST_F(FakeOpenAiServerTest, ChecksTheKey) {
  const std::string body = R"({"model":"text-embedding-3-small","input":"x"})";
  auto missing = Post("/v1/embeddings", body, "authorization", "-");
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(OpenAiError(missing).at("code").is_null());
  auto wrong = Post("/v1/embeddings", body, "authorization", "Bearer sk-wrong-0000000000-abcd");
  EXPECT_EQ(wrong.status, 401);
  json::object e = OpenAiError(wrong);
  EXPECT_EQ(e.at("code"), "invalid_api_key");
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_NE(std::string(e.at("message").as_string()).find("sk-*"), std::string::npos);

  auto azure = Post("/openai/deployments/embed/embeddings?api-version=2024-10-21",
                    R"({"input":"x"})", "api-key", "wrong");
  EXPECT_EQ(azure.status, 401);
  EXPECT_EQ(json::parse(azure.body).at("error").at("code"), "401");
}

TEST_F(FakeOpenAiServerTest, RoutesLikeTheRealServices) {
  EXPECT_EQ(Post("/v1/embeddingz", "{}").status, 404);
  EXPECT_EQ(Post("/openai/deployments/embed/embeddings", R"({"input":"x"})", "api-key").status,
            404);  // no api-version
  EXPECT_EQ(
      Post("/openai/deployments/other/embeddings?api-version=1", R"({"input":"x"})", "api-key")
          .status,
      404);
  EXPECT_EQ(
      Post("/openai/deployments/embed/embeddings?api-version=1", R"({"input":"x"})", "api-key")
          .status,
      200);
}

TEST_F(FakeOpenAiServerTest, InjectsFaults) {
  const std::string body = R"({"model":"text-embedding-3-small","input":"x"})";
  fake_.RateLimitNext(1, "2", "1500");
  fake_.FailNext(1, 503);
  auto limited = Post("/v1/embeddings", body);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("retry-after"), "2");
  EXPECT_EQ(limited.Header("retry-after-ms"), "1500");
  EXPECT_EQ(limited.Header("x-ratelimit-remaining-requests"), "0");
  EXPECT_EQ(OpenAiError(limited).at("code"), "rate_limit_exceeded");
  auto down = Post("/v1/embeddings", body);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(OpenAiError(down).at("type"), "server_error");
  EXPECT_EQ(Post("/v1/embeddings", body).status, 200);
  auto calls = fake_.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].status, 429u);
  EXPECT_EQ(calls[2].inputs, 1u);
}

}  // namespace
}  // namespace studybot::testing
