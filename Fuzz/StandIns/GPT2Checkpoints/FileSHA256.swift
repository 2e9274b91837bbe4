// Fuzz build only (Tools/fuzz): FileSHA256 without swift-crypto, which the fuzz binary does not
// build (BoringSSL is not compiled outside SwiftPM). Only `convert` hashes its sources and no
// fuzz target converts, so reaching this is a bug in a target.
public enum FileSHA256 {
    public static func hexDigest(ofFile path: String) throws(CheckpointError) -> String {
        fatalError("FileSHA256 is not part of the fuzz build (\(path))")
    }

    public static func hexDigest(of bytes: [UInt8]) -> String {
        fatalError("FileSHA256 is not part of the fuzz build")
    }
}
