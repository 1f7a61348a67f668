#include "core/ids.h"

#include <cstdint>
#include <stdexcept>
#include <vector>

#include <openssl/rand.h>

namespace studybot {
namespace {

void Fill(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // The CSPRNG failing is not something to carry on from.
    throw std::runtime_error("RAND_bytes failed");
  }
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  Fill(buf.data(), bytes);
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : buf) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string UniqueHexId() {
  struct State {
    uint64_t prefix = 0;
    uint64_t counter = 0;
  };
  thread_local State state = [] {
    State st;
    unsigned char b[16];
    Fill(b, sizeof b);
    for (int i = 0; i < 8; ++i)
      st.prefix = (st.prefix << 8) | b[i];
    for (int i = 8; i < 16; ++i)
      st.counter = (st.counter << 8) | b[i];
    return st;
  }();
  uint64_t words[2] = {state.prefix, state.counter++};
  std::string out(32, '0');
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 16; ++i) {
      out[static_cast<std::size_t>(w * 16 + i)] = kHex[(words[w] >> (60 - 4 * i)) & 0xf];
    }
  }
  return out;
}

std::string NewUuid() {
  unsigned char b[16];
  Fill(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xf];
  }
  return out;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace studybot
