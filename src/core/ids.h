// Random identifiers from the OpenSSL CSPRNG. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace studybot {

// `bytes` random bytes as lower-case hex.
std::string RandomHex(std::size_t bytes);
// 32 hex characters, unique within and across processes (a per-thread random 64-bit prefix from
// the CSPRNG and a counter), without a CSPRNG call per id. For request ids: not secret, not for
// tokens.
std::string UniqueHexId();
// A random UUID v4 in canonical text form; used as opaque ids.
std::string NewUuid();
// True for the canonical text form of a UUID (any version, hex in either case).
bool IsUuid(std::string_view s);

}  // namespace studybot
