#include "webhooks/signature.h"

#include <charconv>

#include "core/crypto.h"
#include "core/strings.h"

namespace studybot::webhooks {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string Mac(std::string_view secret, int64_t t, std::string_view body) {
  std::string signed_text = std::to_string(t);
  signed_text.push_back('.');
  signed_text.append(body);
  return Hex(HmacSha256(secret, signed_text));
}

}  // namespace

std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  return "t=" + std::to_string(unix_seconds) + ",v1=" + Mac(secret, unix_seconds, body);
}

bool VerifySignature(std::string_view secret, std::string_view header, std::string_view body,
                     int64_t now_unix_seconds, int64_t tolerance_seconds) {
  int64_t t = -1;
  std::vector<std::string_view> macs;
  for (auto part : Split(header, ',')) {
    part = Trim(part);
    if (StartsWith(part, "t=")) {
      auto digits = part.substr(2);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t);
      if (ec != std::errc() || end != digits.data() + digits.size()) return false;
    } else if (StartsWith(part, "v1=")) {
      macs.push_back(part.substr(3));
    }
  }
  if (t < 0 || macs.empty()) return false;
  if (t < now_unix_seconds - tolerance_seconds || t > now_unix_seconds + tolerance_seconds) {
    return false;
  }
  std::string expected = Mac(secret, t, body);
  bool ok = false;
  for (auto mac : macs)
    ok = ConstantTimeEquals(mac, expected) || ok;
  return ok;
}

}  // namespace studybot::webhooks
