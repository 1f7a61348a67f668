#include "http/multipart.h"

#include <gtest/gtest.h>

namespace studybot::http {
namespace {

constexpr std::string_view kB = "XyZ";  // the boundary of the hand-written bodies

// `text` with every "\n" made "\r\n", so that bodies read like the wire.
std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

struct Expected {
  std::string name;
  std::optional<std::string> filename;
  std::string content_type;
  std::string data;
};

TEST(MultipartBoundaryTest, AcceptsValidBoundaries) {
  struct Case {
    std::string content_type;
    std::string boundary;
  };
  const std::string b70(70, 'a');
  for (const auto& [ct, boundary] : std::vector<Case>{
           {"multipart/form-data; boundary=abc", "abc"},
           {"Multipart/Form-Data;BOUNDARY=abc", "abc"},
           {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
           {"multipart/form-data; charset=utf-8; boundary=\"a b:c/d=e?(f),g\"", "a b:c/d=e?(f),g"},
           {"multipart/form-data; boundary=\"a\\bc\"", "abc"},  // a quoted-pair
           {"multipart/form-data ;\tboundary=x ; ", "x"},
           {"multipart/form-data; boundary=" + b70, b70},
           {"multipart/form-data; boundary=\"'()+_,-./:=?\"", "'()+_,-./:=?"},
       }) {
    auto b = MultipartBoundary(ct);
    ASSERT_TRUE(b.ok()) << ct << ": " << b.error().message;
    EXPECT_EQ(*b, boundary) << ct;
  }
}

TEST(MultipartBoundaryTest, RefusesBadContentTypes) {
  struct Case {
    std::string content_type;
    ErrorCode code;
    std::string message;
  };
  const auto kBad = ErrorCode::kInvalidArgument;
  const auto kType = ErrorCode::kUnsupportedMediaType;
  for (const auto& [ct, code, message] : std::vector<Case>{
           {"", kType, "must be form data"},
           {"text/plain", kType, "must be form data"},
           {"multipart/mixed; boundary=abc", kType, "must be form data"},
           {"application/x-www-form-urlencoded", kType, "must be form data"},
           {"multipart/form-data", kBad, "no boundary"},
           {"multipart/form-data; charset=utf-8", kBad, "no boundary"},
           {"multipart/form-data; boundary=", kBad, "a value for \"boundary\""},
           {"multipart/form-data; boundary=\"\"", kBad, "1 to 70 characters long (it has 0)"},
           {"multipart/form-data; boundary=" + std::string(71, 'a'), kBad, "(it has 71)"},
           {"multipart/form-data; boundary=\"abc \"", kBad, "must not end with a space"},
           {"multipart/form-data; boundary=abc!", kBad, "'!', which is not allowed"},
           {"multipart/form-data; boundary=\"a\\\"b\"", kBad, "'\"', which is not allowed"},
           {"multipart/form-data; boundary=a:b", kBad, "':' where ';' was expected"},
           {"multipart/form-data; boundary = abc", kBad, "where '=' after"},
           {"multipart/form-data; boundary=a; boundary=b", kBad, "appears twice"},
           {"multipart/form-data; boundary=\"abc", kBad, "not closed"},
           {"multipart/form-data; boundary=\"a\x01\"", kBad, "byte 0x01"},
       }) {
    auto b = MultipartBoundary(ct);
    ASSERT_FALSE(b.ok()) << ct;
    EXPECT_EQ(b.error().code, code) << ct;
    EXPECT_NE(b.error().message.find(message), std::string::npos)
        << ct << ": " << b.error().message;
  }
}

TEST(MultipartTest, ParsesValidBodies) {
  struct Case {
    std::string label;
    std::string body;
    std::vector<Expected> parts;
  };
  const std::string kField = "Content-Disposition: form-data; name=\"f\"\n\n";
  const std::vector<Case> cases = {
      {"one field", Crlf("--XyZ\n" + kField + "v\n--XyZ--"), {{"f", {}, "text/plain", "v"}}},
      {"preamble, epilogue and CRLF after the close",
       Crlf("preamble\n--XyZ\n" + kField + "v\n--XyZ--\nepilogue\n--XyZ\n"),
       {{"f", {}, "text/plain", "v"}}},
      {"body starts with CRLF",
       Crlf("\n--XyZ\n" + kField + "v\n--XyZ--\n"),
       {{"f", {}, "text/plain", "v"}}},
      {"transport padding",
       Crlf("--XyZ \t\n" + kField + "v\n--XyZ\t\n" + kField + "w\n--XyZ-- \n"),
       {{"f", {}, "text/plain", "v"}, {"f", {}, "text/plain", "w"}}},
      {"empty data", Crlf("--XyZ\n" + kField + "\n--XyZ--"), {{"f", {}, "text/plain", ""}}},
      {"empty data right before the delimiter",
       Crlf("--XyZ\nContent-Disposition: form-data; name=f\n\n--XyZ--"),
       {{"f", {}, "text/plain", ""}}},
      {"data keeps its CRLFs",
       Crlf("--XyZ\n" + kField + "\na\n\nb\n\n--XyZ--"),
       {{"f", {}, "text/plain", Crlf("\na\n\nb\n")}}},
      {"the boundary inside data without CRLF before it",
       Crlf("--XyZ\n" + kField + "a--XyZ b--XyZ--\n") + "x\n--XyZ\r--XyZ" + Crlf("\n--XyZ--"),
       {{"f", {}, "text/plain", "a--XyZ b--XyZ--\r\nx\n--XyZ\r--XyZ"}}},
      {"no parts", "--XyZ--", {}},
      {"a delimiter after LF alone is data",
       Crlf("--XyZ\n" + kField + "v") + "\n--XyZ\n" + kField + "w\r\n--XyZ--",
       {{"f", {}, "text/plain", "v\n--XyZ\n" + kField + "w"}}},
      {"case-insensitive header names and disposition",
       Crlf("--XyZ\ncontent-DISPOSITION: Form-Data; NAME=\"f\"\nCONTENT-TYPE: text/markdown\n\n"
            "# t\n--XyZ--"),
       {{"f", {}, "text/markdown", "# t"}}},
      {"quoted-string escapes and an empty parameter",
       Crlf("--XyZ\nContent-Disposition: form-data;; name=\"a\\\"b\\\\c\"\n\nv\n--XyZ--"),
       {{"a\"b\\c", {}, "text/plain", "v"}}},
      {"a file with its content type",
       Crlf("--XyZ\nContent-Disposition: form-data; name=\"doc\"; filename=\"notes.md\"\n"
            "Content-Type: text/markdown; charset=utf-8\n\n# Notes\n--XyZ--"),
       {{"doc", "notes.md", "text/markdown; charset=utf-8", "# Notes"}}},
      {"path components are stripped",
       Crlf("--XyZ\nContent-Disposition: form-data; name=a; filename=\"../../etc/passwd\"\n\nx\n"
            "--XyZ\nContent-Disposition: form-data; name=b; "
            "filename=\"C:\\\\Users\\\\me\\\\a.pdf\"\n"
            "\ny\n--XyZ--"),
       {{"a", "passwd", "text/plain", "x"}, {"b", "a.pdf", "text/plain", "y"}}},
      {"filename* (UTF-8) wins over filename",
       Crlf("--XyZ\nContent-Disposition: form-data; name=doc; filename=\"resume.pdf\"; "
            "filename*=UTF-8''r%C3%A9sum%C3%A9%20v2.pdf\n\nx\n--XyZ--"),
       {{"doc", "r\xC3\xA9sum\xC3\xA9 v2.pdf", "text/plain", "x"}}},
      {"filename* in ISO-8859-1, path stripped",
       Crlf("--XyZ\nContent-Disposition: form-data; name=doc; "
            "filename*=iso-8859-1'fr'dir%2Fr%E9sum%E9.txt\n\nx\n--XyZ--"),
       {{"doc", "r\xC3\xA9sum\xC3\xA9.txt", "text/plain", "x"}}},
      {"raw UTF-8 file name",
       Crlf("--XyZ\nContent-Disposition: form-data; name=doc; "
            "filename=\"\xE6\x97\xA5\xE6\x9C\xAC.txt\"\n\nx\n--XyZ--"),
       {{"doc", "\xE6\x97\xA5\xE6\x9C\xAC.txt", "text/plain", "x"}}},
      {"no file chosen",
       Crlf("--XyZ\nContent-Disposition: form-data; name=\"doc\"; filename=\"\"\n"
            "Content-Type: application/octet-stream\n\n\n--XyZ--"),
       {{"doc", "", "application/octet-stream", ""}}},
      {"other headers are ignored, identity transfer encodings accepted",
       Crlf("--XyZ\nX-Custom: 1\nContent-Transfer-Encoding: BINARY\n" + kField + "v\n--XyZ--"),
       {{"f", {}, "text/plain", "v"}}},
      {"repeated names are kept in order",
       Crlf("--XyZ\nContent-Disposition: form-data; name=files; filename=a.txt\n\n1\n"
            "--XyZ\nContent-Disposition: form-data; name=files; filename=b.txt\n\n2\n--XyZ--"),
       {{"files", "a.txt", "text/plain", "1"}, {"files", "b.txt", "text/plain", "2"}}},
      {"NULs and high bytes in data",
       Crlf("--XyZ\n" + kField) + std::string("a\0b\xff\r", 5) + Crlf("\n--XyZ--"),
       {{"f", {}, "text/plain", std::string("a\0b\xff\r", 5)}}},
  };
  for (const auto& c : cases) {
    auto parts = ParseMultipart(c.body, kB, MultipartLimits{});
    ASSERT_TRUE(parts.ok()) << c.label << ": " << parts.error().message;
    ASSERT_EQ(parts->size(), c.parts.size()) << c.label;
    for (std::size_t i = 0; i < c.parts.size(); ++i) {
      const FormPart& got = (*parts)[i];
      EXPECT_EQ(got.name, c.parts[i].name) << c.label;
      EXPECT_EQ(got.filename, c.parts[i].filename) << c.label;
      EXPECT_EQ(got.content_type, c.parts[i].content_type) << c.label;
      EXPECT_EQ(got.data, c.parts[i].data) << c.label;
      // A view into the body, not a copy.
      EXPECT_GE(got.data.data(), c.body.data()) << c.label;
      EXPECT_LE(got.data.data() + got.data.size(), c.body.data() + c.body.size()) << c.label;
    }
  }
}

TEST(MultipartTest, RefusesMalformedBodies) {
  struct Case {
    std::string label;
    std::string body;
    std::string message;
  };
  auto one = [](std::string headers, std::string data = "v") {
    return Crlf("--XyZ\n" + headers + "\n\n" + data + "\n--XyZ--\n");
  };
  const std::string kField = "Content-Disposition: form-data; name=\"f\"\n\n";
  const std::vector<Case> cases = {
      {"empty body", "", "no delimiter line \"--XyZ\""},
      {"wrong boundary", Crlf("--Other\n" + kField + "v\n--Other--"), "no delimiter line"},
      {"truncated in the data", Crlf("--XyZ\n" + kField + "partial da"),
       "without the closing delimiter \"--XyZ--\""},
      {"truncated in the headers", Crlf("--XyZ\nContent-Disp"), "without the closing delimiter"},
      {"missing final --, ending with CRLF", Crlf("--XyZ\n" + kField + "v\n--XyZ\n"),
       "without the closing delimiter"},
      {"missing final --", Crlf("--XyZ\n" + kField + "v\n--XyZ"), "ends after a delimiter line"},
      {"LF-only line endings", "--XyZ\n" + kField + "v\n--XyZ--\n", "LF alone"},
      {"a line starting with the boundary", Crlf("--XyZ\n" + kField + "v\n--XyZW\n--XyZ--"),
       "starts with the boundary \"--XyZ\" but is not a delimiter ('W' follows it)"},
      {"junk after the closing delimiter", Crlf("--XyZ\n" + kField + "v\n--XyZ--junk"),
       "followed by 'j'"},
      {"part without headers", Crlf("--XyZ\n\nv\n--XyZ--"), "part 1 has no Content-Disposition"},
      {"empty part", Crlf("--XyZ\n\n--XyZ--"), "part 1 has no Content-Disposition"},
      {"second part without Content-Disposition",
       Crlf("--XyZ\n" + kField + "v\n--XyZ\nContent-Type: text/plain\n\nw\n--XyZ--"),
       "part 2 has no Content-Disposition"},
      {"headers not ended", Crlf("--XyZ\nContent-Disposition: form-data; name=f\n--XyZ--"),
       "not followed by an empty line"},
      {"attachment", one("Content-Disposition: attachment; name=f"), "\"attachment\", which must"},
      {"no name", one("Content-Disposition: form-data; filename=a.txt"), "has no name"},
      {"empty name", one("Content-Disposition: form-data; name=\"\""), "has no name"},
      {"duplicate name parameter", one("Content-Disposition: form-data; name=a; name=b"),
       "\"name\" appears twice"},
      {"duplicate filename parameter",
       one("Content-Disposition: form-data; name=a; filename=x; FILENAME=y"),
       "\"filename\" appears twice"},
      {"two Content-Disposition headers",
       one("Content-Disposition: form-data; name=a\ncontent-disposition: form-data; name=b"),
       "two content-disposition headers"},
      {"two Content-Type headers",
       one("Content-Disposition: form-data; name=a\nContent-Type: a/b\nContent-Type: c/d"),
       "two Content-Type headers"},
      {"folded header", one("Content-Disposition: form-data;\n name=a"), "folded header lines"},
      {"NUL in a header", one(std::string("Content-Disposition: form-data; name=\"a\0\"", 41)),
       "control character byte 0x00"},
      {"bare CR in a header", one("Content-Disposition: form-data; name=a\rX: y"), "bare CR"},
      {"bare LF in a header",
       "--XyZ\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nv\r\n--XyZ--",
       "bare CR or LF"},
      {"tab in a name", one("Content-Disposition: form-data; name=\"a\tb\""),
       "control character byte 0x09"},
      {"space before the colon", one("Content-Disposition : form-data; name=a"),
       "not of the form Name: value"},
      {"no colon", one("Content-Disposition form-data"), "not of the form Name: value"},
      {"unterminated quoted string", one("Content-Disposition: form-data; name=\"a"), "not closed"},
      {"spaces around =", one("Content-Disposition: form-data; name = a"), "'=' after"},
      {"malformed part Content-Type",
       one("Content-Disposition: form-data; name=a\nContent-Type: pdf"),
       "part 1 (\"a\") has a malformed Content-Type header"},
      {"base64 transfer encoding",
       one("Content-Disposition: form-data; name=a\nContent-Transfer-Encoding: base64"),
       "Content-Transfer-Encoding \"base64\", which is not supported"},
      {"invalid UTF-8 file name", one("Content-Disposition: form-data; name=a; filename=\"\xff\""),
       "file name is not valid UTF-8"},
      {"invalid UTF-8 name", one("Content-Disposition: form-data; name=\"\xc3\x28\""),
       "not valid UTF-8"},
      {"file name ..", one("Content-Disposition: form-data; name=a; filename=\"a/..\""),
       "\"a/..\" does not name a file"},
      {"file name ending in /", one("Content-Disposition: form-data; name=a; filename=\"dir/\""),
       "does not name a file"},
      {"filename* with another charset",
       one("Content-Disposition: form-data; name=a; filename*=koi8-r''x"), "charset \"koi8-r\""},
      {"filename* without quotes", one("Content-Disposition: form-data; name=a; filename*=x.txt"),
       "charset'language'text"},
      {"filename* with a bad escape",
       one("Content-Disposition: form-data; name=a; filename*=UTF-8''a%zz"), "two hex digits"},
      {"filename* decoding to a LF",
       one("Content-Disposition: form-data; name=a; filename*=UTF-8''a%0Ab"),
       "control character byte 0x0A"},
      {"filename* decoding to invalid UTF-8",
       one("Content-Disposition: form-data; name=a; filename*=UTF-8''%C3"), "not valid UTF-8"},
      {"quoted filename*", one("Content-Disposition: form-data; name=a; filename*=\"UTF-8''a\""),
       "must not be quoted"},
  };
  for (const auto& c : cases) {
    auto parts = ParseMultipart(c.body, kB, MultipartLimits{});
    ASSERT_FALSE(parts.ok()) << c.label;
    EXPECT_EQ(parts.error().code, ErrorCode::kInvalidArgument) << c.label;
    EXPECT_EQ(parts.error().slug, "malformed_multipart") << c.label;
    EXPECT_NE(parts.error().message.find(c.message), std::string::npos)
        << c.label << ": " << parts.error().message;
  }
}

TEST(MultipartTest, RefusesAnInvalidBoundaryArgument) {
  std::string body = "--" + std::string(71, 'a') + "--";
  for (std::string boundary : {std::string(), std::string(71, 'a'), std::string("a\r\nb")}) {
    auto parts = ParseMultipart(body, boundary, MultipartLimits{});
    ASSERT_FALSE(parts.ok()) << boundary;
    EXPECT_EQ(parts.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(MultipartTest, EnforcesLimits) {
  MultipartLimits limits;  // the defaults: 32 parts, 4 KiB headers, 10 MiB files, 64 KiB fields
  auto part = [](std::string disposition, std::string_view data) {
    return "--XyZ\r\nContent-Disposition: form-data; " + disposition + "\r\n\r\n" +
           std::string(data) + "\r\n";
  };
  const std::string kEnd = "--XyZ--\r\n";
  const std::string file_max(limits.max_file_bytes, '%');
  const std::string field_max(limits.max_field_bytes, 'a');
  // One header block of exactly max_header_bytes (lines and their CRLFs, not the empty line).
  const std::string cd = "Content-Disposition: form-data; name=h\r\n";
  const std::string header_max =
      cd + "X: " + std::string(limits.max_header_bytes - cd.size() - 5, 'x') + "\r\n";
  ASSERT_EQ(header_max.size(), limits.max_header_bytes);

  struct Case {
    std::string label;
    std::string body;
    std::string message;  // "" when the body is within the limits
  };
  const std::vector<Case> cases = {
      {"file at the limit", part("name=doc; filename=\"a.pdf\"", file_max) + kEnd, ""},
      {"file over the limit", part("name=doc; filename=\"a.pdf\"", file_max + "x") + kEnd,
       "file \"a.pdf\" is larger than 10 MiB"},
      {"unnamed file over the limit", part("name=doc; filename=\"\"", file_max + "x") + kEnd,
       "the file of field \"doc\" is larger than 10 MiB"},
      {"field at the limit", part("name=title", field_max) + kEnd, ""},
      {"field over the limit", part("name=title", field_max + "x") + kEnd,
       "field \"title\" is larger than 64 KiB"},
      {"a field may not be file-sized", part("name=title", file_max) + kEnd, "64 KiB"},
      {"headers at the limit", "--XyZ\r\n" + header_max + "\r\nv\r\n" + kEnd, ""},
      {"headers over the limit", "--XyZ\r\nX: y\r\n" + header_max + "\r\nv\r\n" + kEnd,
       "the headers of part 1 of the form are larger than 4 KiB"},
      {"1 MiB header line without an end",
       "--XyZ\r\nContent-Disposition: form-data; name=\"" + std::string(1 << 20, 'n') + "\r\n" +
           kEnd,
       "larger than 4 KiB"},
  };
  for (const auto& c : cases) {
    auto parts = ParseMultipart(c.body, kB, limits);
    if (c.message.empty()) {
      ASSERT_TRUE(parts.ok()) << c.label << ": " << parts.error().message;
      EXPECT_EQ(parts->size(), 1u) << c.label;
      continue;
    }
    ASSERT_FALSE(parts.ok()) << c.label;
    EXPECT_EQ(parts.error().code, ErrorCode::kPayloadTooLarge) << c.label;
    EXPECT_NE(parts.error().message.find(c.message), std::string::npos)
        << c.label << ": " << parts.error().message;
  }
}

TEST(MultipartTest, TenThousandParts) {
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body +=
        "--XyZ\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nv\r\n";
  }
  body += "--XyZ--\r\n";
  auto refused = ParseMultipart(body, kB, MultipartLimits{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(refused.error().message, "the form has more than 32 parts");

  MultipartLimits many;
  many.max_parts = 10000;
  auto parts = ParseMultipart(body, kB, many);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 10000u);
  EXPECT_EQ(parts->back().name, "f9999");
  many.max_parts = 9999;
  EXPECT_FALSE(ParseMultipart(body, kB, many).ok());
}

// Inputs that make a naive search rescan: each would take minutes if the parser were quadratic
// (the test binary's timeout catches that; no clock is read here).
TEST(MultipartTest, NearMissesStayLinear) {
  MultipartLimits limits;
  limits.max_field_bytes = 64 << 20;
  limits.max_header_bytes = 64 << 20;
  const std::string head = "--XyZ\r\nContent-Disposition: form-data; name=f\r\n\r\n";
  for (std::string unit : {"\r\n--Xy", "\r\n", "\r", "-", "\r\n--XyZ"}) {
    std::string filler;
    while (filler.size() < (8u << 20))
      filler += unit;
    // A near-miss delimiter repeated through the data, and the headers searched for their end.
    std::string in_data = head + filler + "!\r\n--XyZ--";
    std::string in_headers = "--XyZ\r\nContent-Disposition: form-data; name=f" + filler;
    auto a = ParseMultipart(in_data, kB, limits);
    auto b = ParseMultipart(in_headers, kB, limits);
    if (unit != "\r\n--XyZ") {
      ASSERT_TRUE(a.ok()) << a.error().message;
      EXPECT_EQ((*a)[0].data.size(), filler.size() + 1);
    } else {
      EXPECT_FALSE(a.ok());  // a run of delimiter lines: parts without headers
    }
    EXPECT_FALSE(b.ok());
  }
}

// What a browser sends for <input type=file> and a text field, with a payload that holds every
// byte value, CRs, LFs, NULs and the boundary (never after a CRLF).
TEST(MultipartTest, RoundTripsABinaryPdf) {
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\r\n1 0 obj\r\n<< /Type /Catalog >>\r\nstream\r\n";
  for (int i = 0; i < 4096; ++i)
    pdf += static_cast<char>(i % 256);
  pdf += std::string("\0\0\r\n\r\n--\r\n-", 12) + "----WebKitFormBoundaryQ3f--\r\n";
  pdf += "x----WebKitFormBoundaryQ3f\r\nendstream\r\n%%EOF\r\n";

  const std::string boundary = "----WebKitFormBoundaryQ3f";
  std::string body = "--" + boundary +
                     "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
                     "Chapter 1\r\n--" +
                     boundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ch1.pdf\"\r\n"
                     "Content-Type: application/pdf\r\n\r\n" +
                     pdf + "\r\n--" + boundary + "--\r\n";
  // "x--boundary\r\n" and "\r\n-----boundary--" in the payload are not after a CRLF+"--".
  ASSERT_EQ(pdf.find("\r\n--" + boundary), std::string::npos);

  Request request{Method::post, "/api/chatbots/c1/documents", 11};
  request.set(bhttp::field::content_type, "multipart/form-data; boundary=" + boundary);
  request.body() = body;
  auto parts = ParseMultipartBody(request, MultipartLimits{});
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "title");
  EXPECT_FALSE((*parts)[0].is_file());
  EXPECT_EQ((*parts)[0].data, "Chapter 1");
  const FormPart& file = (*parts)[1];
  EXPECT_EQ(file.name, "file");
  EXPECT_EQ(file.filename, "ch1.pdf");
  EXPECT_EQ(file.content_type, "application/pdf");
  EXPECT_EQ(file.data, pdf);
  EXPECT_EQ(file.data.data(), request.body().data() + request.body().find("%PDF"));
}

TEST(MultipartTest, ParseMultipartBodyChecksTheContentType) {
  Request request{Method::post, "/x", 11};
  request.set(bhttp::field::content_type, "application/json");
  request.body() = "--XyZ--";
  auto parts = ParseMultipartBody(request, MultipartLimits{});
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().code, ErrorCode::kUnsupportedMediaType);
  request.set(bhttp::field::content_type, "multipart/form-data; boundary=XyZ");
  EXPECT_TRUE(ParseMultipartBody(request, MultipartLimits{}).ok());
}

}  // namespace
}  // namespace studybot::http
