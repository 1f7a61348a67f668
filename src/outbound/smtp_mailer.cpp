#include "outbound/smtp_mailer.h"

#include <curl/curl.h>

#include <algorithm>
#include <ctime>
#include <mutex>

#include <openssl/evp.h>

#include "core/ids.h"
#include "core/strings.h"

namespace studybot::outbound {
namespace {

std::once_flag g_curl_init;  // curl_global_init must run once, before any thread uses curl

bool HasLineBreak(const std::string& s) {
  return s.find_first_of("\r\n") != std::string::npos;
}

bool IsAscii(const std::string& s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string RfcDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t nitems, void* userp) {
  auto* up = static_cast<Upload*>(userp);
  std::size_t room = size * nitems;
  std::size_t left = up->data->size() - up->offset;
  std::size_t n = std::min(room, left);
  std::copy_n(up->data->data() + up->offset, n, buffer);
  up->offset += n;
  return n;
}

}  // namespace

std::string EnvelopeAddress(const std::string& text) {
  auto lt = text.find('<');
  auto gt = text.find('>');
  std::string addr = lt != std::string::npos && gt != std::string::npos && gt > lt
                         ? text.substr(lt + 1, gt - lt - 1)
                         : std::string(Trim(text));
  auto at = addr.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= addr.size() ||
      addr.find_first_of(" <>\r\n,;\"") != std::string::npos) {
    return {};
  }
  return addr;
}

std::string BuildMessage(const std::string& from, const MailMessage& m) {
  std::string subject = IsAscii(m.subject) ? m.subject : "=?UTF-8?B?" + Base64(m.subject) + "?=";
  std::string body_b64 = Base64(m.text_body);
  std::string msg;
  msg += "Date: " + RfcDate() + "\r\n";
  msg += "From: " + from + "\r\n";
  msg += "To: " + m.to + "\r\n";
  msg += "Subject: " + subject + "\r\n";
  msg += "Message-ID: <" + RandomHex(16) + "@studybot>\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: base64\r\n\r\n";
  for (std::size_t i = 0; i < body_b64.size(); i += 76)
    msg += body_b64.substr(i, 76) + "\r\n";
  return msg;
}

SmtpMailer::SmtpMailer(SmtpOptions options) : options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status SmtpMailer::Send(const MailMessage& m) {
  if (HasLineBreak(m.to) || HasLineBreak(m.subject) || HasLineBreak(options_.from)) {
    return Error::InvalidArgument("line breaks are not allowed in mail headers");
  }
  std::string to = EnvelopeAddress(m.to);
  std::string from = EnvelopeAddress(options_.from);
  if (to.empty()) return Error::InvalidArgument("not a valid recipient address");
  if (from.empty()) return Error::InvalidArgument("smtp.from is not a valid address");

  std::string message = BuildMessage(options_.from, m);
  Upload upload{&message};
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Error::Internal("curl_easy_init failed");
  std::string rcpt = "<" + to + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  std::string mail_from = "<" + from + ">";
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(
      curl, CURLOPT_USE_SSL,
      options_.require_tls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_TRY));
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  CURLcode rc = curl_easy_perform(curl);
  long response = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return OkStatus();
  // curl_easy_strerror never contains the credentials.
  return Error::Unavailable(
      std::string("SMTP delivery failed: ") + curl_easy_strerror(rc) +
      (response != 0 ? " (server said " + std::to_string(response) + ")" : ""));
}

}  // namespace studybot::outbound
