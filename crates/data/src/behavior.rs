//! Non-verbal behaviour as pure functions of events (BEHAVIOR.md; DESIGN.md §3): blinks,
//! nods, brow raises and smiles, slow head sway, gaze plans, and the rotation helpers that aim
//! the eyes at a point in the world (DESIGN §3 joint chain).

use crate::rng::Rng;
use duologue_params::FPS;

const DT: f32 = 1.0 / FPS as f32;

/// Centre time (seconds) of frame `k`.
pub fn frame_time(k: usize) -> f32 {
    (k as f32 + 0.5) * DT
}

/// Blink onset times (seconds) in `[0, seconds)`: a Poisson process at `per_minute`, plus
/// blinks that cluster at `cues` (utterance ends, gaze shifts) with probability `cue_prob`,
/// never closer than 0.3 s (BEHAVIOR.md, Blinks: ~17/min at rest, ~26/min in conversation).
pub fn blink_times(rng: &mut Rng, seconds: f32, per_minute: f32, cues: &[f32], cue_prob: f32) -> Vec<f32> {
    let mut times: Vec<f32> = Vec::new();
    // Cue blinks replace part of the spontaneous rate, so the total stays near `per_minute`.
    let cue_blinks: Vec<f32> =
        cues.iter().filter(|&&c| c >= 0.0 && c < seconds).filter(|_| rng.chance(cue_prob)).copied().collect();
    let expected_cue_rate = cue_blinks.len() as f32 / seconds.max(1e-3) * 60.0;
    let spontaneous = (per_minute - expected_cue_rate).max(0.3 * per_minute);
    let mut t = rng.exp(60.0 / spontaneous) - 1.0;
    while t < seconds {
        if t >= 0.0 {
            times.push(t);
        }
        t += rng.exp(60.0 / spontaneous).max(0.3);
    }
    times.extend(cue_blinks.iter().map(|c| c + rng.range(0.0, 0.15)));
    times.sort_by(f32::total_cmp);
    let mut out: Vec<f32> = Vec::with_capacity(times.len());
    for t in times {
        if out.last().is_none_or(|&l| t - l >= 0.3) && t < seconds {
            out.push(t);
        }
    }
    out
}

/// Eyelid closure per frame (0 open .. 1 closed) for blinks starting at `times`: closing in
/// ~90 ms, a brief hold, opening in ~180 ms (closing faster than opening).
pub fn blink_curve(times: &[f32], frames: usize) -> Vec<f32> {
    let (close, hold, open) = (0.09, 0.03, 0.18);
    let shape = |u: f32| -> f32 {
        if u < 0.0 {
            0.0
        } else if u < close {
            smooth01(u / close)
        } else if u < close + hold {
            1.0
        } else if u < close + hold + open {
            1.0 - smooth01((u - close - hold) / open)
        } else {
            0.0
        }
    };
    (0..frames)
        .map(|k| {
            let t = frame_time(k);
            times.iter().map(|&b| shape(t - b)).fold(0.0, f32::max)
        })
        .collect()
}

/// Smoothstep on [0, 1].
pub fn smooth01(u: f32) -> f32 {
    let u = u.clamp(0.0, 1.0);
    u * u * (3.0 - 2.0 * u)
}

/// A head nod: `cycles` down-and-up movements of `period` seconds, `amplitude` radians.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nod {
    /// Onset, seconds.
    pub start: f32,
    /// Cycles (1–3).
    pub cycles: u32,
    /// Seconds per cycle (0.3–0.5).
    pub period: f32,
    /// Peak downward pitch, radians (a few degrees, up to ~10).
    pub amplitude: f32,
}

impl Nod {
    /// A listener nod drawn around BEHAVIOR.md's figures.
    pub fn listener(rng: &mut Rng, start: f32) -> Nod {
        Nod {
            start,
            cycles: 1 + rng.below(3) as u32,
            period: rng.range(0.3, 0.5),
            amplitude: rng.range(3.0, 9.0).to_radians(),
        }
    }
}

/// Head pitch offsets per frame from nods; negative pitch = chin down (rotation about +X
/// turns the rest gaze (0,0,-1) upward for positive angles).
pub fn nod_curve(nods: &[Nod], frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|k| {
            let t = frame_time(k);
            nods.iter()
                .map(|n| {
                    let u = t - n.start;
                    let len = n.period * n.cycles as f32;
                    if u < 0.0 || u > len {
                        return 0.0;
                    }
                    // Later cycles of a multi-nod are smaller, as people's are.
                    let cycle = (u / n.period).floor();
                    let decay = 0.7f32.powf(cycle);
                    -n.amplitude * decay * 0.5 * (1.0 - (2.0 * std::f32::consts::PI * u / n.period).cos())
                })
                .sum()
        })
        .collect()
}

