// Outgoing webhooks: management and its access rules, signed deliveries to a real HTTP receiver,
// retries, the private-address guard, secret rotation and the audit trail.
#include <gtest/gtest.h>

#include <atomic>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "loopback_http_server.h"
#include "test_server.h"
#include "webhooks/signature.h"

namespace studybot::testing {
namespace {

const std::string kRoot = "root@example.com";
const std::string kRootPassword = "correct horse battery staple";

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class WebhooksTest : public ::testing::Test {
 protected:
  explicit WebhooksTest(bool allow_private = true)
      : receiver_([this](const ReceivedRequest&) {
          int n = failures_left_.load();
          if (n > 0) {
            failures_left_ = n - 1;
            return Reply{500, "try later", {}};
          }
          return Reply{204, "", {}};
        }),
        server_([allow_private](Config& c) {
          c.admin.email = kRoot;
          c.admin.password = kRootPassword;
          c.outbound.allow_private_addresses = allow_private;
          c.webhooks.retry_base = std::chrono::milliseconds(20);
          c.webhooks.poll_interval = std::chrono::milliseconds(50);
          c.webhooks.max_attempts = 3;
        }),
        api_(server_.port()) {
    root_ = api_.Login(kRoot, kRootPassword);
    auto bot = api_.Post("/api/chatbots", {{"name", "Shop"}}, root_);
    bot_ = std::string(bot.at("id").as_string());
  }

  std::string Hooks() const { return "/api/chatbots/" + bot_ + "/webhooks"; }

  // Polls the webhook's deliveries until the newest is no longer pending (or ~10 s).
  boost::json::object SettledDelivery(const std::string& hook) {
    for (int i = 0; i < 400; ++i) {
      auto r = api_.Get(Hooks() + "/" + hook + "/deliveries", root_);
      const auto& items = r.at("items").as_array();
      if (!items.empty() && items[0].at("status").as_string() != "pending") {
        return items[0].as_object();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "delivery still pending";
    return {};
  }

  std::atomic<int> failures_left_{0};
  LoopbackHttpServer receiver_;
  TestServer server_;
  ApiClient api_;
  std::string root_;
  std::string bot_;
};

TEST_F(WebhooksTest, ManagesWebhooksAndRefusesBadInput) {
  auto created = api_.Post(
      Hooks(), {{"url", "https://hooks.example.com/in"}, {"events", {"api_key.created"}}}, root_);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  std::string id(created.at("id").as_string());
  EXPECT_TRUE(created.at("active").as_bool());
  EXPECT_EQ(created.at("events").as_array().size(), 1u);

  std::vector<boost::json::object> bad_bodies = {
      {{"url", "ftp://files.example.com/x"}},
      {{"url", "not a url at all"}},
      {{"url", "https://user:pw@example.com/x"}},
      {{"url", "https://example.com"}, {"events", boost::json::array{"x"}}},
      {{"url", "https://example.com"}, {"events", boost::json::array{}}},
      {{"url", "https://example.com"}, {"secret", "x"}},
      {{"events", boost::json::array{"*"}}}};
  for (const auto& bad : bad_bodies) {
    auto r = api_.Post(Hooks(), bad, root_);
    EXPECT_EQ(r.status, 400u) << boost::json::serialize(bad) << " " << r.raw.body();
  }
  EXPECT_EQ(api_.Put(Hooks() + "/" + id, boost::json::object{}, root_).status, 400u);

  auto updated = api_.Put(Hooks() + "/" + id, {{"active", false}, {"events", {"*"}}}, root_);
  ASSERT_EQ(updated.status, 200u) << updated.raw.body();
  EXPECT_FALSE(updated.at("active").as_bool());
  EXPECT_EQ(api_.Get(Hooks() + "/" + id, root_).at("events").at(0).as_string(), "*");
  EXPECT_EQ(api_.Get(Hooks(), root_).at("items").as_array().size(), 1u);

  EXPECT_EQ(api_.Delete(Hooks() + "/" + id, root_).status, 204u);
  EXPECT_EQ(api_.Get(Hooks() + "/" + id, root_).status, 404u);
  EXPECT_EQ(api_.Delete(Hooks() + "/" + id, root_).status, 404u);
  EXPECT_EQ(api_.Get("/api/chatbots/nope/webhooks", root_).status, 404u);
  EXPECT_EQ(api_.Get(Hooks()).status, 401u);

  for (const auto& action : {"webhook.create", "webhook.update", "webhook.delete"}) {
    auto audit = api_.Get(std::string("/api/audit-logs?action=") + action, root_);
    ASSERT_EQ(audit.at("items").as_array().size(), 1u) << action;
    EXPECT_EQ(audit.at("items").at(0).at("target_id").as_string(), id);
  }
}

TEST_F(WebhooksTest, BotAdminIsRefusedOnAnotherChatbot) {
  auto mine = api_.Post("/api/chatbots", {{"name", "Mine"}}, root_);
  std::string my_bot(mine.at("id").as_string());
  std::string token = api_.SignInBotAdmin(root_, my_bot);
  EXPECT_EQ(api_.Get(Hooks(), token).status, 403u);
  EXPECT_EQ(api_.Post(Hooks(), {{"url", "https://example.com/h"}}, token).status, 403u);
  EXPECT_EQ(
      api_.Post("/api/chatbots/" + my_bot + "/webhooks", {{"url", "https://example.com/h"}}, token)
          .status,
      201u);
}

TEST_F(WebhooksTest, DeliversSignedEventsForSubscribedChanges) {
  auto created =
      api_.Post(Hooks(), {{"url", receiver_.url("/hook")}, {"events", {"api_key.created"}}}, root_);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  std::string secret(created.at("secret").as_string());
  std::string id(created.at("id").as_string());

  // Not subscribed: no delivery.
  ASSERT_EQ(api_.Put("/api/chatbots/" + bot_, {{"description", "x"}}, root_).status, 200u);
  auto key = api_.Post("/api/chatbots/" + bot_ + "/api-keys",
                       {{"name", "site"}, {"kind", "publishable"}}, root_);
  ASSERT_EQ(key.status, 201u);
  std::string plaintext(key.at("key").as_string());

  auto got = receiver_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  const auto& req = got[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hook");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("studybot-event"), "api_key.created");
  EXPECT_TRUE(
      webhooks::VerifySignature(secret, req.Header("studybot-signature"), req.body, UnixNow()));
  EXPECT_FALSE(webhooks::VerifySignature("whsec_other", req.Header("studybot-signature"), req.body,
                                         UnixNow()));
  auto payload = boost::json::parse(req.body).as_object();
  EXPECT_EQ(payload.at("event").as_string(), "api_key.created");
  EXPECT_EQ(payload.at("chatbot_id").as_string(), bot_);
  EXPECT_EQ(payload.at("id").as_string(), req.Header("studybot-delivery"));
  EXPECT_EQ(payload.at("data").at("prefix").as_string(), key.at("prefix").as_string());
  EXPECT_EQ(req.body.find(plaintext), std::string::npos);  // the key itself never leaves

  auto d = SettledDelivery(id);
  EXPECT_EQ(d.at("status").as_string(), "succeeded");
  EXPECT_EQ(d.at("attempts").as_int64(), 1);
  EXPECT_EQ(d.at("response_status").as_int64(), 204);
}

TEST_F(WebhooksTest, RetriesUntilTheReceiverAcceptsThenGivesUp) {
  auto created = api_.Post(Hooks(), {{"url", receiver_.url("/hook")}}, root_);
  std::string id(created.at("id").as_string());
  failures_left_ = 2;
  auto test = api_.Post(Hooks() + "/" + id + "/test", boost::json::object{}, root_);
  ASSERT_EQ(test.status, 202u) << test.raw.body();
  EXPECT_EQ(test.at("event").as_string(), "webhook.test");
  auto d = SettledDelivery(id);
  EXPECT_EQ(d.at("status").as_string(), "succeeded");
  EXPECT_EQ(d.at("attempts").as_int64(), 3);
  EXPECT_EQ(receiver_.Received().size(), 3u);

  failures_left_ = 100;
  ASSERT_EQ(api_.Post(Hooks() + "/" + id + "/test", boost::json::object{}, root_).status, 202u);
  d = SettledDelivery(id);
  EXPECT_EQ(d.at("status").as_string(), "failed");
  EXPECT_EQ(d.at("attempts").as_int64(), 3);  // max_attempts
  EXPECT_EQ(d.at("response_status").as_int64(), 500);
  EXPECT_NE(d.at("last_error").as_string().find("500"), std::string::npos);
}

TEST_F(WebhooksTest, RotatedSecretSignsFromThenOn) {
  auto created = api_.Post(Hooks(), {{"url", receiver_.url("/hook")}}, root_);
  std::string id(created.at("id").as_string());
  std::string old_secret(created.at("secret").as_string());
  auto rotated = api_.Post(Hooks() + "/" + id + "/rotate-secret", boost::json::object{}, root_);
  ASSERT_EQ(rotated.status, 200u) << rotated.raw.body();
  std::string new_secret(rotated.at("secret").as_string());
  EXPECT_NE(new_secret, old_secret);
  ASSERT_EQ(api_.Post(Hooks() + "/" + id + "/test", boost::json::object{}, root_).status, 202u);
  auto got = receiver_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  auto sig = got[0].Header("studybot-signature");
  EXPECT_TRUE(webhooks::VerifySignature(new_secret, sig, got[0].body, UnixNow()));
  EXPECT_FALSE(webhooks::VerifySignature(old_secret, sig, got[0].body, UnixNow()));
  auto audit = api_.Get("/api/audit-logs?action=webhook.rotate_secret", root_);
  EXPECT_EQ(audit.at("items").as_array().size(), 1u);
  EXPECT_EQ(audit.raw.body().find(new_secret), std::string::npos);
}

class WebhooksGuardTest : public WebhooksTest {
 protected:
  WebhooksGuardTest() : WebhooksTest(/*allow_private=*/false) {}
};

TEST_F(WebhooksGuardTest, PrivateAddressesAreRefusedByDefault) {
  auto created = api_.Post(Hooks(), {{"url", receiver_.url("/hook")}}, root_);
  ASSERT_EQ(created.status, 201u);
  std::string id(created.at("id").as_string());
  ASSERT_EQ(api_.Post(Hooks() + "/" + id + "/test", boost::json::object{}, root_).status, 202u);
  auto d = SettledDelivery(id);
  EXPECT_EQ(d.at("status").as_string(), "failed");
  EXPECT_EQ(d.at("attempts").as_int64(), 1);  // no point retrying
  EXPECT_NE(d.at("last_error").as_string().find("private"), std::string::npos)
      << d.at("last_error");
  EXPECT_TRUE(receiver_.Received().empty());
}

}  // namespace
}  // namespace studybot::testing
