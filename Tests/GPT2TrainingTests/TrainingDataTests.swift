import Foundation
import GPT2Support
import GPT2Tokenizer
import Testing
@testable import GPT2Training

/// Scratch files for the training tests.
enum TrainingScratch {
    /// ../shared beside the package (present on the team's machines, not in CI).
    static let shakespeare: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/../shared/corpora/tinyshakespeare.txt"
    }()

    static func path(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "gpt2kit-train-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + UUID().uuidString + "-" + name
    }

    static func file(_ bytes: [UInt8], _ name: String = "data.txt") -> String {
        let p = path(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    /// Deterministic text of about `count` bytes (words from a fixed list, an LCG picks them).
    static func text(_ count: Int) -> String {
        let words = ["the", "king", "is", "dead", "long", "live", "queen", "and", "all", "her", "men", ",", ".\n"]
        var g: UInt64 = 42, s = ""
        while s.utf8.count < count {
            g = g &* 6364136223846793005 &+ 1442695040888963407
            s += words[Int(g >> 33) % words.count] + " "
        }
        return s
    }
}

@Suite struct TrainingDataTests {
    func noBPE() throws -> Tokenizer { Issue.record("the GPT-2 vocabulary is not needed here"); throw CancellationError() }

    /// shakespeare_char's prepare.py, restated: chars = sorted(set(data)); stoi; n = len(data);
    /// train = data[:int(n*0.9)], val = data[int(n*0.9):].
    @Test func charSplitAndVocabularyFollowPrepare() throws {
        let text = "héllo wörld\nthe 東京 cat sat on the mat; zebra!\n" + TrainingScratch.text(500)
        let d = try TrainingData.text(path: TrainingScratch.file(Array(text.utf8)), tokenizer: .char, bpe: noBPE)
        let chars = Array(Set(text.unicodeScalars)).sorted { $0.value < $1.value }
        #expect(d.vocabulary.kind == .characters)
        #expect(d.vocabulary.tokens == chars.map { Array(String($0).utf8) })
        let stoi = Dictionary(uniqueKeysWithValues: chars.enumerated().map { ($1, Int32($0)) })
        let all = text.unicodeScalars.map { stoi[$0]! }
        let n = all.count, cut = Int(Double(n) * 0.9)
        #expect(d.train == Array(all[..<cut]))
        #expect(d.validation == Array(all[cut...]))
    }

    static let shakespeare = TrainingScratch.shakespeare

    /// The figures prepare.py printed for this file (its closing comments): 65 characters
    /// "\n !$&',-.3:;?A..Za..z", 1003854 train and 111540 val tokens.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.shakespeare), "needs ../shared/corpora/tinyshakespeare.txt"))
    func shakespeareCharMatchesPrepareOutput() throws {
        let d = try TrainingData.text(path: Self.shakespeare, tokenizer: .char, bpe: noBPE)
        let expected = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        #expect(d.vocabulary.tokens == expected.unicodeScalars.map { Array(String($0).utf8) })
        #expect(d.train.count == 1003854)
        #expect(d.validation.count == 111540)
    }

    static let sharedVocab = Paths.directory(of: Paths.directory(of: shakespeare)) + "/vocab"

    /// nanoGPT's data/shakespeare/prepare.py (text split at 90%, each part through tiktoken's
    /// gpt2 `encode_ordinary`): tiktoken 0.x on the shared vocabulary gives 301966 train and
    /// 36059 val tokens, starting [5962, 22307, 25, 198, 8421] and [30, 198, 198, 28934, 8895].
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.shakespeare)
                   && FileManager.default.fileExists(atPath: Self.sharedVocab + "/encoder.json"),
                   "needs ../shared/corpora/tinyshakespeare.txt and ../shared/vocab"))
    func shakespeareGPT2MatchesTiktoken() throws {
        let d = try TrainingData.text(path: Self.shakespeare, tokenizer: .gpt2,
                                      bpe: { try Tokenizer(vocabulary: .load(gpt2At: Self.sharedVocab)) })
        #expect(d.train.count == 301966)
        #expect(d.validation.count == 36059)
        #expect(Array(d.train.prefix(5)) == [5962, 22307, 25, 198, 8421])
        #expect(Array(d.validation.prefix(5)) == [30, 198, 198, 28934, 8895])
    }

    @Test func carriageReturnsBecomeNewlinesAsPythonTextMode() throws {
        let d = try TrainingData.text(path: TrainingScratch.file(Array("ab\r\ncd\ref\n".utf8) + Array(TrainingScratch.text(100).utf8)),
                                      tokenizer: .char, bpe: noBPE)
        #expect(!d.vocabulary.tokens.contains([13]))
        let nl = Int32(d.vocabulary.tokens.firstIndex(of: [10])!)
        #expect(Array(d.train[0..<8]) .filter { $0 == nl }.count == 2)
    }

    @Test func emptyFileIsRefused() throws {
        let e = #expect(throws: TrainingError.self) { try TrainingData.text(path: TrainingScratch.file([]), tokenizer: .char, bpe: noBPE) }
        #expect(e?.kind == .emptyData)
        #expect(e?.description.contains("HINT:") == true)
    }

    @Test func missingFileIsRefused() throws {
        let e = #expect(throws: TrainingError.self) {
            try TrainingData.text(path: "/nonexistent/data.txt", tokenizer: .char, bpe: noBPE)
        }
        #expect(e?.kind == .emptyData)
    }

    @Test func invalidUTF8IsRefused() throws {
        let e = #expect(throws: TrainingError.self) {
            try TrainingData.text(path: TrainingScratch.file([0x61, 0xFF, 0x62]), tokenizer: .char, bpe: noBPE)
        }
        #expect(e?.kind == .badData)
    }

    /// Either split shorter than block size + 1 is refused, naming the split.
    @Test func shortSplitsAreRefused() throws {
        // 100 characters: train 90, val 10.
        let d = try TrainingData.text(path: TrainingScratch.file(Array(String(repeating: "abcde", count: 20).utf8)), tokenizer: .char, bpe: noBPE)
        #expect(d.train.count == 90 && d.validation.count == 10)
        try d.check(blockSize: 9)
        let e = #expect(throws: TrainingError.self) { try d.check(blockSize: 10) }
        #expect(e?.kind == .splitTooShort)
        #expect(e?.message.contains("validation split has 10 tokens") == true)
        let e2 = #expect(throws: TrainingError.self) { try d.check(blockSize: 90) }
        #expect(e2?.message.contains("training split has 90 tokens") == true)
    }

    @Test func binariesAreLittleEndianUInt16() throws {
        let dir = TrainingScratch.path("bins")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let train: [UInt16] = [1, 2, 300, 4], val: [UInt16] = [5, 6]
        func bytes(_ a: [UInt16]) -> Data { Data(a.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }) }
        FileManager.default.createFile(atPath: dir + "/train.bin", contents: bytes(train))
        FileManager.default.createFile(atPath: dir + "/val.bin", contents: bytes(val))
        let vocab = Vocabulary(kind: .characters, tokens: (0..<400).map { [UInt8($0 % 256)] })
        let d = try TrainingData.binaries(directory: dir, vocabulary: vocab)
        #expect(d.train == [1, 2, 300, 4])
        #expect(d.validation == [5, 6])
        let small = Vocabulary(kind: .characters, tokens: (0..<10).map { [UInt8($0)] })
        let e = #expect(throws: TrainingError.self) { try TrainingData.binaries(directory: dir, vocabulary: small) }
        #expect(e?.kind == .badData)
        FileManager.default.createFile(atPath: dir + "/val.bin", contents: Data([1, 2, 3]))
        let e2 = #expect(throws: TrainingError.self) { try TrainingData.binaries(directory: dir, vocabulary: vocab) }
        #expect(e2?.kind == .badData)
    }
}
