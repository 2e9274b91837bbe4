import Foundation
import Testing
@testable import GPT2Tokenizer

/// Cases written by Tools/tokenizer-parity: text and the ids tiktoken gave for it.
struct ParityCase {
    let allowSpecial: Bool
    let name: String
    let text: [UInt8]
    let ids: [Int]
}

enum ParityCases {
    /// Parses the `GPT2PAR2` format (see Tools/tokenizer-parity).
    static func read(_ path: String) throws -> [ParityCase] {
        let bytes = try #require(TestSupport.readBytes(path), "cannot read \(path)")
        var i = 0
        func u32() throws -> Int {
            guard i + 4 <= bytes.count else { throw ParityFileError.truncated(i) }
            defer { i += 4 }
            return Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
        }
        func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, i + n <= bytes.count else { throw ParityFileError.truncated(i) }
            defer { i += n }
            return Array(bytes[i..<(i + n)])
        }
        guard try take(8) == Array("GPT2PAR2".utf8) else { throw ParityFileError.badMagic }
        var cases: [ParityCase] = []
        for _ in 0..<(try u32()) {
            let mode = try take(1)[0]
            let name = String(decoding: try take(try u32()), as: UTF8.self)
            let text = try take(try u32())
            let raw = try take(2 * (try u32()))
            let ids = stride(from: 0, to: raw.count, by: 2).map { Int(raw[$0]) | Int(raw[$0 + 1]) << 8 }
            cases.append(ParityCase(allowSpecial: mode == 1, name: name, text: text, ids: ids))
        }
        return cases
    }

    enum ParityFileError: Error { case truncated(Int), badMagic }

    /// Encodes every case with `tok`, compares with tiktoken's ids and checks the decode round
    /// trip; records one issue listing every mismatching case, the first few with context.
    static func check(_ cases: [ParityCase], with tok: Tokenizer, source: String) throws {
        var mismatches: [String] = []
        var roundTripFailures: [String] = []
        for c in cases {
            let ours = c.allowSpecial
                ? try tok.encode(String(decoding: c.text, as: UTF8.self), allowedSpecial: .all)
                : tok.encodeOrdinary(bytes: c.text)
            if ours != c.ids {
                mismatches.append(describe(c, ours: ours, tok: tok))
            }
            if try tok.decodeBytes(c.ids) != c.text { roundTripFailures.append(c.name) }
        }
        let total = cases.reduce(0) { $0 + $1.text.count }
        #expect(cases.count > 0, "\(source): no cases")
        let names = mismatches.map { String($0.prefix { $0 != "\n" }) }
        let head = "\(source): \(mismatches.count) of \(cases.count) cases (\(total) bytes) differ from tiktoken:\n"
        let detail: String = mismatches.prefix(5).joined(separator: "\n")
        let all: String = "\nall: " + names.joined(separator: "; ")
        #expect(mismatches.count == 0, "\(head)\(detail)\(all)")
        #expect(roundTripFailures.isEmpty, "\(source): decode(ids) != text for \(roundTripFailures)")
    }

    /// Name, first differing position, the ids and token texts around it.
    static func describe(_ c: ParityCase, ours: [Int], tok: Tokenizer) -> String {
        let at = (0..<min(ours.count, c.ids.count)).first { ours[$0] != c.ids[$0] } ?? min(ours.count, c.ids.count)
        let lo = max(0, at - 3)
        func show(_ ids: [Int]) -> String {
            ids[lo..<min(ids.count, at + 4)].map { id in
                let text = (try? tok.decodeBytes([id])).map { String(decoding: $0, as: UTF8.self) } ?? "?"
                return "\(id)\(text.debugDescription)"
            }.joined(separator: " ")
        }
        return "\(c.name): first difference at id #\(at)\n  tiktoken: \(show(c.ids))\n  ours:     \(show(ours))"
    }
}
