// Admin authentication end to end: login, lockout, refresh rotation and reuse, logout, sessions,
// password change and reset, with the audit rows each writes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "api_client.h"
#include "core/crypto.h"
#include "fake_smtp_server.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using boost::beast::http::verb;

const std::string kAdminEmail = "root@example.com";
const std::string kAdminPassword = "correct horse battery staple";

void WithAdmin(Config& c) {
  c.admin.email = kAdminEmail;
  c.admin.password = kAdminPassword;
}

std::vector<std::string> AuditActions(ApiClient& api, const std::string& token,
                                      const std::string& query = "?limit=200") {
  auto r = api.Get("/api/audit-logs" + query, token);
  EXPECT_EQ(r.status, 200u) << r.raw.body();
  std::vector<std::string> out;
  for (const auto& item : r.at("items").as_array()) {
    out.emplace_back(item.at("action").as_string());
  }
  return out;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(AuthTest, LoginMeAndBadCredentials) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  auto r =
      api.Post("/api/auth/login", {{"email", "ROOT@example.com "}, {"password", kAdminPassword}});
  ASSERT_EQ(r.status, 200u) << r.raw.body();
  EXPECT_EQ(r.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(r.at("expires_in").as_int64(), 900);
  EXPECT_FALSE(r.at("refresh_token").as_string().empty());
  EXPECT_EQ(r.at("user").at("role").as_string(), "system_admin");
  EXPECT_FALSE(r.at("user").as_object().contains("password_hash"));
  std::string token(r.at("access_token").as_string());

  auto me = api.Get("/api/auth/me", token);
  ASSERT_EQ(me.status, 200u);
  EXPECT_EQ(me.at("email").as_string(), kAdminEmail);

  EXPECT_EQ(api.Get("/api/auth/me").status, 401u);
  EXPECT_EQ(api.Get("/api/auth/me", "garbage").status, 401u);
  EXPECT_EQ(api.Get("/api/auth/me", token + "x").status, 401u);

  auto wrong =
      api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", "nope nope nope"}});
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.ErrorCode(), "invalid_credentials");
  auto unknown =
      api.Post("/api/auth/login", {{"email", "nobody@example.com"}, {"password", "nope nope"}});
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(unknown.at("error").at("message"), wrong.at("error").at("message"));

  auto actions = AuditActions(api, token);
  EXPECT_TRUE(Contains(actions, "auth.login"));
  EXPECT_TRUE(Contains(actions, "auth.login_failed"));
}

TEST(AuthTest, ValidationRefusesUnknownAndMissingFields) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  auto r = api.Post("/api/auth/login", {{"email", kAdminEmail}, {"pasword", "x"}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.ErrorCode(), "validation_failed");
  std::set<std::string> paths;
  for (const auto& d : r.at("error").at("details").as_array()) {
    paths.emplace(d.at("path").as_string());
  }
  EXPECT_TRUE(paths.count("/pasword")) << r.raw.body();
  auto not_json =
      api.Call(verb::post, "/api/auth/login", nullptr, {}, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(not_json.status, 415u);
}

TEST(AuthTest, LockoutAfterRepeatedFailures) {
  TestServer server([](Config& c) {
    WithAdmin(c);
    c.auth.lockout_threshold = 5;
  });
  ApiClient api(server.port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", "wrong wrong"}}).status,
        401u);
  }
  auto locked = api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}});
  EXPECT_EQ(locked.status, 429u);
  EXPECT_EQ(locked.ErrorCode(), "login_locked");
  int retry = std::stoi(std::string(locked.raw["Retry-After"]));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 15 * 60 + 1);
  // The same client IP is locked out for other accounts too.
  auto other = api.Post("/api/auth/login", {{"email", "x@example.com"}, {"password", "whatever1"}});
  EXPECT_EQ(other.status, 429u);
}

TEST(AuthTest, RefreshRotatesAndReuseRevokesTheSession) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  auto login = api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}});
  ASSERT_EQ(login.status, 200u);
  std::string access(login.at("access_token").as_string());
  std::string r1(login.at("refresh_token").as_string());

  auto rotated = api.Post("/api/auth/refresh", {{"refresh_token", r1}});
  ASSERT_EQ(rotated.status, 200u) << rotated.raw.body();
  std::string r2(rotated.at("refresh_token").as_string());
  std::string access2(rotated.at("access_token").as_string());
  EXPECT_NE(r1, r2);
  EXPECT_EQ(api.Get("/api/auth/me", access2).status, 200u);

  // Replaying the first refresh token: refused, and the whole session dies.
  auto replay = api.Post("/api/auth/refresh", {{"refresh_token", r1}});
  EXPECT_EQ(replay.status, 401u);
  EXPECT_EQ(replay.ErrorCode(), "refresh_token_reused");
  EXPECT_EQ(api.Post("/api/auth/refresh", {{"refresh_token", r2}}).status, 401u);
  EXPECT_EQ(api.Get("/api/auth/me", access2).status, 401u);
  EXPECT_EQ(api.Get("/api/auth/me", access).status, 401u);

  std::string admin = api.Login(kAdminEmail, kAdminPassword);
  EXPECT_TRUE(Contains(AuditActions(api, admin), "auth.refresh_reuse"));
  EXPECT_EQ(api.Post("/api/auth/refresh", {{"refresh_token", "made-up"}}).status, 401u);
  EXPECT_EQ(api.Post("/api/auth/refresh", boost::json::object{}).status, 401u);
}

