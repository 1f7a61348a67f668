// Reading a multipart/form-data request body (RFC 7578; delimiters as in RFC 2046 section 5.1.1):
// the upload route's file plus its few text fields. Strict and bounded: anything outside the
// grammar is refused with InvalidArgument (slug "malformed_multipart"), a part over its limit
// with PayloadTooLarge, and the work is linear in the body's size.
//
// Written here rather than taken from Debian 12: its form parsers run only on their own server's
// connections (libmicrohttpd's MHD_PostProcessor, civetweb) or CGI environment (cgicc), or bring
// a whole framework (Poco's Net stack, GMime on glib) for what is a few hundred lines of grammar.
//
// What is accepted, and why:
// - Line endings are CRLF only: a delimiter line ending in LF alone is refused with a message
//   saying so, and "--boundary" after a bare LF is data. Every browser and HTTP client sends
//   CRLF, and reading part ends differently from a proxy or scanner in front of us is how
//   filters get bypassed.
// - Any line that starts with "--boundary" after a CRLF is a delimiter (RFC 2046: "it is
//   sufficient that the boundary appear in its entirety following the CRLF"); one followed by
//   anything but transport padding (SP, HTAB) and CRLF, or "--", is refused rather than read as
//   data. The boundary inside data without a CRLF before it is data.
// - The preamble and the epilogue are ignored; the body may start with "--boundary" directly.
//   "--boundary--" alone is a form without parts.
// - Part headers: names case-insensitive, no obsolete line folding, no control characters other
//   than HTAB, at most one Content-Disposition and one Content-Type. Content-Disposition must be
//   form-data with a non-empty name. Content-Transfer-Encoding other than 7bit, 8bit or binary
//   is refused (RFC 7578 section 4.7 deprecates it). Other headers are ignored (section 4.8).
// - Parameters follow RFC 9110: no spaces around '=', token or quoted-string values (quoted-pair
//   escapes are undone, so an unescaped "C:\dir\a.txt" reads as "C:dira.txt"), and a parameter
//   may appear once. Browsers send '"', CR and LF in names as %22, %0D, %0A; that is not undone.
// - filename* (RFC 8187, UTF-8 or ISO-8859-1) takes precedence over filename when both are sent.
//   RFC 7578 forbids senders to use it, but some HTTP client libraries do.
// - Several parts may share a name (RFC 7578 section 4.3: one part per selected file); the
//   caller decides whether a field may repeat.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/types.h"

namespace studybot::http {

struct MultipartLimits {
  // Parts in the form; the next one is refused with PayloadTooLarge.
  std::size_t max_parts = 32;
  // Bytes of one part's header lines, CRLFs included. Enough for a 255-byte UTF-8 file name
  // sent both as filename and percent-encoded as filename*.
  std::size_t max_header_bytes = 4 * 1024;
  // Bytes of the data of a part with a filename parameter (a file, even an empty one).
  std::size_t max_file_bytes = 10 * 1024 * 1024;
  // Bytes of the data of a part without one (a text field).
  std::size_t max_field_bytes = 64 * 1024;
};

struct FormPart {
  // The Content-Disposition name: non-empty valid UTF-8 without control characters.
  std::string name;
  // Present for a file part. The last path component of filename* or filename: valid UTF-8,
  // without control characters, never "." or "..". "" when the browser sent filename="", which
  // it does for a file input with no file chosen.
  std::optional<std::string> filename;
  // The part's Content-Type as sent, parameters included ("application/pdf",
  // "text/plain; charset=utf-8"); "text/plain" when absent (RFC 7578 section 4.4).
  std::string content_type;
  // The part's bytes, unchanged (any bytes, NULs included). A view into the parsed body, not a
  // copy: it is valid only while that body is.
  std::string_view data;

  bool is_file() const { return filename.has_value(); }
};

// The boundary of a Content-Type header value: "multipart/form-data; boundary=..." with the
// boundary a token or a quoted-string of 1 to 70 characters from RFC 2046's set (digits,
// letters, '()+_,-./:=? and inner spaces). UnsupportedMediaType when the media type is another;
// InvalidArgument when the boundary is missing, repeated or invalid.
Result<std::string> MultipartBoundary(std::string_view content_type);

// The parts of `body`, in order, delimited by `boundary` (as returned by MultipartBoundary).
// REQUIRES: `body` outlives the result (FormPart::data points into it).
Result<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             const MultipartLimits& limits);

// MultipartBoundary of the request's Content-Type, then ParseMultipart of its body.
// REQUIRES: `request` outlives the result.
Result<std::vector<FormPart>> ParseMultipartBody(const Request& request,
                                                 const MultipartLimits& limits);

}  // namespace studybot::http
