import GPT2ModelFile

/// One evaluation (nanoGPT's `estimate_loss`): the mean loss over `eval_iters` batches of each
/// split at `step` optimiser steps.
public struct EvalRecord: Sendable, Equatable {
    /// Optimiser steps done when the losses were estimated.
    public var step: Int
    /// Mean loss over the evaluation batches of the training split.
    public var trainLoss: Float
    /// Mean loss over the evaluation batches of the validation split.
    public var validationLoss: Float

    /// One evaluation's losses.
    public init(step: Int, trainLoss: Float, validationLoss: Float) {
        self.step = step
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
    }
}

/// The loss curve as a self-contained SVG: train and validation loss against step, with axes,
/// tick labels and a legend. Written beside the model at every evaluation.
public enum LossCurve {
    /// A self-contained SVG plot of both losses against the step.
    public static func svg(_ records: [EvalRecord], title: String) -> String {
        let w = 640.0, h = 400.0, left = 60.0, right = 20.0, top = 40.0, bottom = 50.0
        let pw = w - left - right, ph = h - top - bottom
        let steps = records.map { Double($0.step) }
        let losses = records.flatMap { [Double($0.trainLoss), Double($0.validationLoss)] }.filter { $0.isFinite }
        let maxStep = max(steps.max() ?? 1, 1)
        var lo = losses.min() ?? 0, hi = losses.max() ?? 1
        if hi - lo < 1e-6 { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.05
        lo -= pad; hi += pad
        func x(_ s: Double) -> Double { left + s / maxStep * pw }
        func y(_ l: Double) -> Double { top + (hi - l) / (hi - lo) * ph }
        func f(_ v: Double) -> String { "\((v * 100).rounded() / 100)" }
        func label(_ v: Double) -> String { "\((v * 1000).rounded() / 1000)" }
        func escape(_ s: String) -> String {
            s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(w / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + ph))\" x2=\"\(f(left + pw))\" y2=\"\(f(top + ph))\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + ph))\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let v = lo + (hi - lo) * Double(i) / 4, sv = maxStep * Double(i) / 4
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(label(v))</text>\n"
            s += "<text x=\"\(f(x(sv)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(Int(sv.rounded()))</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(h - 10))\" text-anchor=\"middle\">step</text>\n"
        s += "<text x=\"15\" y=\"\(f(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 15 \(f(top + ph / 2)))\">loss</text>\n"
        for (name, color, value) in [("train", "#1f77b4", { (r: EvalRecord) in r.trainLoss }),
                                     ("val", "#d62728", { (r: EvalRecord) in r.validationLoss })] {
            let points = records.filter { value($0).isFinite }.map { "\(f(x(Double($0.step)))),\(f(y(Double(value($0)))))" }
            if !points.isEmpty {
                s += "<polyline class=\"\(name)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
        }
        s += "<rect x=\"\(f(left + pw - 90))\" y=\"\(f(top + 5))\" width=\"12\" height=\"3\" fill=\"#1f77b4\"/><text x=\"\(f(left + pw - 72))\" y=\"\(f(top + 11))\">train</text>\n"
        s += "<rect x=\"\(f(left + pw - 90))\" y=\"\(f(top + 21))\" width=\"12\" height=\"3\" fill=\"#d62728\"/><text x=\"\(f(left + pw - 72))\" y=\"\(f(top + 27))\">val</text>\n"
        s += "</svg>\n"
        return s
    }

    /// `FILE.loss.svg` beside the model file `FILE`.
    public static func path(forModel model: String) -> String { model + ".loss.svg" }

    /// Writes the plot of `records` to `path` (atomically).
    public static func write(_ records: [EvalRecord], title: String, to path: String) throws {
        let out = try AtomicFile.training(path: path)
        try out.write(Array(svg(records, title: title).utf8))
        try out.commit()
    }
}

extension String {
    fileprivate func replacingAll(_ a: Character, _ b: String) -> String {
        var out = ""
        for c in self { if c == a { out += b } else { out.append(c) } }
        return out
    }
}
