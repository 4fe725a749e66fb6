//! Interpretable scene attributes and how they compose into a layout (paper §3.5 asks for the
//! two first-frame head translations; DESIGN.md §2 fixes the frame). A [`Scene`] is what the
//! structured method reads from a sentence — a distance, an arrangement, each person's posture
//! and what raises B — and [`Scene::layout`] / [`Scene::facing`] turn it into positions and
//! orientations with fixed, documented rules (crates/layout/README.md, "Composition").
//!
//! Distances are horizontal (ground plane): "3 metres apart" and Hall's zones (BEHAVIOR.md,
//! Distance) describe how far apart people stand, not the slant between a balcony and the
//! street. Heights follow the library's `origin_y` convention (`data/layouts.json`).

use crate::facing::{facing, Facing};
use crate::library::Zone;
use crate::Layout;
use serde::{Deserialize, Serialize};

/// Declares a closed set of named attribute values with their command-line/JSON names, so
/// every attribute parses, prints and enumerates the same way.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// Every value, in declaration order (the classifier's class order).
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The JSON / command-line name.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
            /// Parses a name as written by [`Self::name`].
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.name() == s)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// How the two bodies are arranged relative to each other.
    Arrangement {
        /// Facing each other, nothing between them.
        FaceToFace = "face-to-face",
        /// Next to each other, both looking roughly the same way (toward the viewer).
        SideBySide = "side-by-side",
        /// At an angle, around a corner (an L).
        LShape = "l-shape",
        /// One behind the other, both facing the same way (a queue, a back seat).
        Behind = "behind",
        /// Face to face with a table, desk or counter between them.
        AcrossTable = "across-table",
    }
}

named_enum! {
    /// A person's posture, which sets their head height.
    Posture {
        /// An adult standing.
        Standing = "standing",
        /// An adult sitting on a chair, bench, sofa or car seat.
        Sitting = "sitting",
        /// An adult sitting on the floor or ground.
        Floor = "floor",
        /// Kneeling or crouching.
        Kneeling = "kneeling",
        /// Lying down.
        Lying = "lying",
        /// A small child (standing or on a seat: a child's head height).
        Child = "child",
    }
}

named_enum! {
    /// What raises B above the floor A stands on.
    Level {
        /// Both on the same floor.
        Ground = "ground",
        /// B on a stage, podium or dais.
        Stage = "stage",
        /// B on a balcony or at an upper-floor window.
        Balcony = "balcony",
        /// B partway up stairs, steps or a ladder.
        Stairs = "stairs",
    }
}

named_enum! {
    /// Hall's (1966) phases of the four zones: a finer distance scale than the zones.
    Phase {
        /// Intimate, close phase (0–0.15 m).
        IntimateClose = "intimate-close",
        /// Intimate, far phase (0.15–0.45 m).
        IntimateFar = "intimate-far",
        /// Personal, close phase (0.45–0.75 m).
        PersonalClose = "personal-close",
        /// Personal, far phase (0.75–1.2 m).
        PersonalFar = "personal-far",
        /// Social, close phase (1.2–2.1 m).
        SocialClose = "social-close",
        /// Social, far phase (2.1–3.6 m).
        SocialFar = "social-far",
        /// Public, close phase (3.6–7.6 m).
        PublicClose = "public-close",
        /// Public, far phase (7.6 m and beyond).
        PublicFar = "public-far",
    }
}

impl Phase {
    /// Lower bound of each phase (metres), in [`Phase::ALL`] order.
    const LOWER: [f32; 8] = [0.0, 0.15, 0.45, 0.75, 1.2, 2.1, 3.6, 7.6];

    /// The phase a horizontal distance (metres) falls in.
    pub fn of_distance(d: f32) -> Phase {
        let i = Self::LOWER.iter().rposition(|&lo| d >= lo).unwrap_or(0);
        Self::ALL[i]
    }

    /// The zone the phase belongs to.
    pub fn zone(self) -> Zone {
        match self {
            Phase::IntimateClose | Phase::IntimateFar => Zone::Intimate,
            Phase::PersonalClose | Phase::PersonalFar => Zone::Personal,
            Phase::SocialClose | Phase::SocialFar => Zone::Social,
            Phase::PublicClose | Phase::PublicFar => Zone::Public,
        }
    }
}

impl Posture {
    /// Head height relative to a standing adult's (metres; `data/layouts.json` origin_y).
    pub fn height(self) -> f32 {
        match self {
            Posture::Standing => 0.0,
            Posture::Sitting => -0.35,
            Posture::Kneeling => -0.55,
            Posture::Child => -0.65,
            Posture::Floor => -0.8,
            Posture::Lying => -1.0,
        }
    }
}