/// A smooth bump envelope (attack, sustain, release) for brow raises and smiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    /// Onset, seconds.
    pub start: f32,
    /// Total duration, seconds.
    pub duration: f32,
    /// Peak value.
    pub amplitude: f32,
}

/// Sum of episodes per frame, each rising and falling over 25% of its length.
pub fn episode_curve(episodes: &[Episode], frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|k| {
            let t = frame_time(k);
            episodes
                .iter()
                .map(|e| {
                    let u = (t - e.start) / e.duration.max(1e-3);
                    if !(0.0..=1.0).contains(&u) {
                        0.0
                    } else {
                        e.amplitude * smooth01(u / 0.25).min(smooth01((1.0 - u) / 0.25))
                    }
                })
                .sum()
        })
        .collect()
}

/// Slow sway: a sum of three sinusoids between 0.05 and 0.6 Hz with random phases,
/// normalised to standard deviation `amplitude`.
pub fn sway(rng: &mut Rng, frames: usize, amplitude: f32) -> Vec<f32> {
    let comps: Vec<(f32, f32, f32)> = (0..3)
        .map(|_| (rng.range(0.05, 0.6), rng.range(0.0, std::f32::consts::TAU), rng.range(0.5, 1.0)))
        .collect();
    let norm = (comps.iter().map(|c| c.2 * c.2).sum::<f32>() / 2.0).sqrt().max(1e-6);
    (0..frames)
        .map(|k| {
            let t = k as f32 * DT;
            amplitude / norm
                * comps.iter().map(|(f, p, a)| a * (std::f32::consts::TAU * f * t + p).sin()).sum::<f32>()
        })
        .collect()
}

/// First-order smoothing with time constant `tau` seconds (critically simple, causal).
pub fn smooth(x: &[f32], tau: f32) -> Vec<f32> {
    let a = 1.0 - (-DT / tau.max(1e-3)).exp();
    let mut y = Vec::with_capacity(x.len());
    let mut s = x.first().copied().unwrap_or(0.0);
    for &v in x {
        s += a * (v - s);
        y.push(s);
    }
    y
}

/// Where a person looks in one stretch of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GazeTarget {
    /// At the partner: 0 = partner's left eye, 1 = right eye, 2 = mouth.
    Partner(u8),
    /// Away from the partner by (yaw, pitch) radians relative to the line to them.
    Away(f32, f32),
}

impl GazeTarget {
    /// Whether this looks at the partner.
    pub fn at_partner(self) -> bool {
        matches!(self, GazeTarget::Partner(_))
    }
}

/// Durations that set how much a role looks at the partner (BEHAVIOR.md, Gaze).
#[derive(Debug, Clone, Copy)]
pub struct GazeHabits {
    /// Mean glance at the partner while listening, s (~3 s → 75% with `listen_away`).
    pub listen_at: f32,
    /// Mean look-away while listening, s.
    pub listen_away: f32,
    /// Mean glance at the partner while speaking, s.
    pub speak_at: f32,
    /// Mean look-away while speaking, s (40% at-partner with `speak_at`).
    pub speak_away: f32,
}

impl Default for GazeHabits {
    fn default() -> Self {
        Self { listen_at: 3.0, listen_away: 1.0, speak_at: 1.6, speak_away: 2.4 }
    }
}

