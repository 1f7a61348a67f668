// PasswordHasher: turns passwords into stored hashes and checks them. The implementation is
// bcrypt ($2b$) from libcrypt, with a work factor ("cost") that doubles the time per step.
//
// bcrypt only reads the first 72 bytes of a password; PasswordPolicy refuses longer ones so that
// no two different passwords can share a hash by their common prefix.
//
// Thread-safe: no shared mutable state (crypt_rn works in a per-call buffer).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace studybot::auth {

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  // A new salted hash of `password`.
  virtual Result<std::string> Hash(std::string_view password) = 0;
  // Whether `password` matches `hash` (compared in constant time). A malformed hash is false.
  virtual bool Verify(std::string_view password, std::string_view hash) = 0;
  // Spends the same time as a Verify against a real hash, and returns nothing: used when the
  // account does not exist, so that response times do not reveal it.
  virtual void VerifyDummy(std::string_view password) = 0;
  // Whether `hash` was made with other parameters than the current ones (re-hash at login).
  virtual bool NeedsRehash(std::string_view hash) const = 0;
};

class BcryptPasswordHasher final : public PasswordHasher {
 public:
  // REQUIRES: 4 <= cost <= 31.
  explicit BcryptPasswordHasher(int cost);

  Result<std::string> Hash(std::string_view password) override;
  bool Verify(std::string_view password, std::string_view hash) override;
  void VerifyDummy(std::string_view password) override;
  bool NeedsRehash(std::string_view hash) const override;

  // Computes the dummy hash now (a full bcrypt run: ~0.25 s at cost 12) instead of on the first
  // VerifyDummy; start-up calls it on a worker thread so readiness does not wait for it.
  void Warm();

 private:
  int cost_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // set once under dummy_once_
};

struct PasswordPolicy {
  std::size_t min_length = 12;
  static constexpr std::size_t kMaxBytes = 72;

  // Ok, or kInvalidArgument with a detail on /password saying what is wrong.
  Status Check(std::string_view password) const;
};

}  // namespace studybot::auth
