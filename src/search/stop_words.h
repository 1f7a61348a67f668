// Stop-word lists for English and French: the words too common to help keyword search, also used
// as the evidence for language detection. Constant tables; thread-safe.
#pragma once

#include <string_view>

namespace studybot::search {

// `word` lower-cased as Tokenize gives it (ASCII apostrophe in contractions).
bool IsEnglishStopWord(std::string_view word);
bool IsFrenchStopWord(std::string_view word);

}  // namespace studybot::search
