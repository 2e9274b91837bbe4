#if canImport(Glibc)
import Glibc
#endif

/// nanoGPT's `get_lr`: linear warmup `maxRate·(step+1)/(warmupSteps+1)` for steps below
/// `warmupSteps`, then cosine decay from `maxRate` to `minRate` until `decaySteps`, `minRate`
/// after it. Computed in double, as Python does, and returned as f32.
public struct LearningRateSchedule: Sendable, Equatable {
    public var maxRate: Float
    public var minRate: Float
    public var warmupSteps: Int
    public var decaySteps: Int

    public init(maxRate: Float, minRate: Float, warmupSteps: Int, decaySteps: Int) {
        self.maxRate = maxRate
        self.minRate = minRate
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }

    public func rate(at step: Int) -> Float {
        let lr = Double(maxRate), minLR = Double(minRate)
        if step < warmupSteps { return Float(lr * Double(step + 1) / Double(warmupSteps + 1)) }
        if step > decaySteps { return minRate }
        // decaySteps == warmupSteps (no decay phase): nanoGPT divides by zero there; the rate
        // at that single step is the peak.
        guard decaySteps > warmupSteps else { return maxRate }
        let ratio = Double(step - warmupSteps) / Double(decaySteps - warmupSteps)
        let coeff = 0.5 * (1.0 + cos(Double.pi * ratio))
        return Float(minLR + coeff * (lr - minLR))
    }
}
