import GPT2ModelFile
import GPT2Support

/// A GGUF metadata value (gguf.h `enum gguf_type`): every scalar type, strings and arrays
/// (of any type, arrays included). Integers keep their width so `inspect` and a round trip
/// can show what the file holds.
indirect enum GGUFValue: Sendable, Equatable {
    case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32)
    case f32(Float), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])
    case u64(UInt64), i64(Int64), f64(Double)

    var type: GGUFValueType {
        switch self {
        case .u8: return .u8
        case .i8: return .i8
        case .u16: return .u16
        case .i16: return .i16
        case .u32: return .u32
        case .i32: return .i32
        case .f32: return .f32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .u64: return .u64
        case .i64: return .i64
        case .f64: return .f64
        }
    }

    /// Any integer type whose value fits in `Int`.
    var intValue: Int? {
        switch self {
        case .u8(let v): return Int(v)
        case .i8(let v): return Int(v)
        case .u16(let v): return Int(v)
        case .i16(let v): return Int(v)
        case .u32(let v): return Int(v)
        case .i32(let v): return Int(v)
        case .u64(let v): return Int(exactly: v)
        case .i64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    var doubleValue: Double? {
        switch self {
        case .f32(let v): return Double(v)
        case .f64(let v): return v
        default: return nil
        }
    }

    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var arrayValue: [GGUFValue]? { if case .array(_, let a) = self { return a } else { return nil } }

    /// A short rendering for `inspect` (arrays as their type and length).
    var summary: String {
        switch self {
        case .string(let s): return s.count > 60 ? "\"\(s.prefix(57))...\"" : "\"\(s)\""
        case .array(let t, let a): return "[\(t.name) × \(a.count)]"
        case .bool(let b): return "\(b)"
        case .f32(let v): return "\(v)"
        case .f64(let v): return "\(v)"
        default: return intValue.map(String.init) ?? "?"
        }
    }
}

/// gguf.h `enum gguf_type`.
enum GGUFValueType: UInt32, Sendable, Equatable, CaseIterable {
    case u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, bool = 7, string = 8, array = 9
    case u64 = 10, i64 = 11, f64 = 12

    var name: String {
        switch self {
        case .u8: return "uint8"
        case .i8: return "int8"
        case .u16: return "uint16"
        case .i16: return "int16"
        case .u32: return "uint32"
        case .i32: return "int32"
        case .f32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .u64: return "uint64"
        case .i64: return "int64"
        case .f64: return "float64"
        }
    }

    /// Bytes of a value of this type, or its minimum (a string's or array's length fields), so
    /// an array's count is checked against the bytes left before anything is allocated.
    var minimumSize: Int {
        switch self {
        case .u8, .i8, .bool: return 1
        case .u16, .i16: return 2
        case .u32, .i32, .f32: return 4
        case .u64, .i64, .f64, .string: return 8
        case .array: return 12
        }
    }
}

/// The ggml tensor types GPT2Kit reads and writes (ggml.h `enum ggml_type`), and the names of
/// the others for error messages.
enum GGMLType {
    static let f32: UInt32 = 0
    static let f16: UInt32 = 1
    static let q8_0: UInt32 = 8
    static let bf16: UInt32 = 30

    /// ggml type → our element type (same bytes: ggml's Q8_0 block is FORMAT.md's q8_0).
    static func elementType(_ t: UInt32) -> ElementType? {
        switch t {
        case f32: return .f32
        case f16: return .f16
        case q8_0: return .q8_0
        case bf16: return .bf16
        default: return nil
        }
    }

    static func ggmlType(_ t: ElementType) -> UInt32 {
        switch t {
        case .f32: return f32
        case .f16: return f16
        case .q8_0: return q8_0
        case .bf16: return bf16
        }
    }

    /// ggml's name for a type id (ggml.c `type_traits[].type_name`).
    static func name(_ t: UInt32) -> String {
        let names: [UInt32: String] = [
            0: "f32", 1: "f16", 2: "q4_0", 3: "q4_1", 6: "q5_0", 7: "q5_1", 8: "q8_0", 9: "q8_1",
            10: "q2_K", 11: "q3_K", 12: "q4_K", 13: "q5_K", 14: "q6_K", 15: "q8_K",
            16: "iq2_xxs", 17: "iq2_xs", 18: "iq3_xxs", 19: "iq1_s", 20: "iq4_nl", 21: "iq3_s",
            22: "iq2_s", 23: "iq4_xs", 24: "i8", 25: "i16", 26: "i32", 27: "i64", 28: "f64",
            29: "iq1_m", 30: "bf16", 34: "tq1_0", 35: "tq2_0", 39: "mxfp4",
        ]
        return names[t] ?? "type \(t)"
    }
}

extension GGUFValue {
    /// The value's bytes as GGUF stores them (after its u32 type), little-endian.
    func encode(into out: inout ByteWriter) {
        switch self {
        case .u8(let v): out.integer(v)
        case .i8(let v): out.integer(v)
        case .u16(let v): out.integer(v)
        case .i16(let v): out.integer(v)
        case .u32(let v): out.integer(v)
        case .i32(let v): out.integer(v)
        case .f32(let v): out.f32(v)
        case .bool(let b): out.u8(b ? 1 : 0)
        case .string(let s): GGUFValue.encode(string: s, into: &out)
        case .array(let t, let a):
            out.integer(t.rawValue)
            out.u64(UInt64(a.count))
            for v in a { v.encode(into: &out) }
        case .u64(let v): out.integer(v)
        case .i64(let v): out.integer(v)
        case .f64(let v): out.f64(v)
        }
    }

    /// A GGUF string: its u64 byte count, then its UTF-8 bytes.
    static func encode(string s: String, into out: inout ByteWriter) {
        out.u64(UInt64(s.utf8.count))
        out.raw(s.utf8)
    }
}
