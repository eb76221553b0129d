// GUID text forms, derivation and id-based percentiles.
#include <gtest/gtest.h>

#include "common/guid.h"

namespace cortex {
namespace {

TEST(Guid, AcceptsAnyCaseWithOrWithoutBracesAndDashes) {
  const std::string canonical = "eb98205c-5e21-0000-0000-067a78ed61d5";
  for (const char* text : {"eb98205c-5e21-0000-0000-067a78ed61d5", "EB98205C-5E21-0000-0000-067A78ED61D5",
                           "{eb98205c-5e21-0000-0000-067a78ed61d5}", "eb98205c5e2100000000067a78ed61d5"}) {
    auto g = Guid::parse(text);
    ASSERT_TRUE(g) << text;
    EXPECT_EQ(g->str(), canonical);
  }
}

TEST(Guid, RejectsMalformedText) {
  for (const char* text : {"", "eb98205c-5e21-0000-0000-067a78ed61d", "eb98205c-5e21-0000-0000-067a78ed61dz",
                           "{eb98205c-5e21-0000-0000-067a78ed61d5", "eb98205c_5e21_0000_0000_067a78ed61d5"}) {
    EXPECT_FALSE(Guid::parse(text)) << text;
  }
}

TEST(Guid, RandomIsVersion4AndUnique) {
  auto a = Guid::random();
  auto b = Guid::random();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.str()[14], '4');
}

TEST(Guid, DeriveIsStableAndDependsOnBothInputs) {
  auto ns = *Guid::parse("0a14aee6-86d2-4325-9101-05b3481bfadf");
  EXPECT_EQ(Guid::derive(ns, "cursor/0/batch/0"), Guid::derive(ns, "cursor/0/batch/0"));
  EXPECT_NE(Guid::derive(ns, "cursor/0/batch/0"), Guid::derive(ns, "cursor/0/batch/1"));
  EXPECT_NE(Guid::derive(ns, "x"), Guid::derive(Guid::random(), "x"));
  EXPECT_EQ(Guid::derive(ns, "x").str()[14], '5');
}

TEST(Percentile, FromIdIsStableAndInRange) {
  double p = percentile_from_id("eb98205c-5e21-0000-0000-067a78ed61d5");
  EXPECT_EQ(p, percentile_from_id("eb98205c-5e21-0000-0000-067a78ed61d5"));
  EXPECT_GE(p, 0.0);
  EXPECT_LT(p, 1.0);
  // Sequential ids still spread out.
  int low = 0;
  for (int i = 0; i < 1000; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-0000-0000-%012d", i);
    if (percentile_from_id(id) < 0.5) ++low;
  }
  EXPECT_GT(low, 400);
  EXPECT_LT(low, 600);
}

}  // namespace
}  // namespace cortex