/// Per-frame gaze targets from per-frame roles (`speaking[k]`: the person holds the turn) and
/// turn boundaries: speakers look away at the start of a turn and back toward its end
/// (Kendon 1967); within partner glances, saccades hop between the partner's eyes and mouth.
pub fn gaze_plan(
    rng: &mut Rng,
    speaking: &[bool],
    turn_starts: &[usize],
    turn_ends: &[usize],
    habits: GazeHabits,
) -> Vec<GazeTarget> {
    let n = speaking.len();
    let mut out = Vec::with_capacity(n);
    let away = |rng: &mut Rng| {
        // Mostly sideways and down; 8–25 degrees.
        let mag = rng.range(8.0, 25.0).to_radians();
        let ang = rng.range(-0.5, 0.5) * std::f32::consts::PI
            + if rng.chance(0.5) { std::f32::consts::PI } else { 0.0 };
        let down = rng.range(0.0, 0.12);
        GazeTarget::Away(mag * ang.cos(), mag * ang.sin() * 0.5 - down)
    };
    let partner = |rng: &mut Rng| {
        let r = rng.f32();
        GazeTarget::Partner(if r < 0.4 {
            0
        } else if r < 0.8 {
            1
        } else {
            2
        })
    };
    let mut at = rng.chance(0.6);
    let mut remaining = 0usize;
    let mut saccade_in = 0usize;
    let mut current = if at { partner(rng) } else { away(rng) };
    for (k, &spk) in speaking.iter().enumerate() {
        if turn_starts.contains(&k) && spk && rng.chance(0.7) {
            at = false;
            current = away(rng);
            remaining = (rng.range(0.6, 1.5) * FPS as f32) as usize;
        }
        let ending = turn_ends.iter().any(|&e| e >= k && e - k < (0.8 * FPS as f32) as usize) && spk;
        if ending && !at {
            at = true;
            current = partner(rng);
            remaining = (1.0 * FPS as f32) as usize;
        }
        if remaining == 0 {
            // Near the end of an own turn the look stays on the partner (the hand-over).
            at = !at || ending;
            let (m_at, m_away) = if spk {
                (habits.speak_at, habits.speak_away)
            } else {
                (habits.listen_at, habits.listen_away)
            };
            let d = if at { rng.exp(m_at).max(0.4) } else { rng.exp(m_away).max(0.3) };
            remaining = (d * FPS as f32).round().max(1.0) as usize;
            current = if at { partner(rng) } else { away(rng) };
            saccade_in = (rng.range(0.4, 1.2) * FPS as f32) as usize;
        }
        if at && saccade_in == 0 {
            current = partner(rng);
            saccade_in = (rng.range(0.4, 1.2) * FPS as f32) as usize;
        }
        out.push(current);
        remaining -= 1;
        saccade_in = saccade_in.saturating_sub(1);
    }
    out
}

/// 3x3 rotation matrices (row-major) and axis-angle conversions; vector arithmetic is glam's.
pub mod rot {
    use glam::Vec3;

    /// Row-major 3x3 matrix.
    pub type M3 = [[f32; 3]; 3];

    /// Matrix of an axis-angle vector (Rodrigues), via duologue-face.
    pub fn from_aa(r: [f32; 3]) -> M3 {
        duologue_face::rodrigues(r)
    }

    /// Product `a · b`.
    pub fn mul(a: &M3, b: &M3) -> M3 {
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
    }

