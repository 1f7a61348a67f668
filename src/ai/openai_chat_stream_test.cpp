#include "ai/openai_chat_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace studybot::ai {
namespace {

using Type = ChatStreamEvent::Type;

// A stream as OpenAI sends it (one chunk per event), with what other servers add: a comment
// keep-alive (llama.cpp, proxies), CRLF line ends, an event split over two data lines, multi-byte
// UTF-8 in the content, a usage-only last chunk.
const std::string kRecorded =
    ": keep-alive\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
    "\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"Caf\xc3\xa9 \"},\"finish_reason\":null}]}\r\n\r\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\r\n"
    "data: \"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
    "\"\xf0\x9f\x99\x82 ok\"},\"finish_reason\":null}]}\r\n\r\n"
    "data:{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
    "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
    "\"completion_tokens\":4,\"total_tokens\":16}}\n\n"
    "data: [DONE]\n\n";

// Events as one readable line each.
std::string Describe(const std::vector<ChatStreamEvent>& events) {
  std::string out;
  for (const ChatStreamEvent& e : events) {
    switch (e.type) {
      case Type::kDelta:
        out += "delta:" + e.text;
        break;
      case Type::kFinishReason:
        out += "finish:" + e.text;
        break;
      case Type::kUsage:
        out +=
            "usage:" + std::to_string(e.prompt_tokens) + "/" + std::to_string(e.completion_tokens);
        break;
      case Type::kModel:
        out += "model:" + e.text;
        break;
      case Type::kError:
        out += "error:" + e.error.code + "/" + e.error.message;
        break;
    }
    out += "\n";
  }
  return out;
}

struct Outcome {
  std::string events;
  bool ok = true;
  std::string error;
};

// Feeds `pieces` in order, then finishes.
Outcome Parse(const std::vector<std::string>& pieces) {
  OpenAiChatStreamParser parser;
  std::vector<ChatStreamEvent> events;
  Outcome out;
  for (const std::string& p : pieces) {
    Status s = parser.Feed(p, events);
    if (!s.ok()) {
      out.ok = false;
      out.error = s.error().message;
      out.events = Describe(events);
      return out;
    }
  }
  Status s = parser.Finish(events);
  out.ok = s.ok();
  if (!s.ok()) out.error = s.error().message;
  out.events = Describe(events);
  return out;
}

TEST(OpenAiChatStreamTest, ReadsARecordedStream) {
  const Outcome got = Parse({kRecorded});
  ASSERT_TRUE(got.ok) << got.error;
  EXPECT_EQ(got.events,
            "model:gpt-4o-mini-2024-07-18\n"
            "delta:Caf\xc3\xa9 \n"
            "delta:\xf0\x9f\x99\x82 ok\n"
            "finish:stop\n"
            "usage:12/4\n");
}

TEST(OpenAiChatStreamTest, EverySplitOffsetGivesTheSameEvents) {
  const Outcome whole = Parse({kRecorded});
  for (std::size_t i = 0; i <= kRecorded.size(); ++i) {
    const Outcome split = Parse({kRecorded.substr(0, i), kRecorded.substr(i)});
    EXPECT_TRUE(split.ok) << "split at " << i << ": " << split.error;
    EXPECT_EQ(split.events, whole.events) << "split at " << i;
  }
  std::vector<std::string> bytes;
  for (char c : kRecorded)
    bytes.emplace_back(1, c);
  EXPECT_EQ(Parse(bytes).events, whole.events);
}

TEST(OpenAiChatStreamTest, CrAloneEndsALine) {
  std::string cr;
  for (std::size_t i = 0; i < kRecorded.size(); ++i) {
    if (kRecorded[i] == '\r' && i + 1 < kRecorded.size() && kRecorded[i + 1] == '\n') continue;
    cr += kRecorded[i] == '\n' ? '\r' : kRecorded[i];
  }
  ASSERT_EQ(cr.find('\n'), std::string::npos);
  EXPECT_EQ(Parse({cr}).events, Parse({kRecorded}).events);
}

TEST(OpenAiChatStreamTest, DoneEndsTheStreamAndLaterDataIsIgnored) {
  const Outcome got =
      Parse({"data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"});
  EXPECT_TRUE(got.ok) << got.error;
  EXPECT_EQ(got.events, "");
  OpenAiChatStreamParser parser;
  std::vector<ChatStreamEvent> events;
  ASSERT_TRUE(parser.Feed("data: [DONE]\n\n", events).ok());
  EXPECT_TRUE(parser.done());
}

TEST(OpenAiChatStreamTest, MissingDoneAtTheEndIsAnError) {
  const std::string cut = kRecorded.substr(0, kRecorded.find("data: [DONE]"));
  const Outcome got = Parse({cut});
  EXPECT_FALSE(got.ok);
  EXPECT_NE(got.error.find("ended before [DONE]"), std::string::npos) << got.error;
  // What came before is still reported.
  EXPECT_NE(got.events.find("usage:12/4"), std::string::npos);
}

TEST(OpenAiChatStreamTest, ALastEventWithoutItsBlankLineIsDispatched) {
  const Outcome got =
      Parse({"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]"});
  EXPECT_TRUE(got.ok) << got.error;
  EXPECT_EQ(got.events, "delta:hi\n");
}

TEST(OpenAiChatStreamTest, ReportsAnErrorSentMidStream) {
  // OpenAI's shape, then vLLM's flat one.
  Outcome got =
      Parse({"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
             "data: {\"error\":{\"message\":\"The server had an error\",\"type\":"
             "\"server_error\",\"param\":null,\"code\":null}}\n\n"});
  EXPECT_FALSE(got.ok);  // no [DONE] either
  EXPECT_EQ(got.events, "delta:Hel\nerror:/The server had an error\n");
  got =
      Parse({"data: {\"object\":\"error\",\"message\":\"boom\",\"type\":\"InternalServerError\","
             "\"param\":null,\"code\":500}\n\ndata: [DONE]\n\n"});
  EXPECT_TRUE(got.ok);
  EXPECT_EQ(got.events, "error:500/boom\n");
}

TEST(OpenAiChatStreamTest, RefusesGarbage) {
  const char* cases[] = {
      "data: {not json\n\n",
      "data: [1, 2]\n\n",
      "data: {\"choices\": {}}\n\n",
      "data: {\"choices\":[{\"delta\":{\"content\":42}}]}\n\n",
  };
  for (const char* c : cases) {
    OpenAiChatStreamParser parser;
    std::vector<ChatStreamEvent> events;
    Status s = parser.Feed(c, events);
    ASSERT_FALSE(s.ok()) << c;
    EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
    // A failed parser stays failed.
    EXPECT_FALSE(parser.Feed("data: [DONE]\n\n", events).ok());
    EXPECT_FALSE(parser.Finish(events).ok());
  }
}

TEST(OpenAiChatStreamTest, BoundsItsBuffering) {
  OpenAiChatStreamParser parser(1024);
  std::vector<ChatStreamEvent> events;
  EXPECT_TRUE(parser.Feed(std::string(1000, 'x'), events).ok());
  Status s = parser.Feed(std::string(100, 'x'), events);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("too long"), std::string::npos);
  // Many data lines of one event count together.
  OpenAiChatStreamParser lines(1024);
  std::string many;
  for (int i = 0; i < 20; ++i)
    many += "data: " + std::string(100, 'y') + "\n";
  EXPECT_FALSE(lines.Feed(many, events).ok());
}

