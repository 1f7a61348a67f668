#include "http/multipart.h"

#include <algorithm>
#include <functional>

#include "core/strings.h"

namespace studybot::http {
namespace {

constexpr std::size_t kMaxBoundaryChars = 70;  // RFC 2046 section 5.1.1

Error Malformed(std::string message) {
  return Error::InvalidArgument("malformed form data: " + std::move(message))
      .WithSlug("malformed_multipart");
}

bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// bchars of RFC 2046 section 5.1.1, space included.
bool IsBchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// Control characters other than HTAB, which RFC 9110 allows in field values.
bool IsCtl(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7F;
}

bool IsOws(char c) {
  return c == ' ' || c == '\t';
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back()))
    s.remove_suffix(1);
  return s;
}

// A byte for a message: 'x' when printable ASCII, else its hex value.
std::string DescribeByte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xF];
}

// Text from the client, quoted and bounded for an error message.
std::string Quote(std::string_view s) {
  return "\"" + CleanUtf8(s, 100) + "\"";
}

std::string FormatBytes(std::size_t n) {
  constexpr std::size_t kKiB = 1024;
  constexpr std::size_t kMiB = 1024 * kKiB;
  if (n >= kMiB && n % kMiB == 0) return std::to_string(n / kMiB) + " MiB";
  if (n >= kKiB && n % kKiB == 0) return std::to_string(n / kKiB) + " KiB";
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

// Why `boundary` is not a valid boundary, or nullopt when it is.
std::optional<std::string> BoundaryProblem(std::string_view boundary) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryChars) {
    return "the boundary must be 1 to " + std::to_string(kMaxBoundaryChars) +
           " characters long (it has " + std::to_string(boundary.size()) + ")";
  }
  for (char c : boundary) {
    if (!IsBchar(c)) return "the boundary contains " + DescribeByte(c) + ", which is not allowed";
  }
  if (boundary.back() == ' ') return "the boundary must not end with a space";
  return std::nullopt;
}

struct Parameter {
  std::string name;  // lower-cased
  std::string value;
  bool quoted = false;
};

struct ParameterizedValue {
  std::string_view type;  // "form-data", or "type/subtype" for a media type; as sent
  std::vector<Parameter> parameters;

