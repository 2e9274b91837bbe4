/// The release this source tree is: what `gpt2kit --version` prints and what a model file
/// records as the tool that wrote it.
public enum GPT2KitVersion {
    /// The version string, e.g. "0.2.0".
    public static let current = "0.2.0"
}
