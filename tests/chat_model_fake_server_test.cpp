// OpenAiChatModel end to end: through the real CurlStreamClient against FakeChatServer.
#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "ai/openai_chat_model.h"
#include "fake_chat_server.h"
#include "outbound/curl_stream_client.h"
#include "recording_chat_sink.h"

namespace studybot::ai {
namespace {

using namespace std::chrono_literals;
using testing::FakeChatMessage;
using testing::FakeChatOptions;
using testing::FakeChatServer;
using testing::RecordingChatSink;

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions options;
  options.addresses.allow_private = true;  // the fake listens on 127.0.0.1
  return options;
}

class ChatModelFakeServerTest : public ::testing::Test {
 protected:
  explicit ChatModelFakeServerTest(FakeChatOptions fake = {})
      : fake_(std::move(fake)),
        work_(boost::asio::make_work_guard(ioc_)),
        thread_([this] { ioc_.run(); }) {
    options_.base_url = fake_.base_url();
    options_.api_key = fake_.api_key();
    options_.retry_base = 1ms;
    options_.retry_cap = 5ms;
    options_.jitter_seed = 3;
  }
  ~ChatModelFakeServerTest() override {
    work_.reset();
    thread_.join();  // every call has completed: nothing is left to run
  }

  std::unique_ptr<OpenAiChatModel> Model() {
    auto m = MakeOpenAiChatModel(options_, client_, ioc_.get_executor());
    EXPECT_TRUE(m.ok()) << m.error().message;
    return std::move(*m);
  }
  static ChatRequest Request(std::string question = "What is Studybot?") {
    ChatRequest r;
    r.messages = {{"system", "Answer from the sources. [1] Studybot answers visitors."},
                  {"user", std::move(question)}};
    r.max_tokens = 200;
    return r;
  }
  std::shared_ptr<RecordingChatSink> Ask(OpenAiChatModel& model, ChatRequest request = Request()) {
    auto sink = std::make_shared<RecordingChatSink>();
    model.Start(std::move(request), sink, std::make_shared<Cancellation>());
    EXPECT_TRUE(sink->Wait());
    EXPECT_FALSE(sink->broken());
    return sink;
  }
  std::string Expected(const std::string& model = "gpt-4o-mini") {
    return "Answer to \"What is Studybot?\" from " + model + ".";
  }

  FakeChatServer fake_;
  OpenAiChatModelOptions options_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  // Destroyed before the io_context: it ends the exchanges still open, whose last callbacks
  // are then posted to the io_context, not run after it is gone.
  outbound::CurlStreamClient client_{AllowLoopback()};
  std::thread thread_;
};

TEST_F(ChatModelFakeServerTest, StreamsTheAnswerWithUsage) {
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->deltas(), FakeChatServer::Deltas(Expected(), 4));
  const ChatCompletion c = *sink->result();
  EXPECT_EQ(c.text, Expected());
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.model, "gpt-4o-mini");
  EXPECT_FALSE(c.usage.estimated);
  EXPECT_EQ(c.usage.completion_tokens, static_cast<int64_t>(sink->deltas().size()));

  // The prompt the fake received is the one sent.
  const auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  std::vector<FakeChatMessage> sent;
  for (const ChatTurn& t : Request().messages)
    sent.push_back({t.role, t.content});
  EXPECT_EQ(requests[0].messages, sent);
  EXPECT_EQ(c.usage.prompt_tokens, FakeChatServer::PromptTokens(sent));
  EXPECT_TRUE(requests[0].stream);
  EXPECT_TRUE(requests[0].include_usage);
  EXPECT_EQ(requests[0].max_tokens, 200);
  EXPECT_EQ(requests[0].max_tokens_field, "max_tokens");  // a compatible server's base URL
  EXPECT_EQ(requests[0].temperature, 0.2);
}

TEST_F(ChatModelFakeServerTest, NonStreamMode) {
  options_.stream = false;
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->deltas(), std::vector<std::string>{Expected()});
  EXPECT_FALSE(sink->result()->usage.estimated);
  EXPECT_FALSE(fake_.Requests()[0].stream);
}

TEST_F(ChatModelFakeServerTest, AzureUrlAndHeader) {
  options_.provider = OpenAiProvider::kAzure;
  options_.azure_endpoint = fake_.endpoint();
  options_.azure_deployment = "chat";
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->result()->text, Expected());
  const auto r = fake_.Requests()[0];
  EXPECT_TRUE(r.azure);
  EXPECT_EQ(r.target, "/openai/deployments/chat/chat/completions?api-version=2024-10-21");
  EXPECT_EQ(r.Header("api-key"), fake_.api_key());
  EXPECT_EQ(r.Header("authorization"), "");
  EXPECT_EQ(r.max_tokens_field, "max_completion_tokens");
}

TEST_F(ChatModelFakeServerTest, RetriesA429AfterItsRetryAfter) {
  fake_.RateLimitNext(1, "1", "80");  // retry-after-ms wins
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  const auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].status, 429u);
  EXPECT_GE(requests[1].received - requests[0].received, 80ms);
}

