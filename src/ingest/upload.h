// Multipart uploads of documents (POST /api/chatbots/:id/documents with multipart/form-data):
// which form fields are accepted and how each file becomes a DocumentInput.
//
// Fields: `file` (1 to kMaxUploadFiles, each .txt, .md/.markdown, .html/.htm or .pdf, the format
// taken from the extension), and optionally `title` and `url` (one file only: its title
// defaults to the file name without extension) and `tags` (comma-separated, given to every
// file). Anything else, an empty or mis-typed file, a PDF that does not start like one, or text
// that is not UTF-8 is refused as a whole (400 or 415) before anything is stored.
#pragma once

#include <vector>

#include "core/result.h"
#include "http/multipart.h"
#include "ingest/document_service.h"

namespace studybot::ingest {

inline constexpr std::size_t kMaxUploadFiles = 20;

// The limits the upload route parses with: per file the document size limit, per part header
// 4 KiB, text fields 64 KiB. The whole body is bounded by http.upload_limit.
http::MultipartLimits UploadLimits(const DocumentLimits& limits);

Result<std::vector<DocumentInput>> UploadInputs(const std::vector<http::FormPart>& parts);

}  // namespace studybot::ingest
