#include "ai/learned_embedder.h"

#include "ai/lsa_model.h"

namespace studybot::ai {

Result<LearnedModel> TrainLearnedEmbedder(const std::vector<std::string>& chunks, int dimensions,
                                          search::Language language,
                                          std::function<bool()> cancelled) {
  if (chunks.size() < kMinLearnedChunks) {
    return Error::InvalidArgument("too few chunks to learn an embedder from");
  }
  LsaOptions o;
  o.dimensions = std::min<int>(dimensions, static_cast<int>(chunks.size()) - 1);
  o.language = language;
  o.cancelled = std::move(cancelled);
  auto model = LsaModel::Train(chunks, o);
  if (!model.ok()) return model.error();
  LearnedModel out;
  out.bytes = model->Save();
  out.embedder = std::make_shared<LsaModel>(std::move(model).value());
  return out;
}

Result<std::shared_ptr<Embedder>> LoadLearnedEmbedder(std::string_view id, std::string_view bytes) {
  auto model = LsaModel::Load(bytes);
  if (!model.ok()) return model.error();
  if (model->id() != id)
    return Error::InvalidArgument("the stored model is not " + std::string(id));
  return std::shared_ptr<Embedder>(std::make_shared<LsaModel>(std::move(model).value()));
}

bool IsLearnedEmbedderId(std::string_view id) {
  return id.starts_with("lsa-");
}

}  // namespace studybot::ai
