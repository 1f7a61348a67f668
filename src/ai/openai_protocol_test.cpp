#include "ai/openai_protocol.h"

#include <gtest/gtest.h>

namespace studybot::ai {
namespace {

TEST(OpenAiProtocolTest, ParsesTheErrorShapesOfCompatibleServers) {
  struct Case {
    const char* body;
    const char* message;
    const char* type;
    const char* code;
  };
  const Case cases[] = {
      // OpenAI (and Ollama)
      {R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":"x"}})",
       "bad", "invalid_request_error", "x"},
      // Azure
      {R"({"error":{"code":"401","message":"Access denied"}})", "Access denied", "", "401"},
      // vLLM
      {R"({"object":"error","message":"too long","type":"BadRequestError","code":400})", "too long",
       "BadRequestError", "400"},
      // TEI
      {R"({"error":"Input validation error","error_type":"Validation"})", "Input validation error",
       "Validation", ""},
      {"<html>Bad Gateway</html>", "", "", ""},
      {"[]", "", "", ""},
  };
  for (const Case& c : cases) {
    OpenAiApiError e = ParseOpenAiApiError(c.body);
    EXPECT_EQ(e.message, c.message) << c.body;
    EXPECT_EQ(e.type, c.type) << c.body;
    EXPECT_EQ(e.code, c.code) << c.body;
  }
}

TEST(OpenAiProtocolTest, QuotesProviderTextSafely) {
  EXPECT_EQ(QuoteProviderText("  key sk-123 leaked, sk-123 again ", "sk-123"),
            "key [redacted] leaked, [redacted] again");
  EXPECT_EQ(QuoteProviderText(std::string(1000, 'a'), "", 10), "aaaaaaa...");
  EXPECT_EQ(QuoteProviderText("caf\xc3\xa9", "", 4), "c...");
}

TEST(OpenAiProtocolTest, MapsStatuses) {
  const std::string body =
      R"({"error":{"message":"Incorrect API key provided: sk-secret","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
  Error e = OpenAiStatusError("openai embeddings", 401, body, "sk-secret", 1, 1);
  EXPECT_EQ(e.code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(e.message,
            "openai embeddings: the API key was refused (401; invalid_api_key; "
            "invalid_request_error)");

  e = OpenAiStatusError("x", 400, R"({"error":{"message":"bad input sk-secret"}})", "sk-secret", 1,
                        1);
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "x: the provider refused the request (400): bad input [redacted]");

  e = OpenAiStatusError("x", 429, "", "", 3, 7);
  EXPECT_EQ(e.code, ErrorCode::kRateLimited);
  EXPECT_EQ(e.retry_after_seconds, 7);
  EXPECT_EQ(OpenAiStatusError("x", 503, "", "", 2, 1).code, ErrorCode::kUnavailable);
  EXPECT_EQ(OpenAiStatusError("x", 302, "", "", 1, 1).code, ErrorCode::kUnavailable);
  EXPECT_EQ(OpenAiStatusError("x", 404, "", "", 1, 1).code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(IsRetryableStatus(408));
  EXPECT_TRUE(IsRetryableStatus(429));
  EXPECT_TRUE(IsRetryableStatus(502));
  EXPECT_FALSE(IsRetryableStatus(400));
  EXPECT_FALSE(IsRetryableStatus(401));
}

TEST(OpenAiProtocolTest, ChecksBaseUrls) {
  EXPECT_EQ(CheckBaseUrl("https://api.openai.com/v1/", "base_url").value(),
            "https://api.openai.com/v1");
  EXPECT_EQ(CheckBaseUrl("http://127.0.0.1:11434/v1", "base_url").value(),
            "http://127.0.0.1:11434/v1");
  for (const char* bad : {"", "api.openai.com/v1", "file:///etc/passwd", "https:///v1",
                          "https://u:p@host/v1", "https://host/v1?x=1", "https://host/v1#f"}) {
    auto got = CheckBaseUrl(bad, "base_url");
    ASSERT_FALSE(got.ok()) << bad;
    EXPECT_NE(got.error().message.find("base_url"), std::string::npos);
  }
}

}  // namespace
}  // namespace studybot::ai
