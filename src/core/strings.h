// Small string helpers shared across features.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace studybot {

std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string ToLower(std::string s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// `s` as valid UTF-8 (each invalid byte becomes U+FFFD), cut at a character boundary to at most
// `max_bytes` bytes: for text from the outside (headers, fetched pages) bound for utf8mb4 columns.
std::string CleanUtf8(std::string_view s, std::size_t max_bytes = std::string::npos);

}  // namespace studybot