impl Level {
    /// How far the level raises B's head (metres): a low stage, a first-floor balcony, a few
    /// steps up a staircase.
    pub fn height(self) -> f32 {
        match self {
            Level::Ground => 0.0,
            Level::Stage => 0.8,
            Level::Balcony => 3.0,
            Level::Stairs => 0.7,
        }
    }
}

impl Zone {
    /// Every zone, nearest first (the classifier's class order).
    pub const ALL: &'static [Zone] = &[Zone::Intimate, Zone::Personal, Zone::Social, Zone::Public];

    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Intimate => "intimate",
            Zone::Personal => "personal",
            Zone::Social => "social",
            Zone::Public => "public",
        }
    }

    /// Hall's bounds of the zone (metres); public ends where [`crate::Bounds`]' 16 m room does.
    pub fn bounds(self) -> (f32, f32) {
        match self {
            Zone::Intimate => (0.0, 0.45),
            Zone::Personal => (0.45, 1.2),
            Zone::Social => (1.2, 3.6),
            Zone::Public => (3.6, 16.0),
        }
    }
}

/// What the structured method reads from a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Horizontal distance between the two heads (metres).
    pub distance: f32,
    /// How the two are arranged.
    pub arrangement: Arrangement,
    /// Postures of A and B.
    pub posture: [Posture; 2],
    /// What raises B.
    pub level: Level,
}

/// Sideways share of the separation in `behind`, so the back person's head is not hidden
/// behind the front one's (the library's hikers: 0.5 m aside over 1.1 m).
const BEHIND_LATERAL: f32 = 0.25;
/// How far side-by-side people turn toward each other from facing the viewer: enough to
/// show they are talking, not so much that they face each other.
pub const SIDE_BY_SIDE_TURN: f32 = 25.0 * std::f32::consts::PI / 180.0;
/// How far the front person in `behind` turns their head back over the shoulder.
pub const BEHIND_TURN: f32 = 60.0 * std::f32::consts::PI / 180.0;

impl Scene {
    /// Zone of the distance.
    pub fn zone(&self) -> Zone {
        Zone::of_distance(self.distance)
    }

    /// Head heights of A and B (metres above a standing adult's head on A's floor).
    pub fn heights(&self) -> [f32; 2] {
        [self.posture[0].height(), self.posture[1].height() + self.level.height()]
    }

    /// Both heads' positions, in the library's convention: the midpoint at the origin, A nearer
    /// the viewer or on the left at equal depth.
    /// - face to face, across a table: along Z (A at −d/2, B at +d/2);
    /// - side by side: along X;
    /// - L-shape: along the diagonal, 45° between the two;
    /// - behind: along Z with a quarter of the distance sideways, A in front.
    pub fn layout(&self) -> Layout {
        let h = self.distance.max(0.0) / 2.0;
        let [ya, yb] = self.heights();
        let (dx, dz) = match self.arrangement {
            Arrangement::FaceToFace | Arrangement::AcrossTable => (0.0, h),
            Arrangement::SideBySide => (h, 0.0),
            Arrangement::LShape => (h * std::f32::consts::FRAC_1_SQRT_2, h * std::f32::consts::FRAC_1_SQRT_2),
            Arrangement::Behind => (h * BEHIND_LATERAL, h * (1.0 - BEHIND_LATERAL * BEHIND_LATERAL).sqrt()),
        };
        // `0.0 - x` rather than `-x`, so that a zero offset prints as 0, not -0.
        Layout { a: [0.0 - dx, ya, 0.0 - dz], b: [dx, yb, dz] }
    }

    /// Both orientations for this scene's layout ([`facing_for`]).
    pub fn facing(&self) -> [Facing; 2] {
        facing_for(&self.layout(), self.arrangement)
    }
}

/// Orientations that follow the arrangement: face to face, across a table and L-shape look at
/// each other; side by side both face the viewer (−Z), each turned up to
/// [`SIDE_BY_SIDE_TURN`] toward the other; behind, both face the viewer, the back person looks
/// at the front one and the front one turns up to [`BEHIND_TURN`] back over the shoulder. The
/// head always pitches toward the partner's head, so heights follow posture and level.
pub fn facing_for(layout: &Layout, arrangement: Arrangement) -> [Facing; 2] {
    let look = facing(layout.a, layout.b);
    let cap = match arrangement {
        Arrangement::FaceToFace | Arrangement::AcrossTable | Arrangement::LShape => return look,
        Arrangement::SideBySide => SIDE_BY_SIDE_TURN,
        Arrangement::Behind => BEHIND_TURN,
    };
    // Yaw 0 faces the viewer; keep each turn toward the partner within the cap.
    look.map(|f| Facing::from_yaw_pitch(f.yaw.clamp(-cap, cap), f.pitch))
}

