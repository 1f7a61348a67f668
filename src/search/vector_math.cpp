#include "search/vector_math.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define STUDYBOT_HAVE_AVX2_KERNEL 1
#endif

namespace studybot::search {
namespace {

#ifdef STUDYBOT_HAVE_AVX2_KERNEL
// Four independent accumulators hide the FMA latency; 384-d vectors are 12 rounds of 32 floats.
__attribute__((target("avx2,fma"))) float DotAvx2(const float* a, const float* b, std::size_t n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps();
  __m256 acc3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  __m256 acc = _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3));
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  float result = _mm_cvtss_f32(sum);
  for (; i < n; ++i)
    result += a[i] * b[i];
  return result;
}
#endif

}  // namespace

float DotPortable(const float* a, const float* b, std::size_t n) {
  // Eight partial sums: without -ffast-math the compiler may not reorder one running sum, but it
  // does vectorise independent ones (SSE2 on baseline x86-64).
  float partial[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t j = 0; j < 8; ++j)
      partial[j] += a[i + j] * b[i + j];
  }
  float result = 0;
  for (float p : partial)
    result += p;
  for (; i < n; ++i)
    result += a[i] * b[i];
  return result;
}

DotFunction BestDotFunction() {
#ifdef STUDYBOT_HAVE_AVX2_KERNEL
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return DotAvx2;
#endif
  return DotPortable;
}

}  // namespace studybot::search
