// CSDP's C API as installed by Debian's libsdp-dev (/usr/include/csdp): the types
// and constants; the functions are loaded from libsdp at first use (CSDPLibrary.swift).
// declarations.h includes index.h, blockmat.h and parameters.h itself.
#include <csdp/declarations.h>
