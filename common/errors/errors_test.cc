#include "common/errors/errors.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace zx::errors {
namespace {

TEST(ErrorsTest, InvalidArgumentBecomesRichGrpcStatus) {
  Validator v;
  v.Add("household.village_code", "must be 12 digits, got 5");
  v.Add("household.member_count", "must be between 1 and 20");
  const grpc::Status status = ToGrpcStatus(v.ToStatus());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("household.village_code"), std::string::npos);

  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  EXPECT_EQ(rich.code(), 3);
  ASSERT_EQ(rich.details_size(), 1);
  EXPECT_EQ(rich.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 2);
  EXPECT_EQ(bad_request.field_violations(0).field(), "household.village_code");
  EXPECT_EQ(bad_request.field_violations(1).description(), "must be between 1 and 20");
}

TEST(ErrorsTest, CodesMapOneToOne) {
  for (auto code : {absl::StatusCode::kNotFound, absl::StatusCode::kPermissionDenied,
                    absl::StatusCode::kFailedPrecondition, absl::StatusCode::kUnavailable,
                    absl::StatusCode::kAlreadyExists, absl::StatusCode::kAborted,
                    absl::StatusCode::kResourceExhausted, absl::StatusCode::kUnauthenticated}) {
    const grpc::Status g = ToGrpcStatus(absl::Status(code, "x"));
    EXPECT_EQ(static_cast<int>(g.error_code()), static_cast<int>(code));
    EXPECT_EQ(g.error_message(), "x");
    EXPECT_TRUE(g.error_details().empty()) << "plain errors carry no details";
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(ErrorsTest, RoundTripKeepsFieldViolations) {
  const absl::Status original = InvalidField("request_id", "must not be empty");
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  const auto violations = FieldViolationsOf(back);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "request_id");
  EXPECT_EQ(violations[0].description, "must not be empty");
}

TEST(ErrorsTest, ValidatorIsOkWithoutViolations) {
  Validator v;
  v.Check("a", absl::OkStatus());
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.ToStatus().ok());
  v.Check("b", absl::InvalidArgumentError("bad b"));
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(FieldViolationsOf(v.ToStatus())[0].description, "bad b");
}

TEST(ErrorsTest, AnnotateKeepsCodeAndPayload) {
  const absl::Status s = Annotate(InvalidField("x", "y"), "loading");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().substr(0, 8), "loading:");
  EXPECT_EQ(FieldViolationsOf(s).size(), 1u);
}

}  // namespace
}  // namespace zx::errors
