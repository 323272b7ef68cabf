// CSDP's C API as installed by Debian's libsdp-dev (/usr/include/csdp).
// declarations.h includes index.h, blockmat.h and parameters.h itself.
#include <csdp/declarations.h>
