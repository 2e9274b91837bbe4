import GPT2ModelFile
import GPT2Support

/// The JSON form of the training types (GPT2Support's `JSON`), in the two spellings files hold:
/// the resume header names keys as the Swift properties (`learningRate`), the model file's
/// "training" metadata in snake case (`learning_rate`).
///
/// Both documents were first written by Foundation's JSONEncoder (synthesized Codable: every
/// property, an absent optional left out, a Float as its shortest text); this writes the same
/// keys and values and reads files written that way.
enum TrainingJSON {
    /// How keys are spelt.
    enum Keys {
        /// The property name (`nLayer`).
        case property
        /// Snake case (`n_layer`), as JSONEncoder's `.convertToSnakeCase` spelt it.
        case snake

        func callAsFunction(_ property: String) -> String {
            guard self == .snake else { return property }
            var out = ""
            for c in property {
                if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
            }
            return out
        }
    }

    /// A key that is missing or holds the wrong type.
    struct Invalid: Error, CustomStringConvertible {
        /// Dotted path of the key, e.g. "options.learningRate".
        var key: String
        /// What the key must hold.
        var expected: String
        /// What it holds ("missing", or the JSON type).
        var found: String
        var description: String { "\(key.isEmpty ? "the document" : key): expected \(expected), found \(found)" }
    }

    /// Builds one object, spelling each property's key.
    struct Writer {
        let keys: Keys
        private(set) var members: [String: JSON] = [:]

        init(_ keys: Keys) { self.keys = keys }

        /// Sets `property`; nil leaves the key out (as JSONEncoder leaves out an absent optional).
        mutating func set(_ property: String, _ value: JSON?) { members[keys(property)] = value }

        var json: JSON { .object(members) }
    }

    /// Reads the members of one object, naming the key in errors.
    struct Reader {
        let keys: Keys
        let path: String
        private let members: [String: JSON]

        init(_ json: JSON?, keys: Keys, path: String) throws(Invalid) {
            guard let members = json?.dictionaryValue else {
                throw Invalid(key: path, expected: "an object", found: json?.typeName ?? "missing")
            }
            self.keys = keys
            self.path = path
            self.members = members
        }

        /// The value of `property`, if present and not null.
        func optional(_ property: String) -> JSON? {
            guard let v = members[keys(property)], v != .null else { return nil }
            return v
        }

        private func get<T>(_ property: String, _ expected: String, _ read: (JSON) -> T?) throws(Invalid) -> T {
            let key = path.isEmpty ? keys(property) : path + "." + keys(property)
            guard let v = members[keys(property)] else { throw Invalid(key: key, expected: expected, found: "missing") }
            guard let r = read(v) else { throw Invalid(key: key, expected: expected, found: v.typeName) }
            return r
        }

        func int(_ p: String) throws(Invalid) -> Int { try get(p, "an integer") { $0.integerValue } }
        func uint64(_ p: String) throws(Invalid) -> UInt64 { try get(p, "an unsigned 64-bit integer") { $0.uint64Value } }
        func float(_ p: String) throws(Invalid) -> Float { try get(p, "a number") { $0.floatValue } }
        func bool(_ p: String) throws(Invalid) -> Bool { try get(p, "true or false") { $0.boolValue } }
        func string(_ p: String) throws(Invalid) -> String { try get(p, "a string") { $0.stringValue } }
        func array(_ p: String) throws(Invalid) -> [JSON] { try get(p, "an array") { $0.arrayValue } }
        func object(_ p: String) throws(Invalid) -> Reader {
            try Reader(get(p, "an object") { $0 }, keys: keys, path: path.isEmpty ? keys(p) : path + "." + keys(p))
        }
        func value<T: RawRepresentable>(_ p: String, _: T.Type) throws(Invalid) -> T where T.RawValue == String {
            try get(p, "one of the known names") { $0.stringValue.flatMap(T.init(rawValue:)) }
        }
        /// Each element of the array `p` as an object.
        func objects(_ p: String) throws(Invalid) -> [Reader] {
            var out: [Reader] = []
            for (i, e) in try array(p).enumerated() {
                out.append(try Reader(e, keys: keys, path: (path.isEmpty ? "" : path + ".") + keys(p) + "[\(i)]"))
            }
            return out
        }
    }
}

