#include "ingest/chunker.h"

#include <algorithm>
#include <cassert>
#include <string_view>
#include <utility>

#include "core/strings.h"
#include "ingest/sentences.h"
#include "ingest/text_clean.h"
#include "ingest/token_count.h"

namespace studybot::ingest {
namespace {

constexpr int kMinSizeTokens = 50;
constexpr int kMaxSizeTokens = 4000;

// What separates a piece from the one before it in a chunk's text.
enum class Join { kNone, kSpace, kLine, kParagraph };

std::string_view JoinText(Join join) {
  switch (join) {
    case Join::kNone:
      return "";
    case Join::kSpace:
      return " ";
    case Join::kLine:
      return "\n";
    case Join::kParagraph:
      return "\n\n";
  }
  return "";
}

// A piece of a block that is never split further: a whole block, a sentence, a line, a run of
// words, or part of one giant word.
struct Piece {
  std::string_view text;
  std::size_t tokens;
  Join join;  // to the piece before it, when both are in one chunk
};

// Block text normalised as document.h promises, whoever built the document.
std::string NormalizeBlock(const Block& block) {
  std::string clean = SanitizeText(block.text);
  if (block.kind == Block::Kind::kCode) return NormalizePreformatted(clean);
  if (block.kind != Block::Kind::kTable) return CollapseWhitespace(clean);
  std::string rows;
  for (std::size_t start = 0; start <= clean.size();) {
    std::size_t end = std::min(clean.find('\n', start), clean.size());
    std::string row = CollapseWhitespace(std::string_view(clean).substr(start, end - start));
    if (!row.empty()) rows += (rows.empty() ? "" : "\n") + row;
    start = end + 1;
  }
  return rows;
}

// Splits prose at sentences, then words, then inside a word, into pieces of at most `max_tokens`.
// The first piece joins with `first_join`.
void SplitProse(std::string_view text, std::size_t max_tokens, Join first_join,
                std::vector<Piece>* pieces) {
  Join join = first_join;
  for (std::string_view sentence : SplitSentences(text)) {
    std::size_t tokens = CountTokens(sentence);
    if (tokens <= max_tokens) {
      pieces->push_back({sentence, tokens, join});
      join = Join::kSpace;
      continue;
    }
    std::string_view rest = sentence;
    while (!rest.empty()) {
      std::string_view piece = PrefixWithinTokens(rest, max_tokens);
      if (piece.empty()) break;  // cannot happen for max_tokens > 0; never loop forever
      pieces->push_back({piece, CountTokens(piece), join});
      rest.remove_prefix(piece.size());
      // A cut at whitespace is a word boundary; a cut inside a word rejoins without a space.
      join = !rest.empty() && IsSpace(static_cast<unsigned char>(rest.front())) ? Join::kSpace
                                                                                : Join::kNone;
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\n'))
        rest.remove_prefix(1);
    }
    join = Join::kSpace;
  }
}

// A block larger than a chunk, as pieces of at most `max_tokens`: code and tables by lines first.
std::vector<Piece> SplitBlock(std::string_view text, Block::Kind kind, std::size_t max_tokens,
                              Join first_join) {
  std::vector<Piece> pieces;
  if (kind != Block::Kind::kCode && kind != Block::Kind::kTable) {
    SplitProse(text, max_tokens, first_join, &pieces);
    return pieces;
  }
  Join join = first_join;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::size_t tokens = CountTokens(line);
    if (tokens <= max_tokens) {
      pieces.push_back({line, tokens, join});
    } else {
      SplitProse(line, max_tokens, join, &pieces);
    }
    join = Join::kLine;
  }
  return pieces;
}

// The end of `text` to repeat at the start of the next chunk. Prose: the longest run of whole
// trailing sentences within `budget` tokens if it reaches half the budget, else the longest run
// of whole trailing words. Code and tables: the longest run of whole trailing lines, as a row or
// line cut in two reads as a different one. Always a suffix of `text`, maybe empty.
std::string_view OverlapTail(std::string_view text, std::size_t budget, bool prose) {
  if (budget == 0 || text.empty()) return {};
  std::vector<std::size_t> starts;  // where sentences (or lines) begin, in order
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    if (!prose) {
      if (!Trim(line).empty()) starts.push_back(start);
    } else {
      for (std::string_view sentence : SplitSentences(line))
        starts.push_back(static_cast<std::size_t>(sentence.data() - text.data()));
    }
    start = end + 1;
  }
  std::string_view best;
  for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
    std::string_view tail = text.substr(*it);
    if (CountTokens(tail) > budget) break;
    best = tail;
  }
  if (!prose || (!best.empty() && 2 * CountTokens(best) >= budget)) return best;
  std::string_view words = SuffixWithinTokens(text, budget);
  return words.size() > best.size() ? words : best;
}

class ChunkWriter {
 public:
  ChunkWriter(const ChunkingOptions& options, std::vector<Chunk>* chunks)
      : size_(static_cast<std::size_t>(options.size_tokens)),
        overlap_(static_cast<std::size_t>(options.overlap_tokens)),
        chunks_(chunks) {}

  // Ends the current chunk; the next one starts a new section (or page), without overlap.
  void StartSection(std::vector<std::string> heading_path, std::string anchor, int page) {
    EndSection();
    heading_path_ = std::move(heading_path);
    anchor_ = std::move(anchor);
    page_ = page;
  }
  void SetPage(int page) {
    if (page == page_) return;
    EndSection();
    page_ = page;
  }

