/// Why a pickle was refused. Every case carries enough to find the spot in a hex dump.
struct PickleError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Reason: Sendable, Equatable {
        /// An opcode's argument runs past the end of the pickle.
        case truncated(opcode: String, needed: Int, available: Int)
        /// The pickle ended (or its buffer did) without a STOP opcode.
        case missingStop
        case unknownOpcode(UInt8)
        /// A real pickle opcode this reader deliberately does not implement (EXT*, INST, OBJ,
        /// out-of-band buffers, protocol-0 quoted strings).
        case unsupportedOpcode(String)
        case unsupportedProtocol(Int)
        /// GLOBAL / STACK_GLOBAL / INST named something outside the allowlist, e.g. `os.system`.
        case refusedGlobal(String)
        /// An opcode needed more stack items than there were above the last MARK.
        case stackUnderflow(opcode: String)
        /// An opcode that pops to a MARK found none.
        case missingMark(opcode: String)
        /// GET of a memo slot nobody PUT.
        case memoMiss(Int)
        case typeMismatch(opcode: String, expected: String, found: String)
        case invalidUTF8(opcode: String)
        case invalidNumber(opcode: String, text: String)
        /// A length, nesting depth or node count beyond the reader's limits.
        case limitExceeded(what: String, limit: Int)
    }

    var reason: Reason
    /// Byte offset of the offending opcode, from the start of the file when `file` is set.
    var offset: Int
    /// The file (or zip member) the pickle came from, filled in by the caller that knows it.
    var file: String?

    init(_ reason: Reason, offset: Int, file: String? = nil) {
        self.reason = reason
        self.offset = offset
        self.file = file
    }

    var description: String {
        let at = "\(file.map { "\($0): " } ?? "")pickle offset \(offset)"
        switch reason {
        case .truncated(let op, let needed, let available):
            return "\(at): \(op) needs \(needed) bytes, only \(available) left\nHINT: the file is truncated; download it again"
        case .missingStop:
            return "\(at): pickle ends without STOP\nHINT: the file is truncated or not a pickle"
        case .unknownOpcode(let b):
            return "\(at): unknown opcode 0x\(b < 16 ? "0" : "")\(String(b, radix: 16))\nHINT: not a pickle, or a corrupt one"
        case .unsupportedOpcode(let op):
            return "\(at): opcode \(op) is not used by state dicts and is not supported"
        case .unsupportedProtocol(let p):
            return "\(at): pickle protocol \(p) is newer than 5\nHINT: re-save with protocol 2 (torch.save's default)"
        case .refusedGlobal(let g):
            return "\(at): refusing global \(g): this reader never executes code and only allows what torch state dicts use\nHINT: a pickle naming \(g) may be malicious; if it is a legitimate checkpoint, re-save its state_dict() with torch.save"
        case .stackUnderflow(let op):
            return "\(at): \(op) pops more items than the stack holds\nHINT: corrupt pickle"
        case .missingMark(let op):
            return "\(at): \(op) has no MARK to pop to\nHINT: corrupt pickle"
        case .memoMiss(let i):
            return "\(at): memo slot \(i) was read before it was written\nHINT: corrupt pickle"
        case .typeMismatch(let op, let expected, let found):
            return "\(at): \(op) expected \(expected), found \(found)"
        case .invalidUTF8(let op):
            return "\(at): \(op) string is not valid UTF-8"
        case .invalidNumber(let op, let text):
            return "\(at): \(op) argument \"\(text)\" is not a number"
        case .limitExceeded(let what, let limit):
            return "\(at): \(what) exceeds the limit of \(limit)\nHINT: the pickle is hostile or corrupt"
        }
    }
}
