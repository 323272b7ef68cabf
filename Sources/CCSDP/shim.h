// CSDP's C API as installed by Debian's libsdp-dev (/usr/include/csdp): the types
// and constants; the functions are loaded from libsdp at first use (CSDPLibrary.swift).
// declarations.h includes index.h, blockmat.h and parameters.h itself.
#include <csdp/declarations.h>
#include <signal.h>
#include <sys/prctl.h>

// Asks the kernel to kill the calling process (a CSDP child) when its parent
// thread ends, so that a qrobust stopped by a signal leaves no solver running.
// prctl is variadic, which Swift cannot call directly.
static inline int qrobust_die_with_parent(void) {
    return prctl(PR_SET_PDEATHSIG, SIGKILL);
}
