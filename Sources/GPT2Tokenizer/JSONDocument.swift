import CJSONC

/// A parsed JSON file, owned: the json-c tree is freed in `deinit`.
///
/// Values are read through `JSONNode`s, which keep the document alive, so a json-c pointer
/// never outlives the tree it points into. Used by the vocabulary loaders (vocab.json,
/// tokenizer.json); parse errors carry the file and the byte offset json-c stopped at.
final class JSONDocument {
    fileprivate let root: OpaquePointer
    let path: String

    /// Parses `bytes` (the contents of `path`, which is only used in errors).
    init(bytes: [UInt8], path: String) throws {
        // json-c takes the length as a C int.
        guard bytes.count < Int(Int32.max) else {
            throw TokenizerError.unsupportedVocabulary(path: path, problem: "file of \(bytes.count) bytes is too large for JSON",
                                         hint: "a GPT-2 vocabulary file is a few MB")
        }
        guard let tokener = json_tokener_new_ex(64) else {
            throw TokenizerError.unsupportedVocabulary(path: path, problem: "json-c is out of memory", hint: "")
        }
        defer { json_tokener_free(tokener) }
        let parsed = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                json_tokener_parse_ex(tokener, $0, Int32(buf.count))
            }
        }
        let status = json_tokener_get_error(tokener)
        let end = json_tokener_get_parse_end(tokener)
        guard let parsed, status == json_tokener_success else {
            if let parsed { json_object_put(parsed) }
            let why = status == json_tokener_continue
                ? "unexpected end of file" : String(cString: json_tokener_error_desc(status))
            throw TokenizerError.malformed(path: path, offset: status == json_tokener_continue ? bytes.count : end,
                             expected: "JSON", found: why)
        }
        // Trailing bytes after the value (other than whitespace) mean a corrupt file.
        if let junk = bytes[end...].firstIndex(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) {
            json_object_put(parsed)
            throw TokenizerError.malformed(path: path, offset: junk, expected: "end of file after the JSON value",
                             found: "more data")
        }
        root = parsed
        self.path = path
    }

    deinit { json_object_put(root) }

    var rootNode: JSONNode { JSONNode(document: self, object: root) }
}

/// One value inside a `JSONDocument` (borrowed; keeps the document alive).
struct JSONNode {
    fileprivate let document: JSONDocument
    fileprivate let object: OpaquePointer

    var isObject: Bool { json_object_is_type(object, json_type_object) != 0 }
    var isArray: Bool { json_object_is_type(object, json_type_array) != 0 }
    var isString: Bool { json_object_is_type(object, json_type_string) != 0 }
    var isNull: Bool { json_object_is_type(object, json_type_null) != 0 }

    /// JSON type name, for error messages ("string", "array", ...).
    var typeName: String { String(cString: json_type_to_name(json_object_get_type(object))) }

    /// The member `key` of an object (nil when absent or not an object; a JSON null is a node).
    subscript(key: String) -> JSONNode? {
        guard isObject else { return nil }
        var value: OpaquePointer?
        guard json_object_object_get_ex(object, key, &value) != 0, let value else { return nil }
        return JSONNode(document: document, object: value)
    }

    /// String value with its exact length (JSON strings may contain "\u0000").
    var string: String? {
        guard isString, let chars = json_object_get_string(object) else { return nil }
        let n = Int(json_object_get_string_len(object))
        return chars.withMemoryRebound(to: UInt8.self, capacity: n) {
            String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
        }
    }

    /// Integer value; nil for non-integers (a float like 1.5 or a string is not an id).
    var int: Int? {
        guard json_object_is_type(object, json_type_int) != 0 else { return nil }
        return Int(json_object_get_int64(object))
    }

    var bool: Bool? {
        guard json_object_is_type(object, json_type_boolean) != 0 else { return nil }
        return json_object_get_boolean(object) != 0
    }

    /// Elements of an array, in order; a JSON `null` element is `nil`.
    var array: [JSONNode?]? {
        guard isArray else { return nil }
        let n = json_object_array_length(object)
        var out: [JSONNode?] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            out.append(json_object_array_get_idx(object, i).map { JSONNode(document: document, object: $0) })
        }
        return out
    }

    /// Calls `body` with each member of an object, in file order.
    func forEachMember(_ body: (String, JSONNode?) throws -> Void) rethrows {
        guard isObject else { return }
        var it = json_object_iter_begin(object)
        var end = json_object_iter_end(object)
        while json_object_iter_equal(&it, &end) == 0 {
            let name = String(cString: json_object_iter_peek_name(&it))
            let value = json_object_iter_peek_value(&it).map { JSONNode(document: document, object: $0) }
            try body(name, value)
            json_object_iter_next(&it)
        }
    }
}
