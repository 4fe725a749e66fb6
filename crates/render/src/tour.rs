//! A scripted tour of the face model for `duologue face --preview`: every expression component
//! (DESIGN §4) pulses in turn, grouped by what it moves, then the eyes look around and the head
//! turns, so one short video shows the whole rig.

use duologue_face::EXPRESSION_NAMES;
use duologue_params::{Joint, Motion, N_LIP};

/// Frames one component's pulse lasts (0 -> 1 -> 0).
const PULSE: usize = 16;
/// Frames between the starts of consecutive pulses (they overlap by half).
const STAGGER: usize = 8;
/// Rest frames between groups.
const GAP: usize = 6;

/// One labelled stretch of the tour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// What moves (group name, then component names).
    pub label: String,
    /// First frame.
    pub start: usize,
    /// One past the last frame.
    pub end: usize,
}

/// The tour: motion for one person and what each stretch shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Tour {
    /// `[L, 78]` parameters of one person at the origin.
    pub motion: Motion,
    /// Groups in order.
    pub segments: Vec<Segment>,
}

/// Which preview group an expression component belongs to.
fn group_of(index: usize, name: &str) -> usize {
    let has = |keys: &[&str]| keys.iter().any(|k| name.contains(k));
    if index < N_LIP {
        0 // jaw and lips
    } else if has(&["brow", "forehead"]) {
        2
    } else if has(&["cheek", "nose", "nostril"]) {
        4
    } else if has(&["blink", "squint", "wide", "lid"]) {
        3
    } else if has(&["smile", "frown", "dimple", "nasolabial", "press", "depress", "lip", "pout", "chin"]) {
        1
    } else {
        5
    }
}

const GROUPS: [&str; 6] =
    ["jaw & lips", "smiles & frowns", "brows", "blinks & squints", "cheeks & nose", "other"];

/// Smooth 0 -> 1 -> 0 bump over `len` frames.
fn bump(i: usize, len: usize) -> f32 {
    (std::f32::consts::PI * (i as f32 + 0.5) / len as f32).sin().powi(2)
}

/// Build the tour.
pub fn face_tour() -> Tour {
    // (label, [(frame offset, psi index)] or joint keyframes) assembled as closures on frames.
    let mut frames: Vec<Vec<f32>> = Vec::new();
    let mut segments = Vec::new();
    let push_rest = |frames: &mut Vec<Vec<f32>>, n: usize| {
        for _ in 0..n {
            frames.push(vec![0.0; duologue_params::X_DIM]);
        }
    };
    push_rest(&mut frames, GAP);
    for (g, group) in GROUPS.iter().enumerate() {
        let members: Vec<usize> =
            (0..EXPRESSION_NAMES.len()).filter(|&k| group_of(k, EXPRESSION_NAMES[k]) == g).collect();
        if members.is_empty() {
            continue;
        }
        let start = frames.len();
        let len = STAGGER * (members.len() - 1) + PULSE;
        push_rest(&mut frames, len);
        for (i, &k) in members.iter().enumerate() {
            for j in 0..PULSE {
                frames[start + i * STAGGER + j][k] = bump(j, PULSE);
            }
        }
        let names: Vec<&str> = members.iter().map(|&k| EXPRESSION_NAMES[k]).collect();
        segments.push(Segment { label: format!("{group}: {}", names.join(", ")), start, end: frames.len() });
        push_rest(&mut frames, GAP);
    }
    // Eyes: look to the person's left, right, up, down (radians about the eye joints' axes).
    let eye_moves: [(&str, [f32; 3]); 4] = [
        ("left", [0.0, -0.35, 0.0]),
        ("right", [0.0, 0.35, 0.0]),
        ("up", [0.25, 0.0, 0.0]),
        ("down", [-0.25, 0.0, 0.0]),
    ];
    let head_moves: [(&str, [f32; 3]); 6] = [
        ("turn left", [0.0, -0.5, 0.0]),
        ("turn right", [0.0, 0.5, 0.0]),
        ("nod up", [0.3, 0.0, 0.0]),
        ("nod down", [-0.3, 0.0, 0.0]),
        ("tilt right", [0.0, 0.0, 0.25]),
        ("tilt left", [0.0, 0.0, -0.25]),
    ];
    for (label, joints, moves) in [
        ("eye rotations", &[Joint::LeftEye, Joint::RightEye][..], &eye_moves[..]),
        ("head turns", &[Joint::Head][..], &head_moves[..]),
    ] {
        let start = frames.len();
        const MOVE: usize = 24;
        for (_, r) in moves {
            for j in 0..MOVE {
                let mut f = vec![0.0; duologue_params::X_DIM];
                let w = bump(j, MOVE);
                for joint in joints {
                    for (a, v) in joint.range().zip(r) {
                        f[a] = w * v;
                    }
                }
                frames.push(f);
            }
        }
        let names: Vec<&str> = moves.iter().map(|(n, _)| *n).collect();
        segments.push(Segment { label: format!("{label}: {}", names.join(", ")), start, end: frames.len() });
        push_rest(&mut frames, GAP);
    }
    let motion = Motion::from_vec(frames.concat()).expect("whole frames");
    Tour { motion, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_pulses_once_to_one() {
        let tour = face_tour();
        for (k, name) in EXPRESSION_NAMES.iter().enumerate() {
            let peak = (0..tour.motion.frames()).map(|f| tour.motion.psi(f)[k]).fold(0.0, f32::max);
            assert!(peak > 0.95 && peak <= 1.0, "{name} peaks at {peak}");
        }
        assert!(tour.segments.len() >= 7);
        assert!(tour.segments.windows(2).all(|w| w[0].end <= w[1].start));
        assert_eq!(tour.segments.last().unwrap().end + GAP, tour.motion.frames());
        // Under a minute at 25 fps.
        assert!(tour.motion.frames() < 60 * 25, "{} frames", tour.motion.frames());
    }
}
