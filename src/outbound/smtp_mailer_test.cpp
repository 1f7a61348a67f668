#include "outbound/smtp_mailer.h"

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "fake_smtp_server.h"
#include "process.h"

namespace studybot::outbound {
namespace {

using testing::FakeSmtpServer;

std::string Body(const std::string& data) {
  auto start = data.find("\r\n\r\n");
  std::string b64;
  for (char c : data.substr(start + 4)) {
    if (c != '\r' && c != '\n') b64 += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return Base64UrlDecode(b64).value_or("<bad base64>");
}

SmtpOptions Options(const FakeSmtpServer& s) {
  SmtpOptions o;
  o.url = s.url();
  o.username = "mailer";
  o.password = "s3cret-pass";
  o.from = "Studybot <no-reply@studybot.test>";
  o.require_tls = false;  // the fake speaks plain SMTP
  o.timeout = std::chrono::seconds(5);
  return o;
}

TEST(SmtpMailerTest, DeliversUtf8Messages) {
  FakeSmtpServer server("mailer", "s3cret-pass");
  SmtpMailer mailer(Options(server));
  auto st = mailer.Send({"user@example.com", "Réinitialisez votre mot de passe",
                         "Bonjour,\n.leading dot line\nlien: https://x/reset?token=abc\n"});
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto got = server.Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, "<no-reply@studybot.test>");
  ASSERT_EQ(got[0].to.size(), 1u);
  EXPECT_EQ(got[0].to[0], "<user@example.com>");
  EXPECT_NE(got[0].data.find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(got[0].data.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_EQ(Body(got[0].data), "Bonjour,\n.leading dot line\nlien: https://x/reset?token=abc\n");
}

TEST(SmtpMailerTest, FailuresAreUnavailableAndNeverShowThePassword) {
  FakeSmtpServer server("mailer", "the-right-one", "blocked@example.com");
  SmtpMailer wrong_password(Options(server));
  auto st = wrong_password.Send({"user@example.com", "s", "b"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(st.error().message.find("s3cret-pass"), std::string::npos);

  auto o = Options(server);
  o.password = "the-right-one";
  SmtpMailer mailer(o);
  auto rejected = mailer.Send({"blocked@example.com", "s", "b"});
  EXPECT_FALSE(rejected.ok());
  EXPECT_TRUE(server.Received().empty());

  auto down = Options(server);
  down.url = "smtp://127.0.0.1:" + std::to_string(testing::FreePort());
  auto unreachable = SmtpMailer(down).Send({"user@example.com", "s", "b"});
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
}

TEST(SmtpMailerTest, HeaderInjectionIsRefusedBeforeConnecting) {
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:1";
  o.from = "no-reply@studybot.test";
  SmtpMailer mailer(o);
  for (const auto& m :
       std::vector<MailMessage>{{"user@example.com\r\nBcc: all@example.com", "s", "b"},
                                {"user@example.com", "hi\r\nBcc: all@example.com", "b"},
                                {"not an address", "s", "b"},
                                {"", "s", "b"}}) {
    auto st = mailer.Send(m);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument) << m.to;
  }
  EXPECT_EQ(EnvelopeAddress("Studybot <a@b.co>"), "a@b.co");
  EXPECT_EQ(EnvelopeAddress("a@b.co"), "a@b.co");
  EXPECT_EQ(EnvelopeAddress("nope"), "");
}

}  // namespace
}  // namespace studybot::outbound
