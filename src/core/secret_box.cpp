#include "core/secret_box.h"

#include <openssl/evp.h>

#include <memory>

#include "core/crypto.h"
#include "core/strings.h"

namespace studybot {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<SecretBox> SecretBox::FromKeyring(std::string_view text) {
  SecretBox box;
  for (auto entry : Split(text, ',')) {
    entry = Trim(entry);
    if (entry.empty()) continue;
    auto colon = entry.find(':');
    if (colon == std::string_view::npos) {
      return Error::InvalidArgument("encryption_key: entries look like <id>:<base64url 32 bytes>");
    }
    std::string id(entry.substr(0, colon));
    if (!ValidKeyId(id)) return Error::InvalidArgument("encryption_key: bad key id '" + id + "'");
    auto bytes = Base64UrlDecode(entry.substr(colon + 1));
    if (!bytes || bytes->size() != kKeyBytes) {
      return Error::InvalidArgument("encryption_key: key '" + id +
                                    "' must be 32 bytes, base64url-encoded");
    }
    for (const auto& k : box.keys_) {
      if (k.id == id)
        return Error::InvalidArgument("encryption_key: duplicate key id '" + id + "'");
    }
    box.keys_.push_back({id, std::move(*bytes)});
  }
  if (box.keys_.empty()) return Error::InvalidArgument("encryption_key: no key");
  return box;
}

std::string SecretBox::GenerateKeyring(const std::string& id) {
  return id + ":" + Base64UrlEncode(RandomBytes(kKeyBytes));
}

Result<std::string> SecretBox::Seal(std::string_view plaintext,
                                    std::string_view associated_data) const {
  const SecretKey& key = keys_.front();
  std::string nonce = RandomBytes(kNonceBytes);
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  std::copy(nonce.begin(), nonce.end(), out.begin());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* body = reinterpret_cast<unsigned char*>(out.data() + kNonceBytes);
  bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key.bytes), U(nonce)) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(associated_data),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), body, &len, U(plaintext), static_cast<int>(plaintext.size())) ==
          1 &&
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, body + plaintext.size()) == 1;
  if (!ok) return Error::Internal("AES-256-GCM sealing failed");
  return "v1." + key.id + "." + Base64UrlEncode(out);
}

Result<std::string> SecretBox::Open(std::string_view sealed,
                                    std::string_view associated_data) const {
  auto parts = Split(sealed, '.');
  if (parts.size() != 3 || parts[0] != "v1") {
    return Error::InvalidArgument("not a sealed secret");
  }
  const SecretKey* key = nullptr;
  for (const auto& k : keys_) {
    if (k.id == parts[1]) key = &k;
  }
  if (key == nullptr) {
    return Error::PermissionDenied("sealed under unknown key '" + std::string(parts[1]) + "'");
  }
  auto raw = Base64UrlDecode(parts[2]);
  if (!raw || raw->size() < kNonceBytes + kTagBytes) {
    return Error::InvalidArgument("not a sealed secret");
  }
  std::string_view all(*raw);
  auto nonce = all.substr(0, kNonceBytes);
  auto cipher = all.substr(kNonceBytes, all.size() - kNonceBytes - kTagBytes);
  std::string tag(all.substr(all.size() - kTagBytes));
  std::string plain(cipher.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key->bytes), U(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(associated_data),
                        static_cast<int>(associated_data.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len, U(cipher), static_cast<int>(cipher.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  if (!ok) return Error::PermissionDenied("the sealed secret does not authenticate");
  return plain;
}

bool SecretBox::NeedsRotation(std::string_view sealed) const {
  auto parts = Split(sealed, '.');
  return parts.size() != 3 || parts[1] != current_key_id();
}

Result<std::optional<std::string>> SecretBox::Reseal(std::string_view sealed,
                                                     std::string_view associated_data) const {
  if (!NeedsRotation(sealed)) return std::optional<std::string>();
  auto plain = Open(sealed, associated_data);
  if (!plain.ok()) return plain.error();
  auto resealed = Seal(*plain, associated_data);
  if (!resealed.ok()) return resealed.error();
  return std::optional<std::string>(std::move(resealed).value());
}

std::string MaskSecret(std::string_view s) {
  std::size_t show = std::min<std::size_t>(4, s.size() / 4);
  if (show == 0) return "…";
  return std::string(s.substr(0, show)) + "…" + std::string(s.substr(s.size() - show));
}

}  // namespace studybot
