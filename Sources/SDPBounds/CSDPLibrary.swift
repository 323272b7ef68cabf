import CCSDP
#if canImport(Glibc)
import Glibc
#endif

/// CSDP's three entry points qrobust calls, from Debian's libsdp loaded with
/// `dlopen` the first time an SDP is solved, not when qrobust starts.
///
/// libsdp brings LAPACK, a BLAS (OpenBLAS where it is installed, which starts
/// a thread per core that spins for a while) and libgfortran. Linked at load
/// time they cost every command about 3 ms of a 45 ms query (ACAS Xu property
/// 4), although only `sdp`, `prune --bound sdp` and the cross-checks use them.
struct CSDPLibrary: @unchecked Sendable {
    typealias InitialSolution = @convention(c) (
        Int32, Int32, blockmatrix, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<constraintmatrix>?,
        UnsafeMutablePointer<blockmatrix>?, UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?, UnsafeMutablePointer<blockmatrix>?
    ) -> Void
    typealias EasySDP = @convention(c) (
        Int32, Int32, blockmatrix, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<constraintmatrix>?, Double,
        UnsafeMutablePointer<blockmatrix>?, UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?, UnsafeMutablePointer<blockmatrix>?,
        UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?
    ) -> Int32
    typealias FreeProblem = @convention(c) (
        Int32, Int32, blockmatrix, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<constraintmatrix>?,
        blockmatrix, UnsafeMutablePointer<Double>?, blockmatrix
    ) -> Void

    /// `initsoln`: CSDP's starting point.
    let initialSolution: InitialSolution
    /// `easy_sdp`: the solve.
    let easySDP: EasySDP
    /// `free_prob`: frees a problem allocated with calloc.
    let freeProblem: FreeProblem

    /// The library, loaded once (the first caller loads it; `dlopen` is thread-safe),
    /// or why it could not be loaded.
    static let shared: Result<CSDPLibrary, CSDPLoadError> = load()

    private static func load() -> Result<CSDPLibrary, CSDPLoadError> {
        var problems: [String] = []
        for name in ["libsdp.so.0", "libsdp.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                problems.append(dlerror().map { String(cString: $0) } ?? "\(name): not found")
                continue
            }
            guard let initsoln = dlsym(handle, "initsoln"), let easy = dlsym(handle, "easy_sdp"),
                  let free = dlsym(handle, "free_prob") else {
                problems.append("\(name) lacks initsoln, easy_sdp or free_prob")
                continue
            }
            return .success(CSDPLibrary(initialSolution: unsafeBitCast(initsoln, to: InitialSolution.self),
                                        easySDP: unsafeBitCast(easy, to: EasySDP.self),
                                        freeProblem: unsafeBitCast(free, to: FreeProblem.self)))
        }
        return .failure(CSDPLoadError(message: "CSDP could not be loaded (install Debian's libsdp-dev): " + problems.joined(separator: "; ")))
    }
}

/// Why CSDP's library could not be loaded.
struct CSDPLoadError: Error, Sendable {
    let message: String
}
