//! The metrics' one error type: mismatched or malformed inputs, never silently truncated.

/// Everything that can be wrong with the inputs of a metric.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Prediction and ground truth differ in their number of frames.
    #[error("{what}: prediction has {pred} frames, ground truth {gt}")]
    FrameMismatch {
        /// Which array.
        what: &'static str,
        /// Frames of the prediction.
        pred: usize,
        /// Frames of the ground truth.
        gt: usize,
    },
    /// Prediction and ground truth were produced at different frame rates.
    #[error("frame rates differ: prediction {pred} fps, ground truth {gt} fps")]
    FpsMismatch {
        /// Prediction frame rate.
        pred: f32,
        /// Ground-truth frame rate.
        gt: f32,
    },
    /// An array's length does not fit its declared shape.
    #[error("{what}: expected {expected} values, got {got}")]
    Shape {
        /// Which array.
        what: &'static str,
        /// Expected number of values.
        expected: usize,
        /// Actual number of values.
        got: usize,
    },
    /// Two feature sets (or a set and a fitted model) have different dimensions.
    #[error("feature dimensions differ: {a} vs {b}")]
    DimMismatch {
        /// First dimension.
        a: usize,
        /// Second dimension.
        b: usize,
    },
    /// Not enough samples for the statistic (e.g. a covariance needs two).
    #[error("{what}: needs at least {need} samples, got {got}")]
    TooFew {
        /// Which statistic.
        what: &'static str,
        /// Minimum number of samples.
        need: usize,
        /// Samples given.
        got: usize,
    },
    /// A NaN or infinity in the input.
    #[error("{what}: non-finite value at flat index {index}")]
    NonFinite {
        /// Which array.
        what: &'static str,
        /// Flat index of the first bad value.
        index: usize,
    },
    /// An argument outside its valid range (e.g. k = 0 clusters).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
