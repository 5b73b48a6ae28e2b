// Carries the precompiled header that every Catch2 test binary reuses; see CMakeLists.txt.
#include <catch2/catch.hpp>
