#ifndef STYXY_BUILD_INFO_H
#define STYXY_BUILD_INFO_H

/// The commit this binary was built from, as `make` stamped it; "" for a plain `swift build`.
const char *styxy_build_commit(void);

#endif
