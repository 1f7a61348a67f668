#include "fake_chat_server.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "ai/openai_chat_stream.h"
#include "outbound/curl_stream_client.h"
#include "outbound/http_client.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions options;
  options.addresses.allow_private = true;  // the fake listens on 127.0.0.1
  return options;
}

class FakeChatServerTest : public ::testing::Test {
 protected:
  outbound::HttpResponse Post(const std::string& url, const std::string& body,
                              const std::string& key_header = "") {
    outbound::HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.headers = {{"Content-Type", "application/json"}};
    r.headers.emplace_back("Authorization",
                           key_header.empty() ? "Bearer " + fake_.api_key() : key_header);
    r.body = body;
    r.timeout = 10s;
    auto got = http_.Send(r);
    EXPECT_TRUE(got.ok()) << got.error().message;
    return got.ok() ? *got : outbound::HttpResponse{};
  }
  outbound::HttpResponse Chat(const std::string& body) {
    return Post(fake_.base_url() + "/chat/completions", body);
  }
  static std::string Code(const outbound::HttpResponse& r) {
    return ai::ParseOpenAiApiError(r.body).code;
  }

  FakeChatServer fake_;
  outbound::CurlHttpClient http_{AllowLoopback()};
};

constexpr char kHello[] =
    R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Hello there"}],"temperature":0.2,"max_tokens":100)";

TEST_F(FakeChatServerTest, AnswersAJsonCompletion) {
  auto r = Chat(std::string(kHello) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  auto events = ai::ParseChatCompletionJson(r.body);
  ASSERT_TRUE(events.ok()) << r.body;
  std::string text;
  for (const auto& e : *events) {
    if (e.type == ai::ChatStreamEvent::Type::kDelta) text += e.text;
  }
  EXPECT_EQ(text, "Answer to \"Hello there\" from gpt-4o-mini.");
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].messages,
            (std::vector<FakeChatMessage>{{"system", "Be brief."}, {"user", "Hello there"}}));
  EXPECT_EQ(requests[0].max_tokens, 100);
  EXPECT_EQ(requests[0].max_tokens_field, "max_tokens");
  EXPECT_EQ(requests[0].temperature, 0.2);
}

TEST_F(FakeChatServerTest, StreamsAsOpenAiDoes) {
  auto r = Chat(std::string(kHello) + R"(,"stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream");
  ai::OpenAiChatStreamParser parser;
  std::vector<ai::ChatStreamEvent> events;
  ASSERT_TRUE(parser.Feed(r.body, events).ok());
  ASSERT_TRUE(parser.Finish(events).ok()) << r.body;
  std::string text;
  int deltas = 0;
  for (const auto& e : events) {
    if (e.type == ai::ChatStreamEvent::Type::kDelta) {
      text += e.text;
      ++deltas;
    }
  }
  const std::string expected = "Answer to \"Hello there\" from gpt-4o-mini.";
  EXPECT_EQ(text, expected);
  EXPECT_EQ(deltas, static_cast<int>(FakeChatServer::Deltas(expected, 4).size()));
  const ai::ChatStreamEvent& usage = events.back();
  ASSERT_EQ(usage.type, ai::ChatStreamEvent::Type::kUsage);
  EXPECT_EQ(usage.prompt_tokens,
            FakeChatServer::PromptTokens({{"system", "Be brief."}, {"user", "Hello there"}}));
  EXPECT_EQ(usage.completion_tokens, deltas);
  EXPECT_TRUE(fake_.Requests()[0].include_usage);
}

TEST_F(FakeChatServerTest, SplitsDeltasOnCodePoints) {
  EXPECT_EQ(FakeChatServer::Deltas("caf\xc3\xa9 ok", 4),
            (std::vector<std::string>{"caf\xc3\xa9", " ok"}));
  EXPECT_EQ(FakeChatServer::Deltas("", 4).size(), 0u);
}

TEST_F(FakeChatServerTest, MaxTokensCutsTheAnswer) {
  auto r = Chat(R"({"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],)"
                R"("max_completion_tokens":2})");
  ASSERT_EQ(r.status, 200);
  auto events = ai::ParseChatCompletionJson(r.body);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)[1].text, "Answer t");
  EXPECT_EQ((*events)[2].text, "length");
}