TEST(AuthTest, RefreshTokenInCookie) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  auto login = api.Post(
      "/api/auth/login",
      {{"email", kAdminEmail}, {"password", kAdminPassword}, {"refresh_token_in_cookie", true}});
  ASSERT_EQ(login.status, 200u);
  EXPECT_FALSE(login.json.as_object().contains("refresh_token"));
  std::string cookie(login.raw["Set-Cookie"]);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string pair = cookie.substr(0, cookie.find(';'));
  auto refreshed = api.Call(verb::post, "/api/auth/refresh", nullptr, {}, {{"Cookie", pair}});
  ASSERT_EQ(refreshed.status, 200u) << refreshed.raw.body();
  EXPECT_NE(std::string(refreshed.raw["Set-Cookie"]).find("studybot_refresh="), std::string::npos);
}

TEST(AuthTest, LogoutKillsTheAccessTokenAtOnce) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  std::string token = api.Login(kAdminEmail, kAdminPassword);
  std::string other = api.Login(kAdminEmail, kAdminPassword);
  ASSERT_EQ(api.Get("/api/auth/me", token).status, 200u);  // now cached as live
  EXPECT_EQ(api.Post("/api/auth/logout", nullptr, token).status, 204u);
  auto after = api.Get("/api/auth/me", token);
  EXPECT_EQ(after.status, 401u);
  EXPECT_EQ(after.ErrorCode(), "session_revoked");
  EXPECT_EQ(api.Get("/api/auth/me", other).status, 200u);  // other sessions live on
  EXPECT_TRUE(Contains(AuditActions(api, other), "auth.logout"));
}

TEST(AuthTest, SessionsListAndRevoke) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  std::string a = api.Login(kAdminEmail, kAdminPassword);
  std::string b = api.Login(kAdminEmail, kAdminPassword);
  auto list = api.Get("/api/auth/sessions", a);
  ASSERT_EQ(list.status, 200u);
  const auto& items = list.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  std::string other_id;
  for (const auto& s : items) {
    EXPECT_EQ(s.at("ip").as_string(), "127.0.0.1");
    if (!s.at("current").as_bool()) other_id = s.at("id").as_string();
  }
  ASSERT_FALSE(other_id.empty());
  EXPECT_EQ(api.Delete("/api/auth/sessions/" + other_id, a).status, 204u);
  EXPECT_EQ(api.Get("/api/auth/me", b).status, 401u);
  EXPECT_EQ(api.Delete("/api/auth/sessions/" + other_id, a).status, 404u);
  EXPECT_EQ(api.Delete("/api/auth/sessions/not-a-session", a).status, 404u);
}

TEST(AuthTest, PasswordChangeAndResetFlow) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  std::string a = api.Login(kAdminEmail, kAdminPassword);
  std::string b = api.Login(kAdminEmail, kAdminPassword);
  auto weak = api.Post("/api/auth/password/change",
                       {{"current_password", kAdminPassword}, {"new_password", "short"}}, a);
  EXPECT_EQ(weak.status, 400u);
  EXPECT_EQ(weak.ErrorCode(), "weak_password");
  auto wrong =
      api.Post("/api/auth/password/change",
               {{"current_password", "not it at all"}, {"new_password", "a new long password"}}, a);
  EXPECT_EQ(wrong.status, 400u);
  ASSERT_EQ(
      api.Post("/api/auth/password/change",
               {{"current_password", kAdminPassword}, {"new_password", "a new long password"}}, a)
          .status,
      204u);
  EXPECT_EQ(api.Get("/api/auth/me", a).status, 200u);
  EXPECT_EQ(api.Get("/api/auth/me", b).status, 401u);  // other sessions ended
  EXPECT_TRUE(api.Login(kAdminEmail, kAdminPassword).empty());

  // Forgot: 202 whether or not the address exists.
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", "nobody@example.com"}}).status, 202u);
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", kAdminEmail}}).status, 202u);
  // The link is written to the log (no SMTP configured). The work is asynchronous: wait for it.
  std::smatch m;
  std::string log;
  std::regex link("reset-password\\?token=([A-Za-z0-9_-]+)");
  for (int i = 0; i < 2000 && !std::regex_search(log, m, link); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    log = server.LogText();
  }
  ASSERT_TRUE(std::regex_search(log, m, link));
  std::string reset_token = m[1];
  EXPECT_EQ(api.Post("/api/auth/password/reset",
                     {{"token", "bogus"}, {"password", "yet another password"}})
                .status,
            400u);
  ASSERT_EQ(api.Post("/api/auth/password/reset",
                     {{"token", reset_token}, {"password", "yet another password"}})
                .status,
            204u);
  // Single use; every session revoked; the new password works.
  EXPECT_EQ(api.Post("/api/auth/password/reset",
                     {{"token", reset_token}, {"password", "and one more password"}})
                .status,
            400u);
  EXPECT_EQ(api.Get("/api/auth/me", a).status, 401u);
  std::string c = api.Login(kAdminEmail, "yet another password");
  ASSERT_FALSE(c.empty());
  auto actions = AuditActions(api, c);
  EXPECT_TRUE(Contains(actions, "auth.password_change"));
  EXPECT_TRUE(Contains(actions, "auth.password_reset_request"));
  EXPECT_TRUE(Contains(actions, "auth.password_reset"));
}

