#include "fake_smtp_server.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>

#include "core/crypto.h"
#include "core/strings.h"

namespace studybot::testing {
namespace {

namespace asio = boost::asio;

std::optional<std::string> DecodeB64(const std::string& s) {
  // Standard alphabet to base64url, then our decoder.
  std::string t = s;
  for (char& c : t) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return Base64UrlDecode(t);
}

}  // namespace

FakeSmtpServer::FakeSmtpServer(std::string user, std::string password, std::string reject)
    : user_(std::move(user)),
      password_(std::move(password)),
      reject_(std::move(reject)),
      listener_([this](asio::ip::tcp::socket& s) { Session(s); }) {}

FakeSmtpServer::~FakeSmtpServer() = default;

std::vector<ReceivedMail> FakeSmtpServer::Received() {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<ReceivedMail> FakeSmtpServer::WaitForMail() {
  std::vector<ReceivedMail> mails;
  WaitUntil([&] {
    mails = Received();
    return !mails.empty();
  });
  return mails;
}

void FakeSmtpServer::Session(asio::ip::tcp::socket& s) {
  asio::streambuf buf;
  auto say = [&](const std::string& line) { asio::write(s, asio::buffer(line + "\r\n")); };
  auto read_line = [&]() {
    asio::read_until(s, buf, "\r\n");
    std::istream in(&buf);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  say("220 fake-smtp ready");
  ReceivedMail mail;
  bool authed = user_.empty();
  for (;;) {
    std::string line = read_line();
    std::string verb = ToLower(line.substr(0, line.find(' ')));
    if (verb == "ehlo" || verb == "helo") {
      say("250-fake-smtp");
      say("250-AUTH PLAIN LOGIN");
      say("250 8BITMIME");
    } else if (verb == "auth") {
      std::string rest = line.size() > 5 ? line.substr(5) : "";
      std::string user, pass;
      if (StartsWith(ToLower(rest), "plain")) {
        std::string payload = rest.size() > 6 ? rest.substr(6) : "";
        if (payload.empty()) {
          say("334 ");
          payload = read_line();
        }
        auto decoded = DecodeB64(payload).value_or("");
        auto p1 = decoded.find('\0');
        auto p2 = decoded.find('\0', p1 + 1);
        if (p1 != std::string::npos && p2 != std::string::npos) {
          user = decoded.substr(p1 + 1, p2 - p1 - 1);
          pass = decoded.substr(p2 + 1);
        }
      } else {
        say("334 VXNlcm5hbWU6");
        user = DecodeB64(read_line()).value_or("");
        say("334 UGFzc3dvcmQ6");
        pass = DecodeB64(read_line()).value_or("");
      }
      if (user_.empty() || (user == user_ && pass == password_)) {
        authed = true;
        say("235 2.7.0 Authentication successful");
      } else {
        say("535 5.7.8 Authentication credentials invalid");
      }
    } else if (verb == "mail") {
      if (!authed) {
        say("530 5.7.0 Authentication required");
        continue;
      }
      mail = {};
      mail.from = line.substr(line.find(':') + 1);
      say("250 OK");
    } else if (verb == "rcpt") {
      std::string to = line.substr(line.find(':') + 1);
      if (!reject_.empty() && to.find(reject_) != std::string::npos) {
        say("550 5.1.1 No such user");
      } else {
        mail.to.push_back(to);
        say("250 OK");
      }
    } else if (verb == "data") {
      say("354 End data with <CR><LF>.<CR><LF>");
      for (;;) {
        std::string l = read_line();
        if (l == ".") break;
        if (!l.empty() && l[0] == '.') l = l.substr(1);
        mail.data += l + "\r\n";
      }
      {
        std::lock_guard lock(mu_);
        received_.push_back(mail);
      }
      say("250 OK queued");
    } else if (verb == "rset" || verb == "noop") {
      say("250 OK");
    } else if (verb == "quit") {
      say("221 Bye");
      return;
    } else {
      say("502 5.5.2 Command not recognized");
    }
  }
}

}  // namespace studybot::testing