    /// `m · v`.
    pub fn apply(m: &M3, v: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|i| m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2])
    }

    /// `mᵀ · v` (inverse rotation).
    pub fn apply_t(m: &M3, v: [f32; 3]) -> [f32; 3] {
        std::array::from_fn(|i| m[0][i] * v[0] + m[1][i] * v[1] + m[2][i] * v[2])
    }

    /// Axis-angle of a rotation matrix (log map; angle in [0, π]).
    pub fn to_aa(m: &M3) -> [f32; 3] {
        let tr = m[0][0] + m[1][1] + m[2][2];
        let c = ((tr - 1.0) * 0.5).clamp(-1.0, 1.0);
        let angle = c.acos();
        if angle < 1e-6 {
            return [0.5 * (m[2][1] - m[1][2]), 0.5 * (m[0][2] - m[2][0]), 0.5 * (m[1][0] - m[0][1])];
        }
        if std::f32::consts::PI - angle < 1e-3 {
            // Near π the antisymmetric part vanishes; take the axis from the diagonal.
            let d = [m[0][0], m[1][1], m[2][2]];
            let i = (0..3).max_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap_or(0);
            let mut axis = [0.0; 3];
            axis[i] = ((d[i] + 1.0) * 0.5).max(0.0).sqrt();
            for j in 0..3 {
                if j != i {
                    axis[j] = (m[i][j] + m[j][i]) / (4.0 * axis[i].max(1e-6));
                }
            }
            let axis = Vec3::from(axis);
            let n = axis.length().max(1e-9);
            return (axis / n * angle).to_array();
        }
        let s = 2.0 * angle.sin();
        [(m[2][1] - m[1][2]) / s * angle, (m[0][2] - m[2][0]) / s * angle, (m[1][0] - m[0][1]) / s * angle]
    }

    /// Rotation `Ry(yaw) · Rx(pitch) · Rz(roll)` as axis-angle (yaw turns left/right about +Y,
    /// pitch looks up for positive values, roll tilts).
    pub fn ypr(yaw: f32, pitch: f32, roll: f32) -> [f32; 3] {
        let m = mul(&mul(&from_aa([0.0, yaw, 0.0]), &from_aa([pitch, 0.0, 0.0])), &from_aa([0.0, 0.0, roll]));
        to_aa(&m)
    }

    /// Axis-angle of the shortest rotation taking the rest gaze (0,0,-1) to unit `d`.
    pub fn aim(d: [f32; 3]) -> [f32; 3] {
        let (f, d) = (Vec3::NEG_Z, Vec3::from(d));
        let axis = f.cross(d);
        let s = axis.length();
        let c = f.dot(d).clamp(-1.0, 1.0);
        if s < 1e-7 {
            return if c > 0.0 { [0.0; 3] } else { [0.0, std::f32::consts::PI, 0.0] };
        }
        let angle = s.atan2(c);
        (axis / s * angle).to_array()
    }

    /// Unit vector, zero (below 1e-9) staying zero. Not glam's `normalize_or_zero`: that
    /// multiplies by the reciprocal length, this divides, and the simulated gaze (hence every
    /// dataset) is built on these bits.
    pub fn unit(a: Vec3) -> Vec3 {
        let n = a.length();
        if n < 1e-9 {
            a
        } else {
            a / n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blink_rate_is_human() {
        let mut rng = Rng::new(3);
        let minutes = 20.0;
        let cues: Vec<f32> = (0..200).map(|i| i as f32 * 6.0).collect();
        let b = blink_times(&mut rng, minutes * 60.0, 24.0, &cues, 0.4);
        let rate = b.len() as f32 / minutes;
        assert!((20.0..=30.0).contains(&rate), "blinks per minute {rate}");
        let curve = blink_curve(&b[..3], ((b[2] + 1.0) * 25.0) as usize);
        assert!(curve.iter().cloned().fold(0.0, f32::max) > 0.8, "blinks close the lids");
    }

    #[test]
    fn nods_go_down_and_come_back() {
        let n = Nod { start: 0.2, cycles: 2, period: 0.4, amplitude: 0.1 };
        let c = nod_curve(&[n], 50);
        let min = c.iter().cloned().fold(0.0, f32::min);
        assert!(min < -0.08 && c.iter().all(|&v| v <= 1e-6), "chin goes down only");
        assert!(c[0].abs() < 1e-6 && c[40].abs() < 1e-6);
    }

    #[test]
    fn gaze_fractions_match_the_literature() {
        let mut rng = Rng::new(11);
        let n = 25 * 60 * 20;
        let listen = gaze_plan(&mut rng, &vec![false; n], &[], &[], GazeHabits::default());
        let f_l = listen.iter().filter(|g| g.at_partner()).count() as f32 / n as f32;
        let speak = gaze_plan(&mut rng, &vec![true; n], &[], &[], GazeHabits::default());
        let f_s = speak.iter().filter(|g| g.at_partner()).count() as f32 / n as f32;
        assert!((0.68..=0.82).contains(&f_l), "listener at partner {f_l}");
        assert!((0.32..=0.48).contains(&f_s), "speaker at partner {f_s}");
    }

    #[test]
    fn speakers_look_away_at_turn_start_and_back_at_the_end() {
        let n = 25 * 8;
        let mut away_at_start = 0;
        let mut at_at_end = 0;
        for seed in 0..50 {
            let mut rng = Rng::new(seed);
            let g = gaze_plan(&mut rng, &vec![true; n], &[0], &[n - 1], GazeHabits::default());
            away_at_start += (!g[5].at_partner()) as usize;
            at_at_end += g[n - 3].at_partner() as usize;
        }
        assert!(away_at_start >= 25, "{away_at_start}/50 look away at the start");
        assert_eq!(at_at_end, 50, "all hand the turn over with a look");
    }

    #[test]
    fn rotation_round_trips() {
        for r in [[0.1, -0.2, 0.3], [0.0, 3.0, 0.0], [1.0, 0.5, -0.2]] {
            let back = rot::to_aa(&rot::from_aa(r));
            assert!((0..3).all(|i| (back[i] - r[i]).abs() < 1e-3), "{r:?} -> {back:?}");
        }
        let d = rot::unit(glam::Vec3::new(0.3, 0.2, -1.0)).to_array();
        let g = rot::apply(&rot::from_aa(rot::aim(d)), [0.0, 0.0, -1.0]);
        assert!((0..3).all(|i| (g[i] - d[i]).abs() < 1e-5));
    }
}
