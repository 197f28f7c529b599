# cmake -DIN=divisions.csv -DOUT=file.cc -P embed_csv.cmake
# Writes OUT: a C++ file defining zx::division::internal::EmbeddedDivisionsCsv()
# that returns the text of IN as a raw string literal, so binaries carry the
# table and never read it from disk.
file(READ "${IN}" csv)
string(FIND "${csv}" ")zxcsv\"" delimiter_at)
if(NOT delimiter_at EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )zxcsv\"")
endif()
file(WRITE "${OUT}.tmp"
"// Generated from common/division/divisions.csv by embed_csv.cmake. Do not edit.
#include \"common/division/embedded_csv.h\"

namespace zx::division::internal {

std::string_view EmbeddedDivisionsCsv() {
  return R\"zxcsv(${csv})zxcsv\";
}

}  // namespace zx::division::internal
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
