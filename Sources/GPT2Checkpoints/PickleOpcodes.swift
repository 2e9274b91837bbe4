/// The opcode loop of `PickleMachine`. Opcode bytes, argument encodings and stack effects are
/// those of CPython's `Lib/pickletools.py`; names are used in error messages.
extension PickleMachine {
    mutating func run() throws -> PickleNode {
        while pos < bytes.count {
            opStart = pos
            let op = bytes[pos]
            pos += 1
            switch op {
            // Framing and protocol.
            case 0x80: // PROTO
                let p = Int(try uint(1, "PROTO"))
                guard p <= 5 else { throw fail(.unsupportedProtocol(p)) }
            case 0x95: // FRAME: an 8-byte length of the frame that follows; only checked.
                _ = try length(8, signed: false, "FRAME")
            case 0x2E: // STOP
                let v = try pop("STOP")
                return v

            // Constants.
            case 0x4E: stack.append(.leaf(.none))              // NONE
            case 0x88: stack.append(.leaf(.bool(true)))        // NEWTRUE
            case 0x89: stack.append(.leaf(.bool(false)))       // NEWFALSE
            case 0x4A: // BININT: signed 4 bytes
                stack.append(.leaf(.int(Int(Int32(bitPattern: UInt32(try uint(4, "BININT")))))))
            case 0x4B: stack.append(.leaf(.int(Int(try uint(1, "BININT1")))))
            case 0x4D: stack.append(.leaf(.int(Int(try uint(2, "BININT2")))))
            case 0x8A: // LONG1
                let n = try length(1, signed: false, "LONG1")
                stack.append(.leaf(long(try take(n, "LONG1"))))
            case 0x8B: // LONG4
                let n = try length(4, signed: true, "LONG4")
                stack.append(.leaf(long(try take(n, "LONG4"))))
            case 0x47: // BINFLOAT: big-endian IEEE double
                let raw = try take(8, "BINFLOAT")
                var v: UInt64 = 0
                for b in raw { v = v << 8 | UInt64(b) }
                stack.append(.leaf(.float(Double(bitPattern: v))))
            case 0x49: // INT: decimal line; "00"/"01" are protocol 0's False/True
                let s = try line("INT")
                if s == "00" { stack.append(.leaf(.bool(false))) } else if s == "01" { stack.append(.leaf(.bool(true))) } else {
                    guard let v = Int(s) else { throw fail(.invalidNumber(opcode: "INT", text: s)) }
                    stack.append(.leaf(.int(v)))
                }
            case 0x4C: // LONG: decimal line with an optional trailing L
                var s = try line("LONG")
                if s.hasSuffix("L") { s.removeLast() }
                guard let v = Int(s) else { throw fail(.invalidNumber(opcode: "LONG", text: s)) }
                stack.append(.leaf(.int(v)))
            case 0x46: // FLOAT: repr() line
                let s = try line("FLOAT")
                guard let v = Double(s) else { throw fail(.invalidNumber(opcode: "FLOAT", text: s)) }
                stack.append(.leaf(.float(v)))

            // Strings and bytes.
            case 0x58: // BINUNICODE
                let n = try length(4, signed: false, "BINUNICODE")
                stack.append(.leaf(.string(try utf8(try take(n, "BINUNICODE"), "BINUNICODE"))))
            case 0x8C: // SHORT_BINUNICODE
                let n = try length(1, signed: false, "SHORT_BINUNICODE")
                stack.append(.leaf(.string(try utf8(try take(n, "SHORT_BINUNICODE"), "SHORT_BINUNICODE"))))
            case 0x8D: // BINUNICODE8
                let n = try length(8, signed: false, "BINUNICODE8")
                stack.append(.leaf(.string(try utf8(try take(n, "BINUNICODE8"), "BINUNICODE8"))))
            case 0x42, 0x43, 0x8E, 0x96: // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
                let (name, width) = op == 0x42 ? ("BINBYTES", 4) : op == 0x43 ? ("SHORT_BINBYTES", 1)
                    : op == 0x8E ? ("BINBYTES8", 8) : ("BYTEARRAY8", 8)
                let n = try length(width, signed: false, name)
                stack.append(.leaf(.bytes(Array(try take(n, name)))))
            case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING: Python 2 str; text if UTF-8, else bytes
                let name = op == 0x54 ? "BINSTRING" : "SHORT_BINSTRING"
                let n = try length(op == 0x54 ? 4 : 1, signed: true, name)
                let raw = try take(n, name)
                if let s = String(validating: raw, as: UTF8.self) { stack.append(.leaf(.string(s))) } else {
                    stack.append(.leaf(.bytes(Array(raw))))
                }

            // Containers.
            case 0x5D: stack.append(.box(PickleBox(.list)))    // EMPTY_LIST
            case 0x7D: stack.append(.box(PickleBox(.dict)))    // EMPTY_DICT
            case 0x8F: stack.append(.box(PickleBox(.set)))     // EMPTY_SET
            case 0x29: stack.append(.tuple([]))                // EMPTY_TUPLE
            case 0x85: // TUPLE1
                let a = try pop("TUPLE1")
                stack.append(.tuple([a]))
            case 0x86: // TUPLE2
                let b = try pop("TUPLE2"), a = try pop("TUPLE2")
                stack.append(.tuple([a, b]))
            case 0x87: // TUPLE3
                let c = try pop("TUPLE3"), b = try pop("TUPLE3"), a = try pop("TUPLE3")
                stack.append(.tuple([a, b, c]))
            case 0x74: stack.append(.tuple(try popToMark("TUPLE")))  // TUPLE
            case 0x6C: // LIST
                let l = PickleBox(.list)
                l.items = try popToMark("LIST")
                stack.append(.box(l))
            case 0x64: // DICT
                let items = try popToMark("DICT")
                guard items.count % 2 == 0 else { throw fail(.typeMismatch(opcode: "DICT", expected: "key/value pairs", found: "\(items.count) items")) }
                let d = PickleBox(.dict)
                for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
                stack.append(.box(d))
            case 0x91: // FROZENSET
                let s = PickleBox(.set)
                s.items = try popToMark("FROZENSET")
                stack.append(.box(s))
            case 0x61: // APPEND
                let v = try pop("APPEND")
                try box(try top("APPEND"), "APPEND", isDict: false).items.append(v)
            case 0x65: // APPENDS
                let items = try popToMark("APPENDS")
                try box(try top("APPENDS"), "APPENDS", isDict: false).items.append(contentsOf: items)
            case 0x73: // SETITEM
                let v = try pop("SETITEM"), k = try pop("SETITEM")
                try box(try top("SETITEM"), "SETITEM", isDict: true).setItem(k, v)
            case 0x75: // SETITEMS
                let items = try popToMark("SETITEMS")
                guard items.count % 2 == 0 else { throw fail(.typeMismatch(opcode: "SETITEMS", expected: "key/value pairs", found: "\(items.count) items")) }
                let d = try box(try top("SETITEMS"), "SETITEMS", isDict: true)
                for i in stride(from: 0, to: items.count, by: 2) { d.setItem(items[i], items[i + 1]) }
            case 0x90: // ADDITEMS
                let items = try popToMark("ADDITEMS")
                let t = try top("ADDITEMS")
                guard case .box(let s) = t, case .set = s.kind else {
                    throw fail(.typeMismatch(opcode: "ADDITEMS", expected: "a set", found: t.kindName))
                }
                s.items.append(contentsOf: items)

            // Stack manipulation.
            case 0x28: // MARK
                guard marks.count < policy.maxDepth * 4 else { throw fail(.limitExceeded(what: "open MARKs", limit: policy.maxDepth * 4)) }
                marks.append(stack.count)
            case 0x30: _ = try pop("POP")                      // POP
            case 0x31: _ = try popToMark("POP_MARK")           // POP_MARK
            case 0x32: stack.append(try top("DUP"))            // DUP

            // Memo.
            case 0x71: memo[Int(try uint(1, "BINPUT"))] = try top("BINPUT")
            case 0x72: memo[Int(try uint(4, "LONG_BINPUT"))] = try top("LONG_BINPUT")
            case 0x94: memo[memo.count] = try top("MEMOIZE")
            case 0x70: // PUT
                let s = try line("PUT")
                guard let i = Int(s), i >= 0 else { throw fail(.invalidNumber(opcode: "PUT", text: s)) }
                memo[i] = try top("PUT")
            case 0x68, 0x6A, 0x67: // BINGET, LONG_BINGET, GET
                let i: Int
                if op == 0x68 { i = Int(try uint(1, "BINGET")) } else if op == 0x6A { i = Int(try uint(4, "LONG_BINGET")) } else {
                    let s = try line("GET")
                    guard let v = Int(s) else { throw fail(.invalidNumber(opcode: "GET", text: s)) }
                    i = v
                }
                guard let v = memo[i] else { throw fail(.memoMiss(i)) }
                stack.append(v)

            // Globals and object construction: allowlist only, nothing is called.
            case 0x63: // GLOBAL: "module\nname\n"
                let module = try line("GLOBAL"), name = try line("GLOBAL")
                stack.append(try global(module, name))
            case 0x93: // STACK_GLOBAL
                let n = try pop("STACK_GLOBAL"), m = try pop("STACK_GLOBAL")
                guard case .leaf(.string(let module)) = m, case .leaf(.string(let name)) = n else {
                    throw fail(.typeMismatch(opcode: "STACK_GLOBAL", expected: "two str", found: "\(m.kindName), \(n.kindName)"))
                }
                stack.append(try global(module, name))
            case 0x69: // INST: names a class inline; refuse by name like GLOBAL, else unsupported
                let module = try line("INST"), name = try line("INST")
                _ = try global(module, name)
                throw fail(.unsupportedOpcode("INST"))
            case 0x52: // REDUCE
                let args = try pop("REDUCE"), callee = try pop("REDUCE")
                stack.append(try apply(callee, args, "REDUCE"))
            case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                let args = try pop("NEWOBJ"), cls = try pop("NEWOBJ")
                stack.append(try apply(cls, args, "NEWOBJ"))
            case 0x62: // BUILD
                let state = try pop("BUILD")
                let t = try top("BUILD")
                guard case .box(let b) = t else {
                    throw fail(.typeMismatch(opcode: "BUILD", expected: "an object or dict", found: t.kindName))
                }
                switch b.kind {
                case .dict: break           // instance attributes of an OrderedDict: not data
                case .object: b.state = state
                default: throw fail(.typeMismatch(opcode: "BUILD", expected: "an object or dict", found: b.kindName))
                }
            case 0x51: // BINPERSID
                stack.append(.persistent(try pop("BINPERSID")))
            case 0x50: // PERSID
                stack.append(.persistent(.leaf(.string(try line("PERSID")))))

            case 0x82: throw fail(.unsupportedOpcode("EXT1"))
            case 0x83: throw fail(.unsupportedOpcode("EXT2"))
            case 0x84: throw fail(.unsupportedOpcode("EXT4"))
            case 0x6F: throw fail(.unsupportedOpcode("OBJ"))
            case 0x92: throw fail(.unsupportedOpcode("NEWOBJ_EX"))
            case 0x97: throw fail(.unsupportedOpcode("NEXT_BUFFER"))
            case 0x98: throw fail(.unsupportedOpcode("READONLY_BUFFER"))
            case 0x53: throw fail(.unsupportedOpcode("STRING"))
            case 0x56: throw fail(.unsupportedOpcode("UNICODE"))
            default: throw fail(.unknownOpcode(op))
            }
        }
        opStart = pos
        throw fail(.missingStop)
    }
}
