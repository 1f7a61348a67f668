// Text cleaning and character classes shared by the ingestion parsers, the token estimate and the
// chunker. Everything that enters a ParsedDocument goes through SanitizeText first, so that the
// rest of the pipeline can assume valid UTF-8 without control characters.
//
// The character classes are deliberately coarse (a few Unicode ranges, no tables): they decide
// where a word or sentence ends and how a slug is spelt, never anything a user sees changed.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace studybot::ingest {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point at `text[*pos]` and advances `*pos` past it. An invalid or truncated
// sequence decodes as U+FFFD and advances by one byte, so any input makes progress.
// REQUIRES: *pos < text.size()
char32_t NextCodePoint(std::string_view text, std::size_t* pos);

// Appends `cp` encoded as UTF-8 (surrogates and values beyond U+10FFFF as U+FFFD).
void AppendUtf8(char32_t cp, std::string* out);

// Whitespace: ASCII space, \t, \n, \r, \f, \v, no-break spaces (U+00A0, U+202F), the typographic
// spaces U+2000-U+200A, U+205F and the ideographic space U+3000. French typography puts a
// (narrow) no-break space before ; : ! ? and inside « », so these must count.
bool IsSpace(char32_t cp);

// Punctuation or a symbol: ASCII punctuation, Latin-1 punctuation and symbols, general
// punctuation (U+2010-U+205E), arrows, math and technical symbols, box drawing, dingbats, CJK
// punctuation, full-width ASCII punctuation, the specials (U+FFFD) and emoji.
bool IsPunctOrSymbol(char32_t cp);

// CJK ideographs, kana and Hangul: scripts written without spaces, where a BPE token covers about
// one character.
bool IsWideScript(char32_t cp);

// Upper and lower case for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; other code points
// are neither and map to themselves.
bool IsUpper(char32_t cp);
bool IsLower(char32_t cp);
char32_t ToLowerChar(char32_t cp);

// Text from outside as clean UTF-8: invalid sequences become U+FFFD; \r\n, \r, U+2028 and U+2029
// become \n; \f becomes \n (pdftotext-style page breaks); other control characters (C0 but \t and
// \n, DEL, C1) are dropped, and so are the BOM, the soft hyphen, U+200B and U+2060, which split
// or join words invisibly and would break search.
std::string SanitizeText(std::string_view text);

// Text as one line: each run of whitespace (IsSpace) becomes one ASCII space; trimmed.
std::string CollapseWhitespace(std::string_view text);

// Preformatted text (code): lines kept, trailing whitespace of each line dropped, runs of blank
// lines reduced to one, leading and trailing blank lines dropped. Tabs and indentation are kept.
std::string NormalizePreformatted(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence.
std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace studybot::ingest