TEST_F(FakeChatServerTest, RefusesWhatTheRealApiRefuses) {
  struct Case {
    std::string body;
    long status;
    std::string code;
  };
  const Case cases[] = {
      {"{not json", 400, ""},
      {R"({"messages":[{"role":"user","content":"x"}]})", 400, ""},
      {R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})", 404, "model_not_found"},
      {R"({"model":"gpt-4o","messages":[]})", 400, "empty_array"},
      {R"({"model":"gpt-4o"})", 400, "missing_required_parameter"},
      {R"({"model":"gpt-4o","messages":[{"role":"wizard","content":"x"}]})", 400, "invalid_value"},
      {R"({"model":"gpt-4o","messages":[{"content":"x"}]})", 400, "missing_required_parameter"},
      {R"({"model":"gpt-4o","messages":[{"role":"user"}]})", 400, "missing_required_parameter"},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"temperature":3})", 400,
       "decimal_above_max_value"},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"max_tokens":0})", 400,
       "integer_below_min_value"},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":"yes"})", 400,
       "invalid_type"},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],)"
       R"("stream_options":{"include_usage":true}})",
       400, ""},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"wat":1})", 400, ""},
  };
  for (const Case& c : cases) {
    auto r = Chat(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(Code(r), c.code) << c.body << " -> " << r.body;
    EXPECT_FALSE(ai::ParseOpenAiApiError(r.body).message.empty()) << r.body;
  }
}

TEST_F(FakeChatServerTest, ChecksTheKeyLikeTheRealApi) {
  auto r = Post(fake_.base_url() + "/chat/completions", std::string(kHello) + "}",
                "Bearer sk-wrong-0000000000000000");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Code(r), "invalid_api_key");
  EXPECT_EQ(r.body.find("sk-wrong-0000000000000000"), std::string::npos);
}

TEST_F(FakeChatServerTest, ServesTheAzurePath) {
  outbound::HttpRequest req;
  req.method = "POST";
  req.url = fake_.endpoint() + "/openai/deployments/chat/chat/completions?api-version=2024-10-21";
  req.headers = {{"Content-Type", "application/json"}, {"api-key", fake_.api_key()}};
  req.body = R"({"messages":[{"role":"user","content":"Hi"}]})";
  auto r = http_.Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("from gpt-4o-mini"), std::string::npos);
  req.headers = {{"Content-Type", "application/json"}, {"api-key", "nope"}};
  r = http_.Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  EXPECT_TRUE(fake_.Requests()[0].azure);
}

TEST_F(FakeChatServerTest, InjectsFaults) {
  const std::string body = std::string(kHello) + R"(,"stream":true})";
  fake_.RateLimitNext(1, "2", "1500");
  auto r = Chat(body);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("retry-after"), "2");
  EXPECT_EQ(r.Header("retry-after-ms"), "1500");
  EXPECT_EQ(Code(r), "rate_limit_exceeded");

  fake_.FailNext(1, 503);
  EXPECT_EQ(Chat(body).status, 503);

  fake_.ContextLengthNext(1);
  r = Chat(body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Code(r), "context_length_exceeded");

  fake_.ErrorEventNext(1, 2);
  r = Chat(body);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"server_error\""), std::string::npos);
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);

  fake_.CutNext(1, 2);
  outbound::HttpRequest req;
  req.method = "POST";
  req.url = fake_.base_url() + "/chat/completions";
  req.headers = {{"Authorization", "Bearer " + fake_.api_key()}};
  req.body = body;
  auto cut = http_.Send(req);
  EXPECT_FALSE(cut.ok());  // the connection closed mid-body

  EXPECT_EQ(Chat(body).status, 200);  // the queue is empty again
}

TEST_F(FakeChatServerTest, ContextWindowIsEnforced) {
  FakeChatOptions o;
  o.context_window = 50;
  FakeChatServer small(o);
  outbound::HttpRequest req;
  req.method = "POST";
  req.url = small.base_url() + "/chat/completions";
  req.headers = {{"Authorization", "Bearer " + small.api_key()}};
  req.body = R"({"model":"gpt-4o","messages":[{"role":"user","content":")" + std::string(400, 'x') +
             R"("}]})";
  auto r = http_.Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Code(*r), "context_length_exceeded");
}

// A handler that cancels after the first piece of the body.
class CancelAfterFirst final : public outbound::StreamHandler {
 public:
  explicit CancelAfterFirst(std::shared_ptr<Cancellation> c) : cancel_(std::move(c)) {}
  bool OnHead(const outbound::HttpResponse&) override { return true; }
  bool OnData(std::string_view) override {
    cancel_->Cancel();
    return true;
  }
  void OnDone(Status) override {}

 private:
  std::shared_ptr<Cancellation> cancel_;
};

TEST(FakeChatServerSlowTest, SeesAClientLeaveMidStream) {
  FakeChatOptions o;
  o.delta_delay = 50ms;
  o.answer = [](const FakeChatRequest&) { return std::string(400, 'a'); };
  FakeChatServer fake(o);
  outbound::CurlStreamClient client(AllowLoopback());
  outbound::StreamRequest r;
  r.http.method = "POST";
  r.http.url = fake.base_url() + "/chat/completions";
  r.http.headers = {{"Authorization", "Bearer " + fake.api_key()}};
  r.http.body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":true})";
  auto cancel = std::make_shared<Cancellation>();
  client.Start(r, std::make_shared<CancelAfterFirst>(cancel), cancel);
  EXPECT_TRUE(fake.WaitForClosedByClient(1));
}

}  // namespace
}  // namespace studybot::testing