extension TrainingOptions {
    /// The options as a JSON object with `keys` spelt as given.
    func json(_ keys: TrainingJSON.Keys) -> JSON {
        var w = TrainingJSON.Writer(keys)
        w.set("model", .string(model.rawValue))
        w.set("nLayer", .number(nLayer)); w.set("nHead", .number(nHead)); w.set("nEmbd", .number(nEmbd))
        w.set("blockSize", .number(blockSize)); w.set("dropout", .number(dropout)); w.set("bias", .bool(bias))
        w.set("batchSize", .number(batchSize)); w.set("gradientAccumulation", .number(gradientAccumulation))
        w.set("maxIters", .number(maxIters))
        w.set("learningRate", .number(learningRate)); w.set("minLearningRate", .number(minLearningRate))
        w.set("warmupIters", .number(warmupIters)); w.set("lrDecayIters", .number(lrDecayIters))
        w.set("beta1", .number(beta1)); w.set("beta2", .number(beta2)); w.set("epsilon", .number(epsilon))
        w.set("weightDecay", .number(weightDecay)); w.set("gradClip", .number(gradClip))
        w.set("evalInterval", .number(evalInterval)); w.set("evalIters", .number(evalIters))
        w.set("logInterval", .number(logInterval)); w.set("seed", .number(seed))
        return w.json
    }

    /// Options read from `json(_:)`'s form; every key must be present.
    init(_ r: TrainingJSON.Reader) throws(TrainingJSON.Invalid) {
        self.init()
        model = try r.value("model", ModelKind.self)
        nLayer = try r.int("nLayer"); nHead = try r.int("nHead"); nEmbd = try r.int("nEmbd")
        blockSize = try r.int("blockSize"); dropout = try r.float("dropout"); bias = try r.bool("bias")
        batchSize = try r.int("batchSize"); gradientAccumulation = try r.int("gradientAccumulation")
        maxIters = try r.int("maxIters")
        learningRate = try r.float("learningRate"); minLearningRate = try r.float("minLearningRate")
        warmupIters = try r.int("warmupIters"); lrDecayIters = try r.int("lrDecayIters")
        beta1 = try r.float("beta1"); beta2 = try r.float("beta2"); epsilon = try r.float("epsilon")
        weightDecay = try r.float("weightDecay"); gradClip = try r.float("gradClip")
        evalInterval = try r.int("evalInterval"); evalIters = try r.int("evalIters")
        logInterval = try r.int("logInterval"); seed = try r.uint64("seed")
    }
}

extension EvalRecord {
    /// The record as a JSON object with `keys` spelt as given.
    func json(_ keys: TrainingJSON.Keys) -> JSON {
        var w = TrainingJSON.Writer(keys)
        w.set("step", .number(step)); w.set("trainLoss", .number(trainLoss)); w.set("validationLoss", .number(validationLoss))
        return w.json
    }

    /// A record read from `json(_:)`'s form.
    init(_ r: TrainingJSON.Reader) throws(TrainingJSON.Invalid) {
        self.init(step: try r.int("step"), trainLoss: try r.float("trainLoss"), validationLoss: try r.float("validationLoss"))
    }
}

extension GPT2Config {
    /// The configuration as the resume header holds it (property names; the model file's
    /// "gpt2" object is `ModelMetadata`'s, with its own keys and checks).
    func trainingJSON() -> JSON {
        var w = TrainingJSON.Writer(.property)
        w.set("nLayer", .number(nLayer)); w.set("nHead", .number(nHead)); w.set("nEmbd", .number(nEmbd))
        w.set("nCtx", .number(nCtx)); w.set("vocabSize", .number(vocabSize)); w.set("paddedVocabSize", .number(paddedVocabSize))
        w.set("layerNormEpsilon", .number(layerNormEpsilon)); w.set("activation", .string(activation.rawValue))
        w.set("bias", .bool(bias)); w.set("tiedHead", .bool(tiedHead))
        return w.json
    }

    /// A configuration read from `trainingJSON()`'s form (limits are checked where it is used).
    init(training r: TrainingJSON.Reader) throws(TrainingJSON.Invalid) {
        self.init(nLayer: try r.int("nLayer"), nHead: try r.int("nHead"), nEmbd: try r.int("nEmbd"), nCtx: try r.int("nCtx"),
                  vocabSize: try r.int("vocabSize"), paddedVocabSize: try r.int("paddedVocabSize"),
                  layerNormEpsilon: try r.float("layerNormEpsilon"), activation: try r.value("activation", Activation.self),
                  bias: try r.bool("bias"), tiedHead: try r.bool("tiedHead"))
    }
}
