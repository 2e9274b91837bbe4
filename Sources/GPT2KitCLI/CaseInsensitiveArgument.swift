import ArgumentParser
import GPT2ModelFile
import GPT2Runtime

/// An enum option whose value is matched without regard to case (`--dtype Q8_0`, `--kv-cache
/// F16`); `--help` lists its values (CaseIterable), and ArgumentParser's error names them.
protocol CaseInsensitiveArgument: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {}

extension CaseInsensitiveArgument {
    public init?(argument: String) {
        let wanted = argument.lowercased()
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == wanted }) else { return nil }
        self = match
    }
}

extension ElementType: ExpressibleByArgument, CaseInsensitiveArgument {}
extension KVCacheType: ExpressibleByArgument, CaseInsensitiveArgument {}
