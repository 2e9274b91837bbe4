// Fuzz build only (Tools/fuzz): FileSHA256 without swift-crypto, which the fuzz binary does not
// build (BoringSSL is not compiled outside SwiftPM). Only `convert` hashes its sources and no
// fuzz target converts, so reaching this is a bug in a target.
public enum FileSHA256 {
    public struct Failure: Error, Sendable, Equatable {
        public enum Step: Sendable, Equatable { case open, read }
        public let path: String
        public let step: Step
        public let offset: Int
        public let code: Int32
        public var reason: String { "" }
    }

    static let readSize = 1 << 20

    public static func hexDigest(ofFile path: String) throws(Failure) -> String {
        fatalError("FileSHA256 is not part of the fuzz build (\(path))")
    }

    public static func hexDigest(of bytes: [UInt8]) -> String {
        fatalError("FileSHA256 is not part of the fuzz build")
    }
}
