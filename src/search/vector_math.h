// Dot products of float vectors, the inner loop of dense search (exact scans and the HNSW graph).
//
// The kernel is chosen once at run time: AVX2+FMA when the CPU has them, otherwise a portable loop.
// The binary itself stays baseline x86-64 (no -mavx for whole files, which would let the compiler
// emit AVX anywhere and crash older CPUs); only the kernel carries a target attribute. On the
// benchmark machine AVX2 halves HNSW build and search time against SSE.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

namespace studybot::search {

using DotFunction = float (*)(const float* a, const float* b, std::size_t n);

// Sum of a[i] * b[i] for i < n, by the portable kernel (any n, any alignment).
float DotPortable(const float* a, const float* b, std::size_t n);

// The fastest kernel this CPU supports. Results may differ from DotPortable in the last bits
// (summation order), never more.
DotFunction BestDotFunction();

}  // namespace studybot::search
