// SecretBox: secrets at rest (provider API keys and the like), sealed with AES-256-GCM (OpenSSL)
// under a keyring. A sealed value is text: "v1.<key id>.<base64url(nonce | ciphertext | tag)>",
// with a fresh random 96-bit nonce each time. The associated data binds a sealed value to its
// place (e.g. "chatbot:<id>:openai_api_key"), so a value copied to another row does not open.
//
// The keyring has a current key (used to seal) and older keys (still used to open), so that
// `studybot keys rotate` can re-seal everything under a new key. Immutable; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace studybot {

struct SecretKey {
  std::string id;     // [A-Za-z0-9_-]{1,32}
  std::string bytes;  // exactly 32 bytes
};

class SecretBox {
 public:
  // Parses "k2:<base64url 32 bytes>,k1:<...>" (the first is current). The error names what is
  // wrong (never the key material).
  static Result<SecretBox> FromKeyring(std::string_view text);
  // A keyring text with one new random key under `id`.
  static std::string GenerateKeyring(const std::string& id);

  Result<std::string> Seal(std::string_view plaintext, std::string_view associated_data) const;
  // kInvalidArgument for a malformed value, kPermissionDenied for an unknown key id or a value
  // that does not authenticate (tampered, wrong key, wrong associated data).
  Result<std::string> Open(std::string_view sealed, std::string_view associated_data) const;
  // True when `sealed` was not sealed under the current key.
  bool NeedsRotation(std::string_view sealed) const;
  // `sealed` sealed again under the current key, or nullopt when it already is. Errors as Open.
  Result<std::optional<std::string>> Reseal(std::string_view sealed,
                                            std::string_view associated_data) const;

  const std::string& current_key_id() const { return keys_.front().id; }

 private:
  std::vector<SecretKey> keys_;  // front() is current
};

// "sk-proj-abcd…wxyz" style hint: a few characters of each end, never more than a quarter.
std::string MaskSecret(std::string_view secret);

}  // namespace studybot
