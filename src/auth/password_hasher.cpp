#include "auth/password_hasher.h"

#include <crypt.h>
#include <openssl/crypto.h>

#include <cstring>
#include <stdexcept>

#include "core/crypto.h"

namespace studybot::auth {
namespace {

constexpr std::size_t kSaltBytes = 16;

// crypt_rn with its (large) work area on the heap; "" on failure.
std::string Crypt(std::string_view password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string phrase(password);  // NUL-terminated copy
  const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  std::string result = out == nullptr || out[0] == '*' ? std::string() : std::string(out);
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return result;
}

}  // namespace

BcryptPasswordHasher::BcryptPasswordHasher(int cost) : cost_(cost) {
  if (cost < 4 || cost > 31) throw std::invalid_argument("bcrypt cost must be 4..31");
}

void BcryptPasswordHasher::Warm() {
  std::call_once(dummy_once_, [this] {
    // Never throws (it runs as fire-and-forget work): without a dummy hash, VerifyDummy simply
    // returns early, which only costs the timing protection.
    auto dummy = Hash(RandomToken(18));
    if (dummy.ok()) dummy_hash_ = *dummy;
  });
}

Result<std::string> BcryptPasswordHasher::Hash(std::string_view password) {
  std::string salt = RandomBytes(kSaltBytes);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost_), salt.data(),
                       static_cast<int>(salt.size()), setting, sizeof setting) == nullptr) {
    return Error::Internal("crypt_gensalt_rn failed");
  }
  std::string hash = Crypt(password, setting);
  if (hash.empty()) return Error::Internal("bcrypt hashing failed");
  return hash;
}

bool BcryptPasswordHasher::Verify(std::string_view password, std::string_view hash) {
  if (hash.size() < 7 || hash.substr(0, 4) != "$2b$") return false;
  std::string computed = Crypt(password, std::string(hash));
  return !computed.empty() && ConstantTimeEquals(computed, hash);
}

void BcryptPasswordHasher::VerifyDummy(std::string_view password) {
  Warm();
  (void)Verify(password, dummy_hash_);
}

bool BcryptPasswordHasher::NeedsRehash(std::string_view hash) const {
  // "$2b$12$..."
  if (hash.size() < 7 || hash.substr(0, 4) != "$2b$") return true;
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  return cost != cost_;
}

Status PasswordPolicy::Check(std::string_view password) const {
  // Length in characters (UTF-8 code points), limit in bytes.
  std::size_t chars = 0;
  for (unsigned char c : password) {
    if ((c & 0xc0) != 0x80) ++chars;
  }
  std::string reason;
  if (chars < min_length) {
    reason = "must be at least " + std::to_string(min_length) + " characters";
  } else if (password.size() > kMaxBytes) {
    reason = "must be at most " + std::to_string(kMaxBytes) + " bytes";
  } else if (password.find('\0') != std::string_view::npos) {
    reason = "must not contain NUL characters";
  }
  if (reason.empty()) return OkStatus();
  return Error::InvalidArgument("the password does not meet the policy", {{"/password", reason}})
      .WithSlug("weak_password");
}

}  // namespace studybot::auth