  const Parameter* Find(std::string_view name) const {
    for (const auto& p : parameters) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

// Parses `type *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )` (RFC 9110 section 5.6.6,
// RFC 6266 section 4.1), with type "token/token" when `media_type`. An error is the reason only;
// the caller says which header it was.
Result<ParameterizedValue> ParseParameterized(std::string_view v, bool media_type) {
  std::size_t i = 0;
  auto token = [&] {
    std::size_t begin = i;
    while (i < v.size() && IsTchar(v[i]))
      ++i;
    return v.substr(begin, i - begin);
  };
  auto unexpected = [&](std::string_view what) {
    return Error::InvalidArgument(
        i < v.size() ? DescribeByte(v[i]) + " where " + std::string(what) + " was expected"
                     : "it ends where " + std::string(what) + " was expected");
  };
  ParameterizedValue out;
  if (token().empty()) return unexpected(media_type ? "a media type" : "a disposition type");
  if (media_type) {
    if (i >= v.size() || v[i] != '/') return unexpected("'/'");
    ++i;
    if (token().empty()) return unexpected("a media subtype");
  }
  out.type = v.substr(0, i);
  while (true) {
    while (i < v.size() && IsOws(v[i]))
      ++i;
    if (i == v.size()) return out;
    if (v[i] != ';') return unexpected("';'");
    ++i;
    while (i < v.size() && IsOws(v[i]))
      ++i;
    if (i == v.size() || v[i] == ';') continue;  // an empty parameter is allowed
    Parameter p;
    p.name = ToLower(std::string(token()));
    if (p.name.empty()) return unexpected("a parameter name");
    if (i >= v.size() || v[i] != '=') return unexpected("'=' after " + Quote(p.name));
    ++i;
    if (i < v.size() && v[i] == '"') {
      p.quoted = true;
      ++i;
      while (true) {
        if (i == v.size()) {
          return Error::InvalidArgument("the quoted value of " + Quote(p.name) + " is not closed");
        }
        char c = v[i++];
        if (c == '"') break;
        if (c == '\\') {
          if (i == v.size()) continue;  // reported as not closed above
          c = v[i++];
        }
        if (IsCtl(c)) {
          return Error::InvalidArgument("the value of " + Quote(p.name) + " contains " +
                                        DescribeByte(c));
        }
        p.value += c;
      }
    } else {
      p.value = std::string(token());
      if (p.value.empty()) return unexpected("a value for " + Quote(p.name));
    }
    if (out.Find(p.name) != nullptr) {
      return Error::InvalidArgument("the parameter " + Quote(p.name) + " appears twice");
    }
    out.parameters.push_back(std::move(p));
  }
}

// Why `s` is not acceptable as a name or a file name, or nullopt.
std::optional<std::string> TextProblem(std::string_view s) {
  if (CleanUtf8(s) != s) return "is not valid UTF-8";
  for (char c : s) {
    if (IsCtl(c) || c == '\t') return "contains the control character " + DescribeByte(c);
  }
  return std::nullopt;
}

bool IsAttrChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The text of an RFC 8187 ext-value (charset'language'percent-encoded), as UTF-8.
Result<std::string> DecodeExtValue(const Parameter& p) {
  auto bad = [&](std::string why) {
    return Error::InvalidArgument("its " + p.name + " parameter " + std::move(why));
  };
  if (p.quoted) return bad("must not be quoted (RFC 8187)");
  std::string_view v = p.value;
  auto first = v.find('\'');
  auto second = first == std::string_view::npos ? first : v.find('\'', first + 1);
  if (second == std::string_view::npos) return bad("is not of the form charset'language'text");
  std::string charset = ToLower(std::string(v.substr(0, first)));
  bool latin1 = charset == "iso-8859-1";
  if (charset != "utf-8" && !latin1) {
    return bad("uses the charset " + Quote(charset) + "; only UTF-8 and ISO-8859-1 are supported");
  }
  std::string out;
  for (std::size_t i = second + 1; i < v.size(); ++i) {
    unsigned char b = static_cast<unsigned char>(v[i]);
    if (v[i] == '%') {
      int hi = i + 2 < v.size() ? HexValue(v[i + 1]) : -1;
      int lo = hi < 0 ? -1 : HexValue(v[i + 2]);
      if (lo < 0) return bad("has a '%' that is not followed by two hex digits");
      b = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    } else if (!IsAttrChar(v[i])) {
      return bad("contains " + DescribeByte(v[i]) + ", which must be percent-encoded");
    }
    if (latin1 && b >= 0x80) {
      out += static_cast<char>(0xC0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3F));
    } else {
      out += static_cast<char>(b);
    }
  }
  return out;
}

// The file name of a Content-Disposition: filename* over filename, its last path component.
Result<std::optional<std::string>> FileName(const ParameterizedValue& disposition) {
  const Parameter* extended = disposition.Find("filename*");
  const Parameter* plain = disposition.Find("filename");
  if (extended == nullptr && plain == nullptr) return std::optional<std::string>();
  std::string name;
  if (extended != nullptr) {
    auto decoded = DecodeExtValue(*extended);
    if (!decoded.ok()) return decoded.error();
    name = std::move(decoded).value();
  } else {
    name = plain->value;
  }
  if (auto problem = TextProblem(name)) {
    return Error::InvalidArgument("its file name " + *problem);
  }
  if (name.empty()) return std::optional<std::string>(std::string());  // no file chosen
  std::string base = name.substr(name.find_last_of("/\\") + 1);
  if (base.empty() || base == "." || base == "..") {
    return Error::InvalidArgument("its file name " + Quote(name) + " does not name a file");
  }
  return std::optional<std::string>(std::move(base));
}

struct HeaderLine {
  std::string_view name;
  std::string_view value;  // OWS trimmed
};

// The header lines of `block`, each ending with CRLF.
Result<std::vector<HeaderLine>> SplitHeaderLines(std::string_view block) {
  std::vector<HeaderLine> lines;
  std::size_t begin = 0;
  while (begin < block.size()) {
    std::size_t end = block.find("\r\n", begin);  // block ends with CRLF, so end != npos
    std::string_view line = block.substr(begin, end - begin);
    begin = end + 2;
    if (line.empty() || IsOws(line.front())) {
      return Error::InvalidArgument(
          "a header line starts with whitespace (folded header lines are not supported)");
    }
    for (char c : line) {
      if (c == '\n' || c == '\r') {
        return Error::InvalidArgument(
            "a header line ends with a bare CR or LF (lines must end with CRLF)");
      }
      if (IsCtl(c)) {
        return Error::InvalidArgument("a header line contains the control character " +
                                      DescribeByte(c));
      }
    }
    std::size_t colon = 0;
    while (colon < line.size() && IsTchar(line[colon]))
      ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') {
      return Error::InvalidArgument("the header line " + Quote(line.substr(0, 60)) +
                                    " is not of the form Name: value");
    }
    lines.push_back({line.substr(0, colon), TrimOws(line.substr(colon + 1))});
  }
  return lines;
}