/// The horizontal distance between the two heads (metres).
pub fn horizontal_distance(l: &Layout) -> f32 {
    (l.b[0] - l.a[0]).hypot(l.b[2] - l.a[2])
}

/// The arrangement family a layout's geometry shows, for scoring methods that only give
/// positions: along the depth axis (face to face, across a table, behind), across it (side by
/// side) or diagonal (L-shape). Angles within 22.5° of an axis count as that axis.
pub fn geometry_of(l: &Layout) -> Arrangement {
    let (dx, dz) = ((l.b[0] - l.a[0]).abs(), (l.b[2] - l.a[2]).abs());
    let angle = dx.atan2(dz).to_degrees();
    if angle < 22.5 {
        Arrangement::FaceToFace
    } else if angle > 67.5 {
        Arrangement::SideBySide
    } else {
        Arrangement::LShape
    }
}

impl Arrangement {
    /// The geometry family ([`geometry_of`]) this arrangement's layouts have.
    pub fn geometry(self) -> Arrangement {
        match self {
            Arrangement::FaceToFace | Arrangement::AcrossTable | Arrangement::Behind => {
                Arrangement::FaceToFace
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facing::rotate;

    fn scene(d: f32, a: Arrangement, p: [Posture; 2], level: Level) -> Scene {
        Scene { distance: d, arrangement: a, posture: p, level }
    }

    #[test]
    fn composition_reproduces_the_papers_examples() {
        let f2f = scene(1.0, Arrangement::FaceToFace, [Posture::Standing; 2], Level::Ground);
        assert_eq!(f2f.layout(), Layout::face_to_face());
        let side = scene(0.6, Arrangement::SideBySide, [Posture::Sitting; 2], Level::Ground).layout();
        assert_eq!((side.a[0], side.b[0], side.a[2]), (-0.3, 0.3, 0.0));
        assert_eq!(side.a[1], Posture::Sitting.height());
    }

    #[test]
    fn every_arrangement_keeps_the_distance_and_the_a_b_convention() {
        for &a in Arrangement::ALL {
            let s = scene(2.0, a, [Posture::Sitting, Posture::Standing], Level::Stage);
            let l = s.layout();
            assert!((horizontal_distance(&l) - 2.0).abs() < 1e-5, "{a}");
            assert!(l.a[2] < l.b[2] || (l.a[2] == l.b[2] && l.a[0] < l.b[0]), "{a}");
            assert_eq!(l.a[1], -0.35);
            assert!((l.b[1] - 0.8).abs() < 1e-6);
            assert_eq!(geometry_of(&l), a.geometry(), "{a}");
        }
    }

    #[test]
    fn side_by_side_faces_the_viewer_turned_slightly_inward() {
        let s = scene(0.7, Arrangement::SideBySide, [Posture::Sitting; 2], Level::Ground);
        let [fa, fb] = s.facing();
        for (f, sign) in [(fa, 1.0), (fb, -1.0)] {
            let g = rotate(f.neck, rotate(f.head, [0.0, 0.0, -1.0]));
            assert!(g[2] < -0.85, "mostly toward the viewer: {g:?}");
            assert!(g[0] * sign > 0.3, "turned toward the partner: {g:?}");
            assert!((g[0] - f.forward[0]).abs() < 1e-5 && (g[2] - f.forward[2]).abs() < 1e-5);
        }
    }

    #[test]
    fn face_to_face_and_behind_facing() {
        let s = scene(1.0, Arrangement::FaceToFace, [Posture::Standing; 2], Level::Ground);
        let [fa, fb] = s.facing();
        assert!(fa.forward[2] > 0.99 && fb.forward[2] < -0.99);
        let s = scene(1.0, Arrangement::Behind, [Posture::Standing; 2], Level::Ground);
        let [fa, fb] = s.facing();
        // B (behind) looks at A's head, which is in front of it toward the viewer.
        let l = s.layout();
        let to_a = [0, 1, 2].map(|i| l.a[i] - l.b[i]);
        let n = (to_a[0].powi(2) + to_a[1].powi(2) + to_a[2].powi(2)).sqrt();
        assert!((0..3).all(|i| (fb.forward[i] - to_a[i] / n).abs() < 1e-5));
        // A still faces the viewer's side, head turned back toward B (+X).
        assert!(fa.forward[2] < 0.0 && fa.forward[0] > 0.5, "{:?}", fa.forward);
    }

    #[test]
    fn heads_pitch_toward_a_raised_partner() {
        let s = scene(2.0, Arrangement::FaceToFace, [Posture::Standing; 2], Level::Balcony);
        let [fa, fb] = s.facing();
        assert!(fa.pitch > 0.9 && fb.pitch < -0.9, "{} {}", fa.pitch, fb.pitch);
    }
}