  void AddBlock(const Block& block) {
    std::string text = NormalizeBlock(block);
    if (text.empty()) return;
    bool list_item = block.kind == Block::Kind::kListItem;
    adding_kind_ = block.kind;
    Join join = list_item && last_was_list_item_ ? Join::kLine : Join::kParagraph;
    last_was_list_item_ = list_item;
    std::size_t tokens = CountTokens(text);
    if (tokens <= size_ && Fits(tokens)) {
      Add({text, tokens, join});
      return;
    }
    // A paragraph may fill a chunk that is less than half full; anything else that fits in a
    // chunk of its own goes there whole.
    bool fill = block.kind == Block::Kind::kParagraph && has_content_ && 2 * tokens_ < size_;
    if (tokens <= size_ && !fill) {
      NextChunk(tokens);
      Add({text, tokens, join});
      return;
    }
    for (const Piece& piece : SplitBlock(text, block.kind, size_, join)) {
      if (!Fits(piece.tokens)) NextChunk(piece.tokens);
      Add(piece);
    }
  }

  void Finish() { EndSection(); }

 private:
  bool Fits(std::size_t tokens) const { return tokens_ + tokens <= size_; }

  void Add(const Piece& piece) {
    if (!text_.empty()) text_ += JoinText(piece.join);
    text_ += piece.text;
    tokens_ += piece.tokens;
    tail_kind_ = adding_kind_;
    has_content_ = true;
  }

  // Emits the current chunk (if it holds more than an overlap) and returns its text.
  std::string Emit() {
    std::string text = std::move(text_);
    text_.clear();
    tokens_ = 0;
    if (!has_content_) return {};
    has_content_ = false;
    Chunk chunk;
    chunk.text = text;
    chunk.heading_path = heading_path_;
    chunk.anchor = anchor_;
    chunk.page = page_;
    chunk.position = static_cast<int>(chunks_->size());
    chunk.token_count = static_cast<int>(CountTokens(chunk.text));
    chunks_->push_back(std::move(chunk));
    return text;
  }

  // Emits the current chunk and starts the next with an overlap that leaves room for a piece of
  // `next_tokens`.
  void NextChunk(std::size_t next_tokens) {
    std::string previous = Emit();
    std::size_t room = size_ > next_tokens ? size_ - next_tokens : 0;
    bool prose = tail_kind_ == Block::Kind::kParagraph || tail_kind_ == Block::Kind::kListItem;
    std::string_view tail = OverlapTail(previous, std::min(overlap_, room), prose);
    text_ = std::string(tail);
    tokens_ = CountTokens(text_);
  }

  void EndSection() {
    Emit();
    last_was_list_item_ = false;
  }

  const std::size_t size_;
  const std::size_t overlap_;
  std::vector<Chunk>* chunks_;
  std::vector<std::string> heading_path_;
  std::string anchor_;
  int page_ = 0;
  std::string text_;  // the chunk being filled, overlap included
  std::size_t tokens_ = 0;
  bool has_content_ = false;  // text_ holds more than the overlap
  bool last_was_list_item_ = false;
  Block::Kind adding_kind_ = Block::Kind::kParagraph;  // of the block being added
  Block::Kind tail_kind_ = Block::Kind::kParagraph;    // of the last piece in text_
};

}  // namespace

Status ValidateChunkingOptions(const ChunkingOptions& options) {
  std::vector<FieldError> errors;
  if (options.size_tokens < kMinSizeTokens || options.size_tokens > kMaxSizeTokens) {
    errors.push_back({"/size_tokens", "must be between " + std::to_string(kMinSizeTokens) +
                                          " and " + std::to_string(kMaxSizeTokens)});
  }
  if (options.overlap_tokens < 0 || 2 * options.overlap_tokens >= options.size_tokens) {
    errors.push_back({"/overlap_tokens", "must be at least 0 and less than half of size_tokens"});
  }
  if (!errors.empty()) return Error::InvalidArgument("invalid chunking options", errors);
  return OkStatus();
}

std::vector<Chunk> ChunkDocument(const ParsedDocument& document, const ChunkingOptions& options) {
  assert(ValidateChunkingOptions(options).ok());
  ChunkingOptions clamped;
  clamped.size_tokens = std::clamp(options.size_tokens, kMinSizeTokens, kMaxSizeTokens);
  clamped.overlap_tokens = std::clamp(options.overlap_tokens, 0, (clamped.size_tokens - 1) / 2);

  struct Heading {
    int level;
    std::string text;
    std::string anchor;
  };
  std::vector<Heading> headings;  // the open sections, outermost first
  std::vector<Chunk> chunks;
  ChunkWriter writer(clamped, &chunks);
  for (const Block& block : document.blocks) {
    if (block.kind == Block::Kind::kHeading) {
      int level = std::clamp(block.level, 1, 6);
      while (!headings.empty() && headings.back().level >= level)
        headings.pop_back();
      headings.push_back({level, CollapseWhitespace(SanitizeText(block.text)),
                          CollapseWhitespace(SanitizeText(block.anchor))});
      std::vector<std::string> path;
      std::string anchor;
      for (const Heading& heading : headings) {
        path.push_back(heading.text);
        if (!heading.anchor.empty()) anchor = heading.anchor;
      }
      writer.StartSection(std::move(path), std::move(anchor), block.page);
      continue;
    }
    writer.SetPage(block.page);
    writer.AddBlock(block);
  }
  writer.Finish();
  return chunks;
}

}  // namespace studybot::ingest
