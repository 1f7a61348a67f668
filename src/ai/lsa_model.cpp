#include "ai/lsa_model.h"

#include <algorithm>
#include <cmath>
#include <random>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
#include <Eigen/Sparse>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "core/crypto.h"
#include "search/binary_io.h"

namespace studybot::ai {
namespace {

using SparseMatrix = Eigen::SparseMatrix<float, Eigen::RowMajor>;

}  // namespace

Result<LsaModel> LsaModel::Train(const std::vector<std::string>& chunks,
                                 const LsaOptions& options) {
  if (chunks.size() < 2) return Error::InvalidArgument("LSA needs at least two chunks");
  LsaModel model(options.language);
  // Terms per chunk, and document frequencies.
  std::vector<std::vector<std::string>> terms(chunks.size());
  std::unordered_map<std::string, uint32_t> df;
  std::string fingerprint_input;
  auto stop = [&options] { return options.cancelled && options.cancelled(); };
  auto interrupted = [] { return Error::Unavailable("the training was interrupted"); };
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i % 256 == 0 && stop()) return interrupted();
    terms[i] = model.analyzer_.Terms(chunks[i]);
    std::vector<std::string> unique = terms[i];
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (const auto& t : unique)
      ++df[t];
    fingerprint_input += Sha256Hex(chunks[i]);
  }
  std::vector<std::pair<std::string, uint32_t>> vocab;
  for (const auto& [t, n] : df) {
    if (static_cast<int>(n) >= options.min_df) vocab.emplace_back(t, n);
  }
  if (vocab.empty()) return Error::InvalidArgument("no term occurs in enough chunks");
  std::sort(vocab.begin(), vocab.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (vocab.size() > options.max_terms) vocab.resize(options.max_terms);
  std::sort(vocab.begin(), vocab.end());  // stable term ids, independent of df ties
  const double n_docs = static_cast<double>(chunks.size());
  for (std::size_t i = 0; i < vocab.size(); ++i) {
    model.term_ids_.emplace(vocab[i].first, static_cast<uint32_t>(i));
    model.idf_.push_back(
        static_cast<float>(std::log((1.0 + n_docs) / (1.0 + vocab[i].second)) + 1.0));
  }

  // The TF-IDF matrix, rows L2-normalised.
  const auto n_terms = static_cast<Eigen::Index>(vocab.size());
  SparseMatrix a(static_cast<Eigen::Index>(chunks.size()), n_terms);
  std::vector<Eigen::Triplet<float>> entries;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    std::unordered_map<uint32_t, float> tf;
    for (const auto& t : terms[i]) {
      auto it = model.term_ids_.find(t);
      if (it != model.term_ids_.end()) tf[it->second] += 1.f;
    }
    double norm = 0;
    std::vector<std::pair<uint32_t, float>> row;
    for (const auto& [id, f] : tf) {
      float w = (1.f + std::log(f)) * model.idf_[id];
      row.emplace_back(id, w);
      norm += static_cast<double>(w) * w;
    }
    float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.f;
    for (const auto& [id, w] : row)
      entries.emplace_back(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(id), w * inv);
  }
  a.setFromTriplets(entries.begin(), entries.end());
  if (stop()) return interrupted();

  // Randomized truncated SVD of A (docs x terms): we need the top right singular vectors.
  const int k =
      std::max(1, std::min<int>(options.dimensions,
                                static_cast<int>(std::min<Eigen::Index>(a.rows(), n_terms))));
  const int l = std::min<int>(k + options.oversampling,
                              static_cast<int>(std::min<Eigen::Index>(a.rows(), n_terms)));
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> gauss(0.f, 1.f);
  Eigen::MatrixXf omega(n_terms, l);
  for (Eigen::Index c = 0; c < omega.cols(); ++c)
    for (Eigen::Index r = 0; r < omega.rows(); ++r)
      omega(r, c) = gauss(rng);
  Eigen::MatrixXf y = a * omega;  // docs x l
  for (int it = 0; it < options.power_iterations; ++it) {
    if (stop()) return interrupted();
    Eigen::HouseholderQR<Eigen::MatrixXf> qr(y);
    Eigen::MatrixXf q = qr.householderQ() * Eigen::MatrixXf::Identity(y.rows(), y.cols());
    Eigen::MatrixXf z = a.transpose() * q;  // terms x l
    Eigen::HouseholderQR<Eigen::MatrixXf> qz(z);
    Eigen::MatrixXf qzq = qz.householderQ() * Eigen::MatrixXf::Identity(z.rows(), z.cols());
    y = a * qzq;
  }
  Eigen::HouseholderQR<Eigen::MatrixXf> qr(y);
  Eigen::MatrixXf q = qr.householderQ() * Eigen::MatrixXf::Identity(y.rows(), y.cols());
  Eigen::MatrixXf b = q.transpose() * a;  // l x terms
  Eigen::BDCSVD<Eigen::MatrixXf> svd(b, Eigen::ComputeThinV);
  Eigen::MatrixXf v = svd.matrixV().leftCols(k);  // terms x k
  model.dims_ = k;
  model.projection_.resize(static_cast<std::size_t>(n_terms) * k);
  for (Eigen::Index t = 0; t < n_terms; ++t)
    for (int d = 0; d < k; ++d)
      model.projection_[static_cast<std::size_t>(t) * k + d] = v(t, d);
  model.fingerprint_ =
      Sha256Hex(fingerprint_input + "/" + std::to_string(k) + "/" + std::to_string(vocab.size()))
          .substr(0, 16);
  return model;
}

