// The divisions.csv text compiled into the library (see embed_csv.cmake).
#ifndef ZX_COMMON_DIVISION_EMBEDDED_CSV_H_
#define ZX_COMMON_DIVISION_EMBEDDED_CSV_H_

#include <string_view>

namespace zx::division::internal {

std::string_view EmbeddedDivisionsCsv();

}  // namespace zx::division::internal

#endif  // ZX_COMMON_DIVISION_EMBEDDED_CSV_H_
