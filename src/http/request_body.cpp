#include "http/request_body.h"

#include <cctype>

#include "core/strings.h"
#include "http/json_body.h"

namespace studybot::http {

Result<boost::json::object> ReadBody(const Request& request, const validation::Validator& validator,
                                     std::string_view schema) {
  auto doc = ParseJsonBody(request);
  if (!doc.ok()) return doc.error();
  auto valid = validator.Validate(schema, *doc);
  if (!valid.ok()) return valid.error();
  // Every schema describes an object, so validation passing means this is one.
  return std::move(doc->as_object());
}

std::string_view BearerToken(const Request& request) {
  std::string_view h = request[bhttp::field::authorization];
  if (h.size() < 7 || !EqualsIgnoreCase(h.substr(0, 7), "Bearer ")) return {};
  return Trim(h.substr(7));
}

std::string_view CookieValue(const Request& request, std::string_view name) {
  for (auto part : Split(request[bhttp::field::cookie], ';')) {
    auto kv = Trim(part);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    if (Trim(kv.substr(0, eq)) == name) return Trim(kv.substr(eq + 1));
  }
  return {};
}

// Hand-written rather than Boost.URL's parse_query: in Boost 1.81 a std::string_view argument
// reached it as a C string, so it read past the end of the (not NUL-terminated) request target.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  auto decode = [](std::string_view in, std::string* out) {
    out->clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      if (c == '+') {
        *out += ' ';
      } else if (c == '%' && i + 2 < in.size() &&
                 std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        *out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        *out += c;
      }
    }
  };
  std::string key, value;
  for (auto part : Split(query, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    decode(part.substr(0, eq), &key);
    if (key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    decode(part.substr(eq + 1), &value);
    return value;
  }
  return std::nullopt;
}

Result<PageParams> ReadPageParams(std::string_view query, int max_limit) {
  PageParams p;
  if (auto limit = QueryParam(query, "limit")) {
    int v = 0;
    bool ok = !limit->empty() && limit->size() <= 4;
    for (char c : *limit) {
      if (c < '0' || c > '9') ok = false;
      if (ok) v = v * 10 + (c - '0');
    }
    if (!ok || v < 1 || v > max_limit) {
      return Error::InvalidArgument(
          "bad limit", {{"/limit", "must be an integer from 1 to " + std::to_string(max_limit)}});
    }
    p.limit = v;
  }
  if (auto cursor = QueryParam(query, "cursor")) {
    if (cursor->size() > 256)
      return Error::InvalidArgument("bad cursor", {{"/cursor", "too long"}});
    p.cursor = *cursor;
  }
  return p;
}

}  // namespace studybot::http