TEST(AuthTest, ResetLinkIsMailedWhenSmtpIsConfigured) {
  FakeSmtpServer smtp("mailer", "smtp-password");
  TestServer server([&](Config& c) {
    WithAdmin(c);
    c.smtp.url = smtp.url();
    c.smtp.username = "mailer";
    c.smtp.password = "smtp-password";
    c.smtp.from = "Studybot <no-reply@studybot.test>";
    c.smtp.require_tls = false;
    c.auth.public_url = "https://admin.example.com";
  });
  ApiClient api(server.port());
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", kAdminEmail}}).status, 202u);
  auto mails = smtp.WaitForMail();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to[0], "<" + kAdminEmail + ">");
  // The link is in the mail, not in the log.
  EXPECT_EQ(server.LogText().find("reset-password?token="), std::string::npos);
  std::string b64;
  auto body_at = mails[0].data.find("\r\n\r\n");
  for (char ch : mails[0].data.substr(body_at + 4)) {
    if (ch != '\r' && ch != '\n') b64 += ch == '+' ? '-' : ch == '/' ? '_' : ch;
  }
  std::string body = Base64UrlDecode(b64).value_or("");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      body, m, std::regex("https://admin\\.example\\.com/reset-password\\?token=([A-Za-z0-9_-]+)")))
      << body;
  EXPECT_EQ(api.Post("/api/auth/password/reset",
                     {{"token", m[1].str()}, {"password", "brand new password"}})
                .status,
            204u);
  EXPECT_FALSE(api.Login(kAdminEmail, "brand new password").empty());
}

TEST(AuthTest, UnauthenticatedRoutesAreLimitedPerClientIp) {
  TestServer server([](Config& c) {
    WithAdmin(c);
    c.ratelimit.per_ip = "3/1m";
  });
  ApiClient api(server.port());
  for (int i = 0; i < 3; ++i) {
    auto r = api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}});
    EXPECT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.raw["RateLimit-Limit"], "3");
  }
  auto limited =
      api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}});
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.ErrorCode(), "rate_limited");
  EXPECT_FALSE(limited.raw["Retry-After"].empty());
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", kAdminEmail}}).status, 429u);
}

TEST(AuthTest, ResetMailsPerAddressAreCapped) {
  FakeSmtpServer smtp;
  TestServer server([&](Config& c) {
    WithAdmin(c);
    c.smtp.url = smtp.url();
    c.smtp.require_tls = false;
  });
  ApiClient api(server.port());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", kAdminEmail}}).status, 202u);
  }
  // Let the queued work finish (a later request's mail would come after the earlier ones).
  std::vector<ReceivedMail> mails;
  for (int i = 0; i < 400 && mails.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    mails = smtp.Received();
  }
  server.Stop();  // drains the worker pool: every queued reset has run
  EXPECT_EQ(smtp.Received().size(), 3u);
}

TEST(AuthTest, NoPlaintextSecretsInTheDatabaseFile) {
  TestServer server(WithAdmin);
  ApiClient api(server.port());
  auto login = api.Post("/api/auth/login", {{"email", kAdminEmail}, {"password", kAdminPassword}});
  ASSERT_EQ(login.status, 200u);
  std::string refresh(login.at("refresh_token").as_string());
  std::string access(login.at("access_token").as_string());
  server.Stop();
  std::string all = DatabaseFileBytes(server.config().data_dir);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.find(kAdminPassword), std::string::npos);
  EXPECT_EQ(all.find(refresh), std::string::npos);
  EXPECT_EQ(all.find(access), std::string::npos);
}

}  // namespace
}  // namespace studybot::testing
