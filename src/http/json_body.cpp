#include "http/json_body.h"

#include <cmath>

#include <boost/json/stream_parser.hpp>

#include "core/strings.h"

namespace studybot::http {
namespace {

bool IsJsonMediaType(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string type = ToLower(std::string(Trim(content_type.substr(0, semi))));
  if (type != "application/json" && !(StartsWith(type, "application/") && type.size() > 17 &&
                                      type.compare(type.size() - 5, 5, "+json") == 0)) {
    return false;
  }
  if (semi == std::string_view::npos) return true;
  // Only UTF-8 is valid JSON on the wire (RFC 8259 section 8.1).
  for (auto param : Split(content_type.substr(semi + 1), ';')) {
    auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = ToLower(std::string(Trim(param.substr(0, eq))));
    auto value = ToLower(std::string(Trim(param.substr(eq + 1))));
    if (name == "charset" && value != "utf-8" && value != "\"utf-8\"") return false;
  }
  return true;
}

// Boost.JSON turns numbers beyond the range of a double (1e999, 400 digits) into infinities;
// JSON has no such values, so they are refused. Depth is bounded by kMaxJsonDepth.
bool AllNumbersFinite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (!AllNumbersFinite(e)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object()) {
        if (!AllNumbersFinite(kv.value())) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

Result<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  boost::json::stream_parser p(boost::json::storage_ptr(), opts);
  boost::system::error_code ec;
  std::size_t consumed = p.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    // Only whitespace may follow the document.
    auto rest = Trim(text.substr(consumed));
    if (!rest.empty()) {
      ec = boost::json::error::extra_data;
    }
  }
  if (!ec && !p.done()) {
    p.finish(ec);
    consumed = text.size();
  }
  if (ec) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Error::InvalidArgument("malformed JSON at line " + std::to_string(line) + ", column " +
                                  std::to_string(column) + " (byte " + std::to_string(consumed) +
                                  "): " + ec.message())
        .WithSlug("malformed_json");
  }
  auto value = p.release();
  if (!AllNumbersFinite(value)) {
    return Error::InvalidArgument("malformed JSON: a number is too large to represent")
        .WithSlug("malformed_json");
  }
  return value;
}

Result<boost::json::value> ParseJsonBody(const Request& request) {
  auto ct = request[bhttp::field::content_type];
  if (!IsJsonMediaType(ct)) {
    return Error::UnsupportedMediaType("the body must be JSON (Content-Type: application/json)");
  }
  if (request.body().empty()) {
    return Error::InvalidArgument("the request body is empty; a JSON document is required")
        .WithSlug("malformed_json");
  }
  return ParseJson(request.body());
}

}  // namespace studybot::http
