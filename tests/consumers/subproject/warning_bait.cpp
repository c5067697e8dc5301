// Compiled by the subproject consumer with -Werror and no warning options of its
// own, and linked with berth's targets. It trips -Wold-style-cast, -Wshadow,
// -Wsign-conversion and -Wunused-variable, which berth turns on for its own code
// only: should any reach the consumer through berth's usage requirements, this file
// no longer compiles. scripts/check-consumers.sh also checks that it fails to
// compile with those warnings on, so that the bait is real.
#include "berth/core/options.hpp"

int warning_bait(double d, unsigned u) {
    int unused = (int)d;
    int x = u;
    {
        int x = 1;
        return x;
    }
}
