// Webhook signatures. Each delivery carries
//   Studybot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
// The timestamp is signed with the body, so a receiver can refuse replays of old deliveries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace studybot::webhooks {

std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body);

// True when `header` carries a v1 signature of `body` under `secret` whose timestamp is within
// `tolerance_seconds` of `now_unix_seconds`. Compares in constant time.
bool VerifySignature(std::string_view secret, std::string_view header, std::string_view body,
                     int64_t now_unix_seconds, int64_t tolerance_seconds = 300);

}  // namespace studybot::webhooks
