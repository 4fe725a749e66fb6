//! The per-vertex context the analytic fields read (DESIGN.md §4): what a vertex is and where it
//! sits in canonical (mean, neutral) space. Its own module because both the generator
//! (`build.rs`, which computes it) and the expression fields (`expression.rs`, which read it)
//! need it, and neither should import the other's internals in a circle.

use crate::sculpt::V3;

/// What a vertex is, for the fields that move it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Surface of the head (grid, slit copies).
    Skin,
    /// Lid margin, eye socket: derived from the eyes after all fields.
    EyeDerived(usize),
    /// Mouth pocket ring vertex (ring index 1..=3, 4 = end point).
    Pocket(usize),
    /// Teeth (0 upper, 1 lower).
    Teeth(usize),
    /// Eyeball (0 left, 1 right).
    Ball(usize),
}

/// Per-vertex context for the analytic fields, all in canonical (mean, neutral) space.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VInfo {
    pub kind: Kind,
    /// Canonical position.
    pub q: V3,
    /// Position at which lip/face fields are evaluated (the rim point for pocket vertices).
    pub qf: V3,
    /// How much of the face fields this vertex takes (1 skin, decaying into the pocket).
    pub att: f64,
    /// Outward direction of the surface here (ray direction for skin).
    pub dir: V3,
    /// +1 upper side of the mouth slit, -1 lower side, smooth in between.
    pub mouth_side: f64,
    /// Weight of the lower jaw (1 moves fully with the mandible).
    pub jaw: f64,
    /// Facing forward (1) or not (0).
    pub front: f64,
}
