import Foundation
import Testing
@testable import GPT2Kernels

/// The run-time choice of a kernel set: what the CPU runs, what is refused and how.
@Test func supportedSetsStartAtTheBaselineAndBestIsTheLast() throws {
    let s = KernelSet.supported
    #expect(s.first == .portable)
    #expect(s == s.sorted())
    #expect(Kernels.best.set == s.last)
    for set in s { #expect(try Kernels(set).set == set) }
    // avx512 implies avx2 on every CPU this code accepts (it requires AVX2 too).
    if s.contains(.avx512) { #expect(s.contains(.avx2)) }
}

@Test func cpuFeaturesAgreeWithTheSets() {
    let f = CPUFeatures.current
    let avx2: CPUFeatures = [CPUFeatures(rawValue: 1 << 2), CPUFeatures(rawValue: 1 << 3), CPUFeatures(rawValue: 1 << 4)]
    #expect(KernelSet.supported.contains(.avx2) == f.isSuperset(of: avx2), "\(f)")
    #expect(!f.description.isEmpty)
    #expect(CPUFeatures(rawValue: 0).description == "baseline only")
    #expect(CPUFeatures(rawValue: 0b111).description == "SSE4.2 AVX AVX2")
}

@Test func errorsNameTheProblemAndAHint() {
    let u = KernelSetError.unsupported(set: .avx512, cpu: "SSE4.2 AVX AVX2 FMA F16C", supported: [.portable, .avx2])
    #expect(u.description == "this CPU cannot run the avx512 kernel set: it needs AVX-512 F, BW, VL and DQ, with AVX2, FMA and F16C; the CPU has SSE4.2 AVX AVX2 FMA F16C\nHINT: this CPU runs portable, avx2; set GPT2KIT_KERNELS to one of them or unset it")
    #expect(KernelSetError.unknown(name: "x").description.hasPrefix("unknown kernel set 'x' in GPT2KIT_KERNELS\nHINT: use one of portable, avx2, avx512"))
}

/// VNNI is used exactly when the avx512 set is chosen on a CPU that has it.
@Test func onlyTheAVX512SetPacksQ8() throws {
    for set in KernelSet.supported {
        let k = try Kernels(set)
        #expect(k.packsQ8 == (set == .avx512 && CPUFeatures.current.contains(CPUFeatures(rawValue: 1 << 9))))
        #expect(k.description.hasPrefix(set.rawValue))
    }
}

/// The kernel vendor rule for the weight-stream software prefetch, checked against the vendor the
/// Linux kernel reports (/proc/cpuinfo, read independently of CPUID here): none on AMD, 1 KB
/// ahead on every other x86-64 CPU.
private let cpuinfoVendor: String? = {
    #if arch(x86_64)
    guard let f = fopen("/proc/cpuinfo", "r") else { return nil }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 4096)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(cString: line)
        if s.hasPrefix("vendor_id") { return s.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
    #endif
    return nil
}()

@Test(.enabled(if: cpuinfoVendor != nil, "needs x86-64 Linux with a vendor_id in /proc/cpuinfo"))
func streamPrefetchFollowsTheVendor() throws {
    let vendor = try #require(cpuinfoVendor)
    #expect(CPUFeatures.streamPrefetchBytes == (vendor == "AuthenticAMD" ? 0 : 1024), "vendor \(vendor)")
}