std::vector<float> LsaModel::Embed(std::string_view text) const {
  std::vector<float> out(static_cast<std::size_t>(dims_), 0.f);
  std::unordered_map<uint32_t, float> tf;
  for (const auto& t : analyzer_.Terms(text)) {
    auto it = term_ids_.find(t);
    if (it != term_ids_.end()) tf[it->second] += 1.f;
  }
  for (const auto& [id, f] : tf) {
    float w = (1.f + std::log(f)) * idf_[id];
    const float* row = projection_.data() + static_cast<std::size_t>(id) * dims_;
    for (int d = 0; d < dims_; ++d)
      out[static_cast<std::size_t>(d)] += w * row[d];
  }
  double norm = 0;
  for (float x : out)
    norm += static_cast<double>(x) * x;
  if (norm > 0) {
    auto inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (float& x : out)
      x *= inv;
  }
  return out;
}

Result<std::vector<std::vector<float>>> LsaModel::Embed(const std::vector<std::string>& texts) {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const auto& t : texts)
    out.push_back(Embed(std::string_view(t)));
  return out;
}

namespace {
constexpr uint32_t kModelMagic = 0x4C534131;  // "LSA1"
constexpr uint32_t kModelVersion = 1;
}  // namespace

std::string LsaModel::Save() const {
  using namespace search;
  std::string out;
  PutU32(out, kModelMagic);
  PutU32(out, kModelVersion);
  PutU8(out, static_cast<uint8_t>(analyzer_.language()));
  PutU32(out, static_cast<uint32_t>(dims_));
  PutU32(out, static_cast<uint32_t>(fingerprint_.size()));
  out += fingerprint_;
  std::vector<std::string_view> terms(idf_.size());
  for (const auto& [term, id] : term_ids_)
    terms[id] = term;
  PutU32(out, static_cast<uint32_t>(terms.size()));
  for (auto t : terms) {
    PutU16(out, static_cast<uint16_t>(t.size()));
    out += t;
  }
  PutArray(out, idf_.data(), idf_.size());
  PutArray(out, projection_.data(), projection_.size());
  PutU32(out, Crc32(out));
  return out;
}

Result<LsaModel> LsaModel::Load(std::string_view bytes) {
  using namespace search;
  auto bad = [] { return Error::InvalidArgument("not a usable LSA model"); };
  if (bytes.size() < 4) return bad();
  std::string_view body = bytes.substr(0, bytes.size() - 4);
  SnapshotReader crc_reader(bytes.substr(bytes.size() - 4));
  uint32_t crc = 0;
  if (!crc_reader.U32(crc) || crc != Crc32(body)) return bad();
  SnapshotReader r(body);
  uint32_t magic = 0, version = 0, dims = 0, fp_len = 0, n_terms = 0;
  uint8_t language = 0;
  if (!r.U32(magic) || magic != kModelMagic || !r.U32(version) || version != kModelVersion ||
      !r.U8(language) || language > static_cast<uint8_t>(Language::kAuto) || !r.U32(dims) ||
      dims == 0 || dims > 65536 || !r.U32(fp_len)) {
    return bad();
  }
  LsaModel model(static_cast<Language>(language));
  std::string_view fp;
  if (!r.Bytes(fp_len, fp) || !r.U32(n_terms) || n_terms > r.remaining()) return bad();
  model.dims_ = static_cast<int>(dims);
  model.fingerprint_ = std::string(fp);
  model.term_ids_.reserve(n_terms);
  for (uint32_t i = 0; i < n_terms; ++i) {
    uint16_t len = 0;
    std::string_view term;
    if (!r.U16(len) || !r.Bytes(len, term)) return bad();
    model.term_ids_.emplace(std::string(term), i);
  }
  model.idf_.resize(n_terms);
  if (static_cast<uint64_t>(n_terms) * dims > r.remaining() / sizeof(float)) return bad();
  model.projection_.resize(static_cast<std::size_t>(n_terms) * dims);
  if (!r.Array(model.idf_.size(), model.idf_.data()) ||
      !r.Array(model.projection_.size(), model.projection_.data()) || r.remaining() != 0) {
    return bad();
  }
  return model;
}

}  // namespace studybot::ai