TEST(OpenAiChatStreamTest, ParsesAWholeCompletion) {
  auto got = ParseChatCompletionJson(
      R"({"id":"chatcmpl-2","object":"chat.completion","created":1,"model":"llama3",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour"},)"
      R"("logprobs":null,"finish_reason":"length"}],)"
      R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(Describe(*got), "model:llama3\ndelta:Bonjour\nfinish:length\nusage:5/1\n");
  EXPECT_FALSE(ParseChatCompletionJson(R"({"choices":[]})").ok());
  EXPECT_FALSE(ParseChatCompletionJson("<html>").ok());
}

TEST(OpenAiChatStreamTest, TellsContextLengthErrors) {
  struct Case {
    OpenAiApiError error;
    bool context;
  };
  const Case cases[] = {
      {{"This model's maximum context length is 128000 tokens. However, your messages resulted "
        "in 130000 tokens. Please reduce the length of the messages.",
        "invalid_request_error", "context_length_exceeded", "messages"},
       true},
      // vLLM
      {{"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
        "(4500 in the messages, 500 in the completion). Please reduce the length of the messages "
        "or completion.",
        "BadRequestError", "400", ""},
       true},
      // llama.cpp server
      {{"request (5000 tokens) exceeds the available context size (4096 tokens), try increasing "
        "it",
        "exceed_context_size_error", "400", ""},
       true},
      // Ollama
      {{"prompt too long; exceeded max context length by 12 tokens", "api_error", "", ""}, true},
      {{"The model `gpt-9` does not exist or you do not have access to it.",
        "invalid_request_error", "model_not_found", ""},
       false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(IsContextLengthError(c.error), c.context) << c.error.message;
}

}  // namespace
}  // namespace studybot::ai
