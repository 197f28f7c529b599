#include "common/logging/logging.h"

#include <gtest/gtest.h>

namespace zx::logging {
namespace {

TEST(LoggingTest, EscapesJsonSpecials) {
  EXPECT_EQ(JsonEscape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
  EXPECT_EQ(JsonEscape("疏附县"), "疏附县");
}

TEST(LoggingTest, FormatsEventAndFieldsInOrder) {
  EXPECT_EQ(FormatFields("rpc", {{"method", "/x.Y/Z"}, {"code", "OK"}}),
            R"("event":"rpc","method":"/x.Y/Z","code":"OK")");
  EXPECT_EQ(FormatFields("start", {}), R"("event":"start")");
}

}  // namespace
}  // namespace zx::logging
