// StandaloneQuestion: the built-in way of turning a follow-up ("and how much does it cost?")
// into a question retrieval can answer without the conversation (issue 10, step 1; a configured
// LLM does this itself).
//
// The heuristic: a question is a follow-up when there is an earlier question in the session and
// the new one (a) refers back (a pronoun or demonstrative such as it, they, this, that, those;
// elle, ils, ça, cela, celui, là) and has at most three content words, (b) has at most two content
// words, or (c) opens like a continuation ("and ...", "what about ...", "how about ...", "et ...",
// "et pour ..."). A follow-up is completed with the content words of the latest earlier question
// that has two or more (a "thanks!" is no topic; failing that, the latest with any) that it does
// not contain (appended, in their order), which brings back the topic while the new words still
// decide what is asked. Anything else is returned unchanged.
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace studybot::chat {

// `earlier_questions`: the session's previous visitor messages, oldest first.
std::string StandaloneQuestion(std::string_view question,
                               const std::vector<std::string>& earlier_questions);

// Whether StandaloneQuestion would treat `question` as a follow-up (given an earlier question).
bool LooksLikeFollowUp(std::string_view question);

}  // namespace studybot::chat