// One part: `content` is what lies between the CRLF ending its delimiter line and the CRLF that
// starts the next delimiter. `number` counts from 1, for messages.
Result<FormPart> ParsePart(std::string_view content, std::size_t number,
                           const MultipartLimits& limits) {
  std::string label = "part " + std::to_string(number);
  // MIME-part-headers [CRLF *OCTET] (RFC 2046): header lines, then an empty line and the data,
  // or nothing. The empty line is looked for only within the header limit.
  std::string_view block;
  std::string_view data;
  std::size_t window =
      limits.max_header_bytes >= content.size() ? content.size() : limits.max_header_bytes + 2;
  std::size_t blank = content.substr(0, window).find("\r\n\r\n");
  if (StartsWith(content, "\r\n")) {
    data = content.substr(2);
  } else if (blank != std::string_view::npos) {
    block = content.substr(0, blank + 2);
    data = content.substr(blank + 4);
  } else if (content.size() > limits.max_header_bytes) {
    return Error::PayloadTooLarge("the headers of " + label + " of the form are larger than " +
                                  FormatBytes(limits.max_header_bytes));
  } else if (content.empty() || content.ends_with("\r\n")) {
    block = content;
    data = content.substr(content.size());  // empty, but still a view into the body
  } else {
    return Malformed("the headers of " + label + " are not followed by an empty line (CRLF)");
  }

  auto lines = SplitHeaderLines(block);
  if (!lines.ok()) return Malformed(label + ": " + lines.error().message);
  const HeaderLine* disposition = nullptr;
  const HeaderLine* type = nullptr;
  const HeaderLine* encoding = nullptr;
  for (const auto& line : *lines) {
    const HeaderLine** slot = nullptr;
    if (EqualsIgnoreCase(line.name, "Content-Disposition")) slot = &disposition;
    if (EqualsIgnoreCase(line.name, "Content-Type")) slot = &type;
    if (EqualsIgnoreCase(line.name, "Content-Transfer-Encoding")) slot = &encoding;
    if (slot == nullptr) continue;  // RFC 7578 section 4.8: other headers are ignored
    if (*slot != nullptr) {
      return Malformed(label + " has two " + std::string(line.name) + " headers");
    }
    *slot = &line;
  }
  if (disposition == nullptr) return Malformed(label + " has no Content-Disposition header");

  auto cd = ParseParameterized(disposition->value, false);
  if (!cd.ok()) {
    return Malformed(label + " has a malformed Content-Disposition header: " + cd.error().message);
  }
  if (!EqualsIgnoreCase(cd->type, "form-data")) {
    return Malformed(label + " has Content-Disposition " + Quote(cd->type) +
                     ", which must be form-data");
  }
  FormPart part;
  const Parameter* name = cd->Find("name");
  if (name == nullptr || name->value.empty()) {
    return Malformed(label + " has no name in its Content-Disposition header");
  }
  if (auto problem = TextProblem(name->value)) {
    return Malformed("the name of " + label + " " + *problem);
  }
  part.name = name->value;
  label += " (" + Quote(part.name) + ")";
  auto filename = FileName(*cd);
  if (!filename.ok()) return Malformed(label + ": " + filename.error().message);
  part.filename = std::move(filename).value();

  part.content_type = "text/plain";
  if (type != nullptr) {
    auto media = ParseParameterized(type->value, true);
    if (!media.ok()) {
      return Malformed(label + " has a malformed Content-Type header: " + media.error().message);
    }
    part.content_type = std::string(type->value);
  }
  if (encoding != nullptr) {
    std::string e = ToLower(std::string(encoding->value));
    if (e != "7bit" && e != "8bit" && e != "binary") {
      return Malformed(label + " has Content-Transfer-Encoding " + Quote(encoding->value) +
                       ", which is not supported: send the bytes as they are");
    }
  }

  std::size_t limit = part.is_file() ? limits.max_file_bytes : limits.max_field_bytes;
  if (data.size() > limit) {
    std::string what = !part.is_file()          ? "field " + Quote(part.name)
                       : part.filename->empty() ? "the file of field " + Quote(part.name)
                                                : "file " + Quote(*part.filename);
    return Error::PayloadTooLarge(what + " is larger than " + FormatBytes(limit));
  }
  part.data = data;
  return part;
}

}  // namespace

