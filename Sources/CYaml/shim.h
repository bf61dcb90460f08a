#ifndef STYXY_CYAML_SHIM_H
#define STYXY_CYAML_SHIM_H
#include <yaml.h>
#endif
