// Random identifiers from the OpenSSL CSPRNG. Thread-safe.
#pragma once

#include <string>

namespace studybot {

// `bytes` random bytes as lower-case hex.
std::string RandomHex(std::size_t bytes);
// A random UUID v4 in canonical text form; used as opaque ids.
std::string NewUuid();

}  // namespace studybot