Result<std::string> MultipartBoundary(std::string_view content_type) {
  content_type = TrimOws(content_type);
  if (!EqualsIgnoreCase(TrimOws(content_type.substr(0, content_type.find(';'))),
                        "multipart/form-data")) {
    return Error::UnsupportedMediaType(
        "the body must be form data (Content-Type: multipart/form-data; boundary=...)");
  }
  auto parsed = ParseParameterized(content_type, true);
  if (!parsed.ok()) return Malformed("the Content-Type header: " + parsed.error().message);
  const Parameter* boundary = parsed->Find("boundary");
  if (boundary == nullptr) return Malformed("the Content-Type header has no boundary parameter");
  if (auto problem = BoundaryProblem(boundary->value)) return Malformed(*problem);
  return boundary->value;
}

Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             const MultipartLimits& limits) {
  if (auto problem = BoundaryProblem(boundary)) return Malformed(*problem);
  // delimiter := CRLF "--" boundary; the first one may lack its CRLF when nothing precedes it.
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::string_view dash_boundary = std::string_view(delimiter).substr(2);
  const std::boyer_moore_horspool_searcher searcher(delimiter.begin(), delimiter.end());
  // Each search starts where the last delimiter ended, so no byte of the body is searched twice
  // (Horspool is O(n * m) at worst, with m <= 74), and the search for the end of a part's headers
  // reads at most max_header_bytes + 2 of it again: linear in the body's size.
  auto find_delimiter = [&](std::size_t from) {
    auto it = std::search(body.begin() + from, body.end(), searcher);
    return it == body.end() ? std::string_view::npos : static_cast<std::size_t>(it - body.begin());
  };
  auto at = [&](std::size_t pos, std::string_view s) { return body.substr(pos, s.size()) == s; };
  const std::string shown = "\"--" + std::string(boundary) + "\"";

  std::size_t pos;  // just after the boundary of the current delimiter
  if (StartsWith(body, dash_boundary)) {
    pos = dash_boundary.size();
  } else {
    std::size_t first = find_delimiter(0);
    if (first == std::string_view::npos) {
      return Malformed("the body has no delimiter line " + shown + " (wrong boundary?)");
    }
    pos = first + delimiter.size();
  }

  std::vector<FormPart> parts;
  while (true) {
    // close-delimiter := delimiter "--", then transport padding and [CRLF epilogue].
    bool close = at(pos, "--");
    if (close) pos += 2;
    while (pos < body.size() && IsOws(body[pos]))
      ++pos;
    if (pos == body.size()) {
      if (close) return parts;
      return Malformed("the body ends after a delimiter line (truncated?)");
    }
    if (at(pos, "\r\n")) {
      if (close) return parts;  // the epilogue is ignored
    } else if (body[pos] == '\n') {
      return Malformed("a delimiter line ends with LF alone; lines must end with CRLF");
    } else if (close) {
      return Malformed("the closing delimiter is followed by " + DescribeByte(body[pos]) +
                       "; only spaces and CRLF may follow it");
    } else {
      return Malformed("a line starts with the boundary " + shown + " but is not a delimiter (" +
                       DescribeByte(body[pos]) + " follows it)");
    }
    std::size_t start = pos + 2;
    if (parts.size() == limits.max_parts) {
      return Error::PayloadTooLarge("the form has more than " + std::to_string(limits.max_parts) +
                                    " parts");
    }
    std::size_t next = find_delimiter(start);
    if (next == std::string_view::npos) {
      return Malformed("the body ends without the closing delimiter \"--" + std::string(boundary) +
                       "--\" (truncated?)");
    }
    auto part = ParsePart(body.substr(start, next - start), parts.size() + 1, limits);
    if (!part.ok()) return part.error();
    parts.push_back(std::move(part).value());
    pos = next + delimiter.size();
  }
}

Result<std::vector<FormPart>> ParseMultipartBody(const Request& request,
                                                 const MultipartLimits& limits) {
  auto boundary = MultipartBoundary(request[bhttp::field::content_type]);
  if (!boundary.ok()) return boundary.error();
  return ParseMultipart(request.body(), *boundary, limits);
}

}  // namespace studybot::http
