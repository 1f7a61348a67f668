#include "ingest/text_clean.h"

#include <algorithm>

#include "core/strings.h"

namespace studybot::ingest {
namespace {

bool IsContinuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

bool InRange(char32_t cp, char32_t lo, char32_t hi) {
  return cp >= lo && cp <= hi;
}

}  // namespace

char32_t NextCodePoint(std::string_view text, std::size_t* pos) {
  std::size_t i = *pos;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char c = byte(i);
  auto invalid = [&] {
    *pos = i + 1;
    return kReplacementChar;
  };
  if (c < 0x80) {
    *pos = i + 1;
    return c;
  }
  std::size_t length = 0;
  char32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    cp = c & 0x07;
  } else {
    return invalid();
  }
  if (i + length > text.size()) return invalid();
  for (std::size_t k = 1; k < length; ++k) {
    if (!IsContinuation(byte(i + k))) return invalid();
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
  if ((length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      InRange(cp, 0xD800, 0xDFFF)) {
    return invalid();
  }
  *pos = i + length;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp > 0x10FFFF || InRange(cp, 0xD800, 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || InRange(cp, '\t', '\r') || cp == 0xA0 || InRange(cp, 0x2000, 0x200A) ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool IsPunctOrSymbol(char32_t cp) {
  if (cp < 0x80) {
    return InRange(cp, '!', '/') || InRange(cp, ':', '@') || InRange(cp, '[', '`') ||
           InRange(cp, '{', '~');
  }
  // Latin-1: ¡ to ¿ except the letters ª µ º and the digits ² ³ ¹ ¼ ½ ¾; × and ÷.
  if (InRange(cp, 0xA1, 0xBF)) {
    return cp != 0xAA && cp != 0xB5 && cp != 0xBA && cp != 0xB2 && cp != 0xB3 && cp != 0xB9 &&
           !InRange(cp, 0xBC, 0xBE);
  }
  return cp == 0xD7 || cp == 0xF7 || InRange(cp, 0x2010, 0x205E) || InRange(cp, 0x20A0, 0x20CF) ||
         InRange(cp, 0x2100, 0x214F) || InRange(cp, 0x2190, 0x2BFF) ||
         InRange(cp, 0x3001, 0x303F) || InRange(cp, 0xFE30, 0xFE4F) ||
         InRange(cp, 0xFF01, 0xFF0F) || InRange(cp, 0xFF1A, 0xFF20) ||
         InRange(cp, 0xFF3B, 0xFF40) || InRange(cp, 0xFF5B, 0xFF65) ||
         InRange(cp, 0xFFF0, 0xFFFF) || InRange(cp, 0x1F000, 0x1FAFF);
}

bool IsWideScript(char32_t cp) {
  return InRange(cp, 0x1100, 0x11FF) ||  // Hangul Jamo
         InRange(cp, 0x3040, 0x30FF) ||  // Hiragana, Katakana
         InRange(cp, 0x3130, 0x318F) ||  // Hangul compatibility Jamo
         InRange(cp, 0x3400, 0x4DBF) ||  // CJK extension A
         InRange(cp, 0x4E00, 0x9FFF) ||  // CJK unified ideographs
         InRange(cp, 0xAC00, 0xD7AF) ||  // Hangul syllables
         InRange(cp, 0xF900, 0xFAFF) ||  // CJK compatibility ideographs
         InRange(cp, 0x20000, 0x3FFFF);  // CJK extensions B and beyond
}

bool IsUpper(char32_t cp) {
  if (cp < 0x80) return InRange(cp, 'A', 'Z');
  if (InRange(cp, 0xC0, 0xDE)) return cp != 0xD7;
  if (InRange(cp, 0x100, 0x17F)) return cp != 0x138 && ToLowerChar(cp) != cp;
  return InRange(cp, 0x391, 0x3AB) || InRange(cp, 0x400, 0x42F);
}

bool IsLower(char32_t cp) {
  if (cp < 0x80) return InRange(cp, 'a', 'z');
  if (InRange(cp, 0xDF, 0xFF)) return cp != 0xF7;
  if (InRange(cp, 0x100, 0x17F)) return !IsUpper(cp);
  return InRange(cp, 0x3AC, 0x3CE) || InRange(cp, 0x430, 0x45F);
}

char32_t ToLowerChar(char32_t cp) {
  if (cp < 0x80) return InRange(cp, 'A', 'Z') ? cp + 32 : cp;
  if (InRange(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 32;
  // Latin Extended-A alternates upper/lower in pairs, with the parity flipping in two stretches.
  if (InRange(cp, 0x100, 0x137) || InRange(cp, 0x14A, 0x177)) return cp | 1;
  if (InRange(cp, 0x139, 0x148) || InRange(cp, 0x179, 0x17E)) return (cp & 1) ? cp + 1 : cp;
  if (cp == 0x178) return 0xFF;  // Ÿ
  if (InRange(cp, 0x391, 0x3AB) && cp != 0x3A2) return cp + 32;
  if (InRange(cp, 0x410, 0x42F)) return cp + 32;
  if (InRange(cp, 0x400, 0x40F)) return cp + 80;
  return cp;
}

std::string SanitizeText(std::string_view text) {
  std::string clean = CleanUtf8(text);
  std::string out;
  out.reserve(clean.size());
  std::size_t pos = 0;
  while (pos < clean.size()) {
    std::size_t start = pos;
    char32_t cp = NextCodePoint(clean, &pos);
    if (cp == '\r') {
      if (pos < clean.size() && clean[pos] == '\n') ++pos;
      out.push_back('\n');
    } else if (cp == '\n' || cp == '\f' || cp == 0x2028 || cp == 0x2029) {
      out.push_back('\n');
    } else if (cp == '\t') {
      out.push_back('\t');
    } else if (cp < 0x20 || InRange(cp, 0x7F, 0x9F) || cp == 0xAD || cp == 0x200B || cp == 0x2060 ||
               cp == 0xFEFF) {
      continue;
    } else {
      out.append(clean, start, pos - start);
    }
  }
  return out;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t start = pos;
    char32_t cp = NextCodePoint(text, &pos);
    if (IsSpace(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(text.substr(start, pos - start));
  }
  return out;
}

std::string NormalizePreformatted(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  int pending_newlines = 0;
  for (std::string_view line : Split(text, '\n')) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty()) {
      if (!out.empty()) pending_newlines = 2;
      continue;
    }
    if (!out.empty()) out.append(static_cast<std::size_t>(std::max(pending_newlines, 1)), '\n');
    pending_newlines = 0;
    out.append(line);
  }
  return out;
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && IsContinuation(static_cast<unsigned char>(text[end])))
    --end;
  return text.substr(0, end);
}

}  // namespace studybot::ingest
