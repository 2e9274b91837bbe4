import Foundation
@testable import GPT2Checkpoints
import GPT2ModelFile
import GPT2Support

/// GGUF fixtures (Tools/make-fixtures-gguf: gguf-py and llama-quantize) and a byte-level
/// builder for hostile variants of them.
enum GGUFFixtures {
    static let dir = TestPaths.fixtures + "/gguf"
    static let source = dir + "/source"
    /// Every committed GGUF file with the element type of its quantized matrices.
    static let files: [(name: String, type: ElementType)] = [
        ("tiny-f32.gguf", .f32), ("tiny-f16.gguf", .f16), ("tiny-q8_0.gguf", .q8_0),
        ("tiny-llama-quantize-q8_0.gguf", .q8_0),
    ]

    /// What gguf-py read from each file (expected.json).
    struct Described: Decodable {
        struct KV: Decodable { let key: String; let type: UInt32; let element_type: UInt32?; let count: Int? }
        struct Tensor: Decodable {
            let name: String; let ggml_type: UInt32; let ne: [Int]; let sha256: String
            /// Absolute file offset of the data (gguf-py's ReaderTensor.data_offset).
            let offset: Int
        }
        let version: UInt32
        let alignment: Int
        let data_offset: Int
        let metadata: [KV]
        let tensors: [Tensor]
    }

    static func expected() throws -> [String: Described] {
        try JSONDecoder().decode([String: Described].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/expected.json")))
    }

    /// Python with gguf-py: the project venv (Tools/setup --test, Tools/bench-venv).
    static let python: String? = {
        for p in [TestPaths.packageRoot + "/.build/venv/bin/python"]
        where FileManager.default.isExecutableFile(atPath: p) {
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: p)
            proc.arguments = ["-c", "import gguf"]
            proc.standardError = FileHandle.nullDevice
            guard (try? proc.run()) != nil else { continue }
            proc.waitUntilExit()
            if proc.terminationStatus == 0 { return p }
        }
        return nil
    }()

    /// gguf-py's view of `path` (Tools/make-fixtures-gguf --describe).
    static func describeWithGGUFPy(_ path: String) throws -> Described {
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: python!)
        proc.arguments = [TestPaths.packageRoot + "/Tools/make-fixtures-gguf", "--describe", path]
        let out = Pipe()
        proc.standardOutput = out
        try proc.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        proc.waitUntilExit()
        return try JSONDecoder().decode(Described.self, from: data)
    }
}

/// Writes GGUF bytes from parts, so each test changes one field of a valid file.
struct GGUFBuilder {
    struct Tensor { var name: String; var ne: [UInt64]; var type: UInt32; var offset: UInt64 }
    var magic = GGUFFile.magic
    var version: UInt32 = 3
    var kvs: [(key: String, value: GGUFValue)]
    var tensors: [Tensor]
    var data: [UInt8]
    var alignment = 32
    var tensorCount: UInt64?
    var kvCount: UInt64?

    /// The parts of an existing file.
    init(path: String) throws {
        let g = try GGUFFile(path: path)
        kvs = g.metadata
        tensors = g.tensors.map { Tensor(name: $0.name, ne: $0.ne.map(UInt64.init), type: $0.ggmlType, offset: UInt64($0.range.lowerBound - g.dataOffset)) }
        data = try g.file.bytes(at: g.dataOffset, count: g.file.count - g.dataOffset)
        alignment = g.alignment
    }

    subscript(key: String) -> GGUFValue? {
        get { kvs.first { $0.key == key }?.value }
        set {
            if let i = kvs.firstIndex(where: { $0.key == key }) {
                if let newValue { kvs[i].value = newValue } else { kvs.remove(at: i) }
            } else if let newValue { kvs.append((key, newValue)) }
        }
    }

    func bytes() -> [UInt8] {
        var out = ByteWriter()
        out.raw(magic)
        func put<T: FixedWidthInteger>(_ v: T) { out.integer(v) }
        put(version)
        put(tensorCount ?? UInt64(tensors.count))
        put(kvCount ?? UInt64(kvs.count))
        for (k, v) in kvs {
            GGUFValue.encode(string: k, into: &out)
            put(v.type.rawValue)
            v.encode(into: &out)
        }
        for t in tensors {
            GGUFValue.encode(string: t.name, into: &out)
            put(UInt32(t.ne.count))
            for d in t.ne { put(d) }
            put(t.type)
            put(t.offset)
        }
        out.raw(repeatElement(0, count: (alignment - out.bytes.count % alignment) % alignment))
        return out.bytes + data
    }

    /// Writes the bytes to `dir/name` and returns the path.
    func write(_ dir: String, _ name: String = "t.gguf") throws -> String {
        let p = dir + "/" + name
        try BadInput.write(p, bytes())
        return p
    }
}
