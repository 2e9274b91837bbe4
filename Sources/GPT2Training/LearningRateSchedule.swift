#if canImport(Glibc)
import Glibc
#endif

/// nanoGPT's `get_lr`: linear warmup `maxRate·(step+1)/(warmupSteps+1)` for steps below
/// `warmupSteps`, then cosine decay from `maxRate` to `minRate` until `decaySteps`, `minRate`
/// after it. Computed in double, as Python does, and returned as f32.
public struct LearningRateSchedule: Sendable, Equatable {
    /// Peak rate, reached at the end of warmup.
    public var maxRate: Float
    /// Floor the cosine decays to and stays at.
    public var minRate: Float
    /// Steps of linear warmup.
    public var warmupSteps: Int
    /// Step at which the decay reaches `minRate`.
    public var decaySteps: Int

    /// A schedule with nanoGPT's `get_lr` parameters.
    public init(maxRate: Float, minRate: Float, warmupSteps: Int, decaySteps: Int) {
        self.maxRate = maxRate
        self.minRate = minRate
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
    }

    /// The learning rate of iteration `step` (0-based, nanoGPT's `get_lr(it)`).
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
