// Test helper: writes small valid PDFs by hand, so that PDF tests need no files.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace studybot::ingest {

struct PdfSpec {
  std::vector<std::vector<std::string>> pages;  // lines of text per page, WinAnsi (Latin-1) bytes
  std::string title;
  bool encrypted = false;  // with a user password nobody knows
};

// A minimal valid PDF, written by hand: one Helvetica font, one content stream per page drawing
// its lines top down, an xref table with exact offsets.
inline std::string MakePdf(const PdfSpec& spec) {
  std::vector<std::string> objects;  // object i + 1
  int page_count = static_cast<int>(spec.pages.size());
  // 1: catalog, 2: pages, 3: font, 4: info, then page and content objects in pairs.
  std::string kids;
  for (int i = 0; i < page_count; ++i)
    kids += std::to_string(5 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(page_count) +
                    " >>");
  objects.push_back(
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  objects.push_back("<< /Title (" + spec.title + ") >>");
  for (int i = 0; i < page_count; ++i) {
    std::string content = "BT /F1 12 Tf 72 720 Td 14 TL\n";
    for (const std::string& line : spec.pages[i])
      content += "(" + line + ") '\n";
    content += "ET";
    objects.push_back(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
        "<< /F1 3 0 R >> >> /Contents " +
        std::to_string(6 + 2 * i) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "\nendstream");
  }
  if (spec.encrypted) {
    objects.push_back("<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + std::string(64, 'A') +
                      "> /U <" + std::string(64, 'B') + "> >>");
  }
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t offset : offsets) {
    char entry[21];
    std::snprintf(entry, sizeof(entry), "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R /Info 4 0 R";
  if (spec.encrypted) {
    pdf += " /Encrypt " + std::to_string(objects.size()) + " 0 R /ID [<" + std::string(32, '1') +
           "> <" + std::string(32, '1') + ">]";
  }
  pdf += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace studybot::ingest
