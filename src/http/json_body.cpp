#include "http/json_body.h"

#include <cmath>

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
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

// A SAX pass that stops at the first object key seen twice in the same object. Boost.JSON 1.81
// keeps the last of duplicate keys silently; a proxy, a filter or an audit trail may read the
// first, so {"role":"bot_admin","role":"system_admin"} must not mean two things.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) {
    levels_.emplace_back();
    levels_.back().is_object = false;
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    levels_.pop_back();
    return true;
  }
  bool on_object_begin(boost::system::error_code&) {
    levels_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    levels_.pop_back();
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) {
    return true;
  }
  bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!levels_.back().keys.insert(key_).second) {
      duplicate = key_;
      ec = boost::json::error::syntax;  // stops the pass; `duplicate` says why
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(uint64_t, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Level {
    bool is_object = true;
    std::unordered_set<std::string> keys;
  };
  std::vector<Level> levels_;
  std::string key_;
};

// The first key that appears twice in one object of `text` (already known to be valid JSON).
std::optional<std::string> FindDuplicateKey(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  boost::json::basic_parser<DuplicateKeyFinder> p(opts);
  boost::system::error_code ec;
  p.write_some(false, text.data(), text.size(), ec);
  return std::move(p.handler().duplicate);
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
  if (auto key = FindDuplicateKey(text)) {
    return Error::InvalidArgument("malformed JSON: the key \"" + CleanUtf8(*key, 64) +
                                  "\" appears twice in one object")
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
