// Small cryptographic helpers over OpenSSL 3: digests, HMAC, constant-time comparison, random
// tokens and base64url. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace studybot {

// SHA-256 of `data` as 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA-256 of `data` under `key`, raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// True when equal; the time taken depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// `n` bytes from the CSPRNG (throws if the CSPRNG fails: nothing sensible to do then).
std::string RandomBytes(std::size_t n);
// `bytes` random bytes, base64url-encoded without padding: for tokens handed to clients.
std::string RandomToken(std::size_t bytes);

std::string Base64UrlEncode(std::string_view data);
// nullopt on characters outside the base64url alphabet or an impossible length. Padding is
// accepted but not required.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace studybot
