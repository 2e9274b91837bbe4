import Foundation
import GPT2Training

/// What `gpt2kit train` reports: a line per `--log-interval` steps and one per evaluation on
/// standard error; with `--json`, one object per step and per evaluation (and a last "done"
/// object) on standard output.
final class TrainProgress {
    let options: TrainingOptions
    let json: Bool
    let modelPath: String
    private let started = Clock.now()
    private let startStep: Int
    /// Smoothed seconds per step, for the time left.
    private var secondsPerStep: Double?

    init(options: TrainingOptions, json: Bool, startStep: Int, modelPath: String) {
        self.options = options
        self.json = json
        self.startStep = startStep
        self.modelPath = modelPath
    }

    /// Floats as their shortest text (0.001, not 0.0010000000474974513).
    static func short(_ f: Float) -> Double { Double("\(f)") ?? Double(f) }

    func report(_ event: Trainer.Event) {
        switch event {
        case .step(let s):
            secondsPerStep = secondsPerStep.map { 0.9 * $0 + 0.1 * s.seconds } ?? s.seconds
            let tokensPerSecond = Double(options.tokensPerStep) / max(s.seconds, 1e-9)
            let left = Double(options.maxIters - s.step - 1) * (secondsPerStep ?? 0)
            if json {
                emit(["event": "step", "step": s.step, "loss": Self.short(s.loss), "lr": Self.short(s.learningRate),
                      "grad_norm": Self.short(s.gradientNorm), "ms": Output.r3(s.seconds * 1000),
                      "tokens_per_s": Output.r3(tokensPerSecond), "seconds_left": Output.r3(left)])
            }
            if s.step % options.logInterval == 0 || s.step == options.maxIters - 1 {
                Output.err(String(format: "step %d/%d: loss %.4f, lr %.3e, %.1f ms/step, %.0f tok/s, ",
                                  s.step, options.maxIters, s.loss, s.learningRate, s.seconds * 1000, tokensPerSecond)
                           + "\(Self.duration(left)) left\n")
            }
        case .eval(let r, let saved):
            if json {
                emit(["event": "eval", "step": r.step, "train_loss": Self.short(r.trainLoss),
                      "val_loss": Self.short(r.validationLoss), "saved": saved])
            }
            Output.err(String(format: "step %d: train loss %.4f, val loss %.4f", r.step, r.trainLoss, r.validationLoss)
                       + (saved ? ", saved \(modelPath)\n" : "\n"))
        }
    }

    func done(_ t: Trainer, status: String) {
        let seconds = Clock.now() - started
        let steps = t.step - startStep
        if json {
            var o: [String: Any] = ["event": "done", "status": status, "step": t.step, "seconds": Output.r3(seconds),
                                    "model": modelPath, "resume": t.resumePath, "loss_curve": t.lossCurvePath]
            if let best = t.bestValidationLoss { o["best_val_loss"] = Self.short(best) }
            emit(o)
        }
        Output.err("\(status) at step \(t.step): " + String(format: "%d steps in %.1f s", steps, seconds)
                   + (t.bestValidationLoss.map { String(format: ", best val loss %.4f", $0) } ?? "") + "\n")
    }

    private func emit(_ o: [String: Any]) {
        if let line = try? Output.json(o) { Output.out(line + "\n") }
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
