// Z3's C API as installed by Debian's libz3-dev (/usr/include/z3.h).
#include <z3.h>
