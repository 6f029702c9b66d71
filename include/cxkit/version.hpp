/**
 * @file version.hpp
 * @brief The single source of the cxkit version.
 *
 * CMake parses these three macros (CMakeLists.txt), scikit-build-core reads them for the Python
 * package metadata (pyproject.toml, regex provider), and `cxkit.__version__` reports them through
 * the compiled module. Change the version here and nowhere else.
 */
#ifndef CXKIT_VERSION_HPP
#define CXKIT_VERSION_HPP

#define CXKIT_VERSION_MAJOR 0
#define CXKIT_VERSION_MINOR 1
#define CXKIT_VERSION_PATCH 0

#define CXKIT_DETAIL_STRINGIFY2(x) #x
#define CXKIT_DETAIL_STRINGIFY(x) CXKIT_DETAIL_STRINGIFY2(x)

/// "MAJOR.MINOR.PATCH" as a string literal.
#define CXKIT_VERSION_STRING                                                                   \
    CXKIT_DETAIL_STRINGIFY(CXKIT_VERSION_MAJOR)                                                \
    "." CXKIT_DETAIL_STRINGIFY(CXKIT_VERSION_MINOR) "." CXKIT_DETAIL_STRINGIFY(CXKIT_VERSION_PATCH)

/// One integer that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH.
#define CXKIT_VERSION (CXKIT_VERSION_MAJOR * 10000 + CXKIT_VERSION_MINOR * 100 + CXKIT_VERSION_PATCH)

#endif  // CXKIT_VERSION_HPP
