#include "ingest/upload.h"

#include <algorithm>

#include "core/strings.h"

namespace studybot::ingest {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The format of a file name's extension, or "".
std::string FormatOf(const std::string& filename) {
  auto dot = filename.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = Lower(std::string_view(filename).substr(dot + 1));
  if (ext == "txt" || ext == "text") return "text";
  if (ext == "md" || ext == "markdown") return "markdown";
  if (ext == "html" || ext == "htm") return "html";
  if (ext == "pdf") return "pdf";
  return "";
}

std::string Stem(const std::string& filename) {
  auto dot = filename.rfind('.');
  return dot == std::string::npos || dot == 0 ? filename : filename.substr(0, dot);
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

http::MultipartLimits UploadLimits(const DocumentLimits& limits) {
  http::MultipartLimits l;
  l.max_parts = kMaxUploadFiles + 3;
  l.max_file_bytes = limits.max_bytes;
  l.max_field_bytes = 64 * 1024;
  return l;
}

Result<std::vector<DocumentInput>> UploadInputs(const std::vector<http::FormPart>& parts) {
  std::vector<const http::FormPart*> files;
  std::optional<std::string> title, url;
  std::vector<std::string> tags;
  std::vector<FieldError> bad;
  for (const auto& p : parts) {
    if (p.name == "file") {
      if (!p.is_file()) {
        bad.push_back({"/file", "must be a file, not a text field"});
        continue;
      }
      files.push_back(&p);
      continue;
    }
    if (p.is_file()) {
      bad.push_back({"/" + p.name, "only the field \"file\" takes files"});
      continue;
    }
    std::string value(p.data);
    if (CleanUtf8(value).size() != value.size()) {
      bad.push_back({"/" + p.name, "not UTF-8"});
      continue;
    }
    if (p.name == "title" || p.name == "url") {
      auto& slot = p.name == "title" ? title : url;
      if (slot) bad.push_back({"/" + p.name, "given twice"});
      if (value.empty() || value.size() > (p.name == "title" ? 1024u : 2048u) ||
          value.find_first_of("\r\n") != std::string::npos) {
        bad.push_back({"/" + p.name, "must be one non-empty line of at most " +
                                         std::string(p.name == "title" ? "1024" : "2048") +
                                         " bytes"});
      }
      slot = std::move(value);
    } else if (p.name == "tags") {
      for (std::size_t start = 0; start <= value.size();) {
        auto comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        auto tag = Trim(std::string_view(value).substr(start, comma - start));
        if (!tag.empty()) tags.push_back(tag);
        start = comma + 1;
      }
      if (tags.size() > 20) bad.push_back({"/tags", "at most 20 tags"});
      std::sort(tags.begin(), tags.end());
      if (std::adjacent_find(tags.begin(), tags.end()) != tags.end()) {
        bad.push_back({"/tags", "a tag is given twice"});
      }
      for (const auto& t : tags) {
        if (t.size() > 64) bad.push_back({"/tags", "a tag has at most 64 bytes"});
      }
    } else {
      bad.push_back({"/" + p.name, "unknown field (file, title, url and tags are accepted)"});
    }
  }
  if (files.empty()) bad.push_back({"/file", "at least one file is needed"});
  if (files.size() > kMaxUploadFiles) {
    bad.push_back({"/file", "at most " + std::to_string(kMaxUploadFiles) + " files per upload"});
  }
  if (files.size() > 1 && (title || url)) {
    bad.push_back({title ? "/title" : "/url", "only with a single file"});
  }
  if (!bad.empty()) {
    if (bad.size() > 20) bad.resize(20);
    return Error::InvalidArgument("invalid upload", std::move(bad));
  }
  std::vector<DocumentInput> out;
  for (const auto* f : files) {
    const std::string& name = *f->filename;
    std::string format = name.empty() ? "" : FormatOf(name);
    if (format.empty()) {
      return Error::UnsupportedMediaType("file \"" + name +
                                         "\": only .txt, .md, .html and .pdf files are accepted")
          .WithSlug("unsupported_file_type");
    }
    if (f->data.empty()) {
      return Error::InvalidArgument("file \"" + name + "\" is empty", {{"/file", "empty"}});
    }
    if (format == "pdf" && !f->data.starts_with("%PDF-")) {
      return Error::InvalidArgument("file \"" + name + "\" is not a PDF", {{"/file", "not a PDF"}});
    }
    DocumentInput in;
    in.title = title.value_or(Stem(name));
    in.url = url.value_or("");
    in.format = format;
    in.tags = tags;
    in.content = std::string(f->data);
    out.push_back(std::move(in));
  }
  return out;
}

}  // namespace studybot::ingest
