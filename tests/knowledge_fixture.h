// The fixture of the knowledge suites (knowledge_test.cpp, knowledge_settings_test.cpp): a real
// server on SQLite or on MariaDB with the built-in index, or on SQLite with its index in the fake
// Qdrant ("qdrant"), a system admin signed in, and a chatbot on the built-in hashing embedder.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "fake_qdrant_server.h"
#include "loopback_listener.h"
#include "mariadb_server.h"
#include "test_server.h"

namespace studybot::testing {

namespace bhttp = boost::beast::http;
using bhttp::verb;

inline const std::string kRoot = "root@example.com";
inline const std::string kPassword = "correct horse battery";

inline void Knowledge(Config& c) {
  c.admin.email = kRoot;
  c.admin.password = kPassword;
  c.ratelimit.per_user = "1000000/1m";
  c.knowledge.job_poll_interval = std::chrono::milliseconds(50);
  c.knowledge.index_poll_interval = std::chrono::milliseconds(50);
  c.outbound.allow_private_addresses = true;              // the fake OpenAI server is on loopback
  c.chat.retry_base = std::chrono::milliseconds(10);      // retries of a failing fake chat model
  c.chat.head_timeout = std::chrono::milliseconds(1000);  // a fake that never answers
  c.chat.heartbeat_interval = std::chrono::milliseconds(50);
}

inline const char* kGuide = R"(# Campus guide

## Library
The library opens at 8 am and closes at midnight during exam weeks. Students borrow up to
twelve books with their card.

## Cafeteria
The cafeteria serves vegetarian lunches every weekday, and breakfast from 7:30.

## Parking
Bicycles are parked in the covered shed behind the gym; cars need a permit from the front desk.
)";

// Sends POST /api/chat/message as the widget asking for a streamed answer, on a raw connection
// (to read the event stream whole, or to leave in the middle of it). `by_accept`: ask with the
// Accept header instead of "stream": true.
inline void SendChatStream(RawClient& client, const std::string& bot, const std::string& key,
                           const std::string& origin, const std::string& message,
                           bool by_accept = false) {
  boost::json::object o{{"chatbot_id", bot}, {"message", message}};
  if (!by_accept) o["stream"] = true;
  std::string body = boost::json::serialize(o);
  client.Send(std::string("POST /api/chat/message HTTP/1.1\r\nHost: x\r\n") +
              "Content-Type: application/json\r\n" +
              (by_accept ? "Accept: text/event-stream\r\n" : "") + "X-Api-Key: " + key +
              "\r\nOrigin: " + origin + "\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n" + body);
}

// Every case runs on SQLite and on MariaDB (the real server the harness starts), and, where
// instantiated with "qdrant", with the index in Qdrant.
class KnowledgeFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url;
    if (GetParam() == "mariadb") {
      auto server = testutil::SharedMariadbServer();
      if (!server.ok()) {
        if (testutil::SkipMysqlTests()) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_MYSQL=1";
        FAIL() << server.error().message;
      }
      static int n = 0;
      auto fresh = (*server)->FreshDatabase("knowledge_" + std::to_string(++n));
      ASSERT_TRUE(fresh.ok()) << fresh.error().message;
      url = *fresh;
    }
    if (GetParam() == "qdrant") qdrant_ = std::make_unique<FakeQdrantServer>();
    std::cerr << "[knowledge] running against " << GetParam() << "\n";
    server_ = std::make_unique<TestServer>([&](Config& c) {
      Knowledge(c);
      if (!url.empty()) c.database.url = url;
      if (qdrant_) c.qdrant.url = qdrant_->base_url();
    });
    api_ = std::make_unique<ApiClient>(server_->port());
    root_ = api_->Login(kRoot, kPassword);
    // The hashing embedder: dense search works from the first chunk (the learned one needs
    // enough content to learn from; see knowledge_settings_test.cpp).
    bot_ = std::string(
        api_->Post("/api/chatbots",
                   {{"name", "Campus"},
                    {"knowledge", {{"embedder", {{"provider", "builtin"}, {"model", "hashing"}}}}}},
                   root_)
            .at("id")
            .as_string());
    WaitUntil([&] { return ActiveEmbedder() == "hashing-v1/384"; });
  }

  // The chatbot's active embedder ("" for none).
  std::string ActiveEmbedder() {
    auto r = api_->Get("/api/chatbots/" + bot_, root_);
    if (r.status != 200u) return "";
    const auto& e = r.at("knowledge_status").at("embedder");
    return e.is_string() ? std::string(e.as_string()) : "";
  }

  std::string Docs() const { return "/api/chatbots/" + bot_ + "/documents"; }

  // The chunks the index holds for the chatbot (with Qdrant: every point of the collections it
  // may use, the suites having one chatbot with chunks).
  std::size_t IndexSize() {
    if (!qdrant_) return server_->app().knowledge().builtin->Size(bot_);
    std::size_t n = 0;
    for (const char* c : {"studybot_d384", "studybot_d160"})
      n += qdrant_->PointCount(c);
    return n;
  }

  // Uploads and waits until the document is ready (or failed); returns its JSON.
  boost::json::object Upload(const boost::json::object& body) {
    auto r = api_->Post(Docs(), body, root_);
    EXPECT_EQ(r.status, 202u) << r.raw.body();
    if (r.status != 202u) return {};
    EXPECT_EQ(r.at("status").as_string(), "queued");
    return WaitSettled(std::string(r.at("id").as_string()));
  }

  boost::json::object WaitSettled(const std::string& id) {
    boost::json::object doc;
    WaitUntil([&] {
      auto g = api_->Get(Docs() + "/" + id, root_);
      if (g.status != 200u) return false;
      doc = g.json.as_object();
      return doc.at("status") == "ready" || doc.at("status") == "failed";
    });
    return doc;
  }

  boost::json::array Search(const std::string& query, const std::string& mode = "hybrid",
                            boost::json::object extra = {}) {
    extra["query"] = query;
    extra["mode"] = mode;
    auto r = api_->Post("/api/chatbots/" + bot_ + "/search", extra, root_);
    EXPECT_EQ(r.status, 200u) << r.raw.body();
    if (r.status != 200u) return {};
    return r.at("results").as_array();
  }

  // Waits until the local index has caught up with `query` finding (or not) `document_id`.
  // Keyword mode: dense search always has nearest neighbours, relevant or not.
  bool EventuallyFinds(const std::string& query, const std::string& document_id, bool wanted) {
    bool found = false;
    WaitUntil([&] {
      found = false;
      for (const auto& hit : Search(query, "keyword"))
        found = found || hit.at("document_id").as_string() == document_id;
      return found == wanted;
    });
    return found;
  }

  std::unique_ptr<FakeQdrantServer> qdrant_;  // before the server, which talks to it
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<ApiClient> api_;
  std::string root_;
  std::string bot_;
};

}  // namespace studybot::testing
