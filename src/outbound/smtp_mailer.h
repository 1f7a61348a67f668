// SmtpMailer: Mailer over SMTP through libcurl. smtp://host:587 upgrades with STARTTLS (required
// unless require_tls is false, for a local relay); smtps://host:465 is TLS from the start. The
// message is UTF-8 plain text, base64-encoded; the subject is an RFC 2047 encoded-word when it is
// not ASCII. Header injection (CR/LF in addresses or subject) is refused before any connection.
//
// Thread-safe: each Send uses its own curl handle. curl_global_init runs once (std::call_once).
#pragma once

#include <chrono>
#include <string>

#include "outbound/mailer.h"

namespace studybot::outbound {

struct SmtpOptions {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string username;
  std::string password;
  std::string from;  // "Name <address>" or "address"
  bool require_tls = true;
  std::chrono::milliseconds timeout{10'000};
};

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions options);
  Status Send(const MailMessage& message) override;

 private:
  SmtpOptions options_;
};

// The address inside "Name <address>", or the text itself; "" when it is not an address.
std::string EnvelopeAddress(const std::string& text);

// The complete RFC 5322 message (headers and base64 body, CRLF line ends).
std::string BuildMessage(const std::string& from, const MailMessage& message);

}  // namespace studybot::outbound