TEST_F(ChatModelFakeServerTest, RetriesA500) {
  fake_.FailNext(1, 500);
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(sink->text(), Expected());
  EXPECT_EQ(fake_.Requests().size(), 2u);
}

TEST_F(ChatModelFakeServerTest, RetriesAHeadTimeout) {
  options_.head_timeout = 200ms;
  fake_.HangNext(1);
  auto model = Model();
  auto sink = Ask(*model);
  ASSERT_TRUE(sink->result().ok()) << sink->message();
  EXPECT_EQ(fake_.Requests().size(), 2u);
  EXPECT_TRUE(fake_.WaitForClosedByClient(1));  // the timed-out exchange was closed
}

TEST_F(ChatModelFakeServerTest, AStreamCutAfterDeltasIsNotRetried) {
  fake_.CutNext(1, 3);
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("cut after 3 deltas"), std::string::npos) << sink->message();
  EXPECT_EQ(sink->deltas().size(), 3u);
  EXPECT_EQ(fake_.Requests().size(), 1u);
}

TEST_F(ChatModelFakeServerTest, AnErrorEventMidStream) {
  fake_.ErrorEventNext(1, 2);
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("The server had an error"), std::string::npos);
  EXPECT_EQ(sink->deltas().size(), 2u);
}

TEST_F(ChatModelFakeServerTest, ContextLengthErrorHasItsSlug) {
  fake_.ContextLengthNext(1);
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(sink->result().error().slug, "context_length_exceeded");
  EXPECT_EQ(fake_.Requests().size(), 1u);
}

TEST_F(ChatModelFakeServerTest, BadKeyIsUnauthenticatedAndNotQuoted) {
  options_.api_key = "sk-wrong-key-0123456789abcdef";
  auto model = Model();
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(sink->message().find("sk-wrong"), std::string::npos) << sink->message();
  EXPECT_EQ(sink->message().find("cdef"), std::string::npos) << sink->message();
  EXPECT_NE(sink->message().find("401"), std::string::npos) << sink->message();
}

TEST_F(ChatModelFakeServerTest, UnknownModelIsInvalidArgument) {
  auto model = Model();
  ChatRequest r = Request();
  r.model = "gpt-9";
  auto sink = Ask(*model, r);
  EXPECT_EQ(sink->code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(sink->message().find("model_not_found"), std::string::npos) << sink->message();
}

TEST_F(ChatModelFakeServerTest, CircuitOpensAfterFailuresAndFailsFast) {
  options_.max_attempts = 2;
  options_.breaker.failure_threshold = 4;
  fake_.FailNext(4, 503);
  auto model = Model();
  EXPECT_EQ(Ask(*model)->code(), ErrorCode::kUnavailable);  // 2 failures
  EXPECT_EQ(Ask(*model)->code(), ErrorCode::kUnavailable);  // 4: open
  auto sink = Ask(*model);
  EXPECT_EQ(sink->code(), ErrorCode::kUnavailable);
  EXPECT_NE(sink->message().find("circuit open"), std::string::npos) << sink->message();
  EXPECT_EQ(fake_.Requests().size(), 4u);
}

class SlowChatModelFakeServerTest : public ChatModelFakeServerTest {
 protected:
  static FakeChatOptions Slow() {
    FakeChatOptions o;
    o.delta_delay = 30ms;
    o.answer = [](const testing::FakeChatRequest&) { return std::string(2000, 'z'); };
    return o;
  }
  SlowChatModelFakeServerTest() : ChatModelFakeServerTest(Slow()) {}
};

TEST_F(SlowChatModelFakeServerTest, CancelMidStreamClosesTheConnection) {
  auto model = Model();
  auto cancel = std::make_shared<Cancellation>();
  auto sink = std::make_shared<RecordingChatSink>();
  model->Start(Request(), sink, cancel);
  testing::WaitFor([&] { return sink->deltas().size() >= 2; }, 10s);
  ASSERT_GE(sink->deltas().size(), 2u);
  cancel->Cancel();
  ASSERT_TRUE(sink->Wait());
  EXPECT_EQ(sink->code(), ErrorCode::kCancelled);
  EXPECT_TRUE(fake_.WaitForClosedByClient(1));
  EXPECT_FALSE(sink->broken());
}

TEST_F(SlowChatModelFakeServerTest, ManyConcurrentSlowStreams) {
  auto model = Model();
  std::vector<std::shared_ptr<RecordingChatSink>> sinks;
  for (int i = 0; i < 200; ++i) {
    ChatRequest r = Request("question " + std::to_string(i));
    r.max_tokens = 10;  // ten deltas, 30 ms apart: about 0.3 s each, all at once
    sinks.push_back(std::make_shared<RecordingChatSink>());
    model->Start(std::move(r), sinks.back(), std::make_shared<Cancellation>());
  }
  for (auto& sink : sinks) {
    ASSERT_TRUE(sink->Wait());
    ASSERT_TRUE(sink->result().ok()) << sink->message();
    EXPECT_EQ(sink->result()->finish_reason, "length");
    EXPECT_EQ(sink->deltas().size(), 10u);
  }
  EXPECT_EQ(fake_.Requests().size(), 200u);
}

}  // namespace
}  // namespace studybot::ai
