#include "http/sse.h"

#include <gtest/gtest.h>

namespace studybot::http {
namespace {

TEST(SseTest, Events) {
  EXPECT_EQ(SseEvent("delta", "{\"text\":\"hi\"}"), "event: delta\ndata: {\"text\":\"hi\"}\n\n");
  EXPECT_EQ(SseEvent("x", "a\nb\r\nc\rd"), "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(SseEvent("x", ""), "event: x\ndata: \n\n");
  EXPECT_EQ(SseComment("heartbeat"), ": heartbeat\n\n");
}

TEST(SseTest, AcceptsEventStream) {
  auto with = [](std::string accept) {
    Request r;
    if (!accept.empty()) r.set(bhttp::field::accept, accept);
    return AcceptsEventStream(r);
  };
  EXPECT_TRUE(with("text/event-stream"));
  EXPECT_TRUE(with("application/json, TEXT/EVENT-STREAM;q=0.5"));
  EXPECT_FALSE(with("text/event-stream;q=0"));
  EXPECT_FALSE(with("text/event-stream; q=0.0"));
  EXPECT_FALSE(with("application/json"));
  EXPECT_FALSE(with(""));
  EXPECT_FALSE(with("*/*"));
}

TEST(SseTest, Head) {
  auto h = SseHead();
  EXPECT_EQ(h.result(), Status::ok);
  EXPECT_EQ(h[bhttp::field::content_type], "text/event-stream; charset=utf-8");
  EXPECT_EQ(h["X-Accel-Buffering"], "no");
}

}  // namespace
}  // namespace studybot::http
