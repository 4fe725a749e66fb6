//! Ground-truth motion for both people at 25 fps in the 78-float layout (DESIGN §3;
//! BEHAVIOR.md).
//!
//! Two passes. First each person's expression, neck/head rotation and translation drift are
//! built from their own events (phonemes -> lips, blinks, brows, smiles, prosody-driven head
//! motion, listener nods, gaze-following head turns). Then, with both heads posed, each eye is
//! aimed at its gaze target: the partner's eyes or mouth, whose world positions come from
//! duologue-face's joint transforms for the partner's identity, rotation and layout position,
//! or a point away from the partner.

use crate::behavior::{self, rot, Episode, GazeTarget, Nod};
use crate::rng::Rng;
use crate::viseme::{expression_index, lip_curves, Articulation, VisemeTable};
use crate::DataError;
use duologue_face::FaceModel;
use duologue_layout::facing::facing_toward;
use duologue_params::{Joint, Motion, FPS, X_DIM};
use glam::Vec3;

/// Column indices (psi) of the non-lip components the simulator drives, resolved by name.
#[derive(Debug, Clone)]
pub struct Columns {
    lips: VisemeTable,
    blink: [usize; 2],
    forehead: usize,
    brow_inner: usize,
    smile: [usize; 2],
    cheek: [usize; 2],
}

impl Columns {
    /// Resolve every name against duologue-face's `EXPRESSION_NAMES`; fail on a missing one.
    pub fn new() -> Result<Self, DataError> {
        let i = expression_index;
        Ok(Self {
            lips: VisemeTable::new()?,
            blink: [i("blink_left")?, i("blink_right")?],
            forehead: i("forehead_raise")?,
            brow_inner: i("brow_inner_up")?,
            smile: [i("smile_left")?, i("smile_right")?],
            cheek: [i("cheek_squint_left")?, i("cheek_squint_right")?],
        })
    }
}

/// What one person does, in clip time (seconds), as far as motion is concerned.
#[derive(Debug, Clone, Default)]
pub struct PersonEvents {
    /// Own phonemes with absolute times.
    pub phonemes: Vec<crate::espeak::Phoneme>,
    /// Own word onsets (s).
    pub word_onsets: Vec<f32>,
    /// Ends of own utterances (s): blink cues and phrase-boundary head moves.
    pub utterance_ends: Vec<f32>,
    /// Per-frame: this person holds the floor.
    pub holds_turn: Vec<bool>,
    /// Frames at which own turns start / end.
    pub turn_starts: Vec<usize>,
    /// Frames at which own turns end.
    pub turn_ends: Vec<usize>,
    /// Listener nods.
    pub nods: Vec<Nod>,
    /// Own loudness per frame, dBFS.
    pub loudness_db: Vec<f32>,
    /// Backchannel onsets (s): smiles are likelier there.
    pub backchannels: Vec<f32>,
}

/// Per-person style drawn once per clip.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Articulation.
    pub articulation: Articulation,
    /// Blinks per minute.
    pub blink_rate: f32,
    /// Head sway amplitude (radians, sd).
    pub sway: f32,
    /// Share of the turn toward the partner taken by the head (rest by the body/neck), radians cap.
    pub head_share: f32,
    /// Expressiveness of brows and smiles (0.5–1.5).
    pub expressive: f32,
}

impl Style {
    /// Draw a style.
    pub fn sample(rng: &mut Rng) -> Self {
        Self {
            articulation: Articulation { openness: rng.range(0.8, 1.2), stress_gain: 0.15 },
            blink_rate: rng.range(18.0, 30.0),
            sway: rng.range(1.0, 2.5).to_radians(),
            head_share: rng.range(0.1, 0.45),
            expressive: rng.range(0.5, 1.5),
        }
    }
}

/// Pass 1 output for one person: motion with eyes at rest, plus the gaze plan.
#[derive(Debug, Clone)]
pub struct Partial {
    /// Motion `[L, 78]`, eyes zero.
    pub x: Motion,
    /// Gaze target per frame.
    pub gaze: Vec<GazeTarget>,
}

/// Pass 1: expression, neck/head and drift of one person at `t0` facing a partner at `t0_partner`.
pub fn body_and_face(
    rng: &mut Rng,
    cols: &Columns,
    ev: &PersonEvents,
    style: Style,
    t0: [f32; 3],
    t0_partner: [f32; 3],
    frames: usize,
) -> Partial {
    let seconds = frames as f32 / FPS as f32;
    let mut x = Motion::zeros(frames);
    // Lips and jaw from the phoneme timings.
    let lips = lip_curves(&cols.lips, &ev.phonemes, 0.0, frames, style.articulation);
    // Blinks cluster at utterance ends (BEHAVIOR.md); gaze-shift cues are added below.
    let gaze = behavior::gaze_plan(rng, &ev.holds_turn, &ev.turn_starts, &ev.turn_ends, Default::default());
    let mut cues = ev.utterance_ends.clone();
    for k in 1..frames {
        if gaze[k].at_partner() != gaze[k - 1].at_partner() {
            cues.push(k as f32 / FPS as f32);
        }
    }
    let blinks =
        behavior::blink_curve(&behavior::blink_times(rng, seconds, style.blink_rate, &cues, 0.3), frames);
    // Brow raises on some word onsets while speaking; smiles now and then, more after backchannels.
    let mut brows = Vec::new();
    for &w in &ev.word_onsets {
        if rng.chance(0.07 * style.expressive) {
            brows.push(Episode {
                start: w - 0.05,
                duration: rng.range(0.3, 0.8),
                amplitude: rng.range(0.25, 0.6),
            });
        }
    }
    let brow = behavior::episode_curve(&brows, frames);
    let mut smiles = Vec::new();
    let mut t = rng.exp(8.0 / style.expressive) - 2.0;
    while t < seconds {
        smiles.push(Episode {
            start: t,
            duration: rng.range(1.0, 3.0),
            amplitude: rng.range(0.15, 0.5) * style.expressive,
        });
        t += rng.exp(8.0 / style.expressive).max(1.0);
    }
    for &b in &ev.backchannels {
        if rng.chance(0.4) {
            smiles.push(Episode {
                start: b - 0.2,
                duration: rng.range(0.8, 2.0),
                amplitude: rng.range(0.2, 0.5),
            });
        }
    }
    let smile = behavior::episode_curve(&smiles, frames);
    let asym = rng.range(-0.1, 0.1);
    let inner_brow = rng.chance(0.3);

    // Head: facing the partner, prosody-driven nods and sway, listener nods, gaze following.
    let face = facing_toward(t0, t0_partner);
    let share = (face.yaw * style.head_share).clamp(-0.5, 0.5);
    let neck_yaw = face.yaw - share;
    let mut speech_nods: Vec<Nod> = Vec::new();
    for &w in &ev.word_onsets {
        if rng.chance(0.25) {
            speech_nods.push(Nod {
                start: w,
                cycles: 1,
                period: rng.range(0.25, 0.35),
                amplitude: rng.range(1.0, 3.5).to_radians(),
            });
        }
    }
    let mut phrase: Vec<Episode> = Vec::new();
    let mut phrase_roll: Vec<Episode> = Vec::new();
    for &e in &ev.utterance_ends {
        phrase.push(Episode {
            start: e - 0.3,
            duration: rng.range(1.0, 2.0),
            amplitude: rng.range(-5.0, 5.0).to_radians(),
        });
        phrase_roll.push(Episode {
            start: e - 0.3,
            duration: rng.range(1.0, 2.0),
            amplitude: rng.range(-3.0, 3.0).to_radians(),
        });
    }
    let nod_pitch: Vec<f32> = behavior::nod_curve(&ev.nods, frames)
        .iter()
        .zip(behavior::nod_curve(&speech_nods, frames))
        .map(|(a, b)| a + b)
        .collect();
    let phrase_yaw = behavior::episode_curve(&phrase, frames);
    let phrase_rollc = behavior::episode_curve(&phrase_roll, frames);
    // Loudness 0..1 (silence to loud speech), smoothed: louder speech moves the head more.
    let loud: Vec<f32> = ev.loudness_db.iter().map(|d| ((d + 50.0) / 30.0).clamp(0.0, 1.0)).collect();
    let loud = behavior::smooth(&loud, 0.2);
    let (sy, sp, sr) = (
        behavior::sway(rng, frames, style.sway),
        behavior::sway(rng, frames, 0.7 * style.sway),
        behavior::sway(rng, frames, 0.5 * style.sway),
    );
    // Head follows large gaze shifts (beyond ~15 degrees the head contributes more).
    let follow = |g: &GazeTarget| -> (f32, f32) {
        match *g {
            GazeTarget::Away(y, p) => {
                let f = |a: f32| 0.3 * a + 0.5 * (a.abs() - 0.26).max(0.0) * a.signum();
                (f(y), f(p))
            }
            GazeTarget::Partner(_) => (0.0, 0.0),
        }
    };
    let gy: Vec<f32> = behavior::smooth(&gaze.iter().map(|g| follow(g).0).collect::<Vec<_>>(), 0.15);
    let gp: Vec<f32> = behavior::smooth(&gaze.iter().map(|g| follow(g).1).collect::<Vec<_>>(), 0.15);
    let neck_sway = behavior::sway(rng, frames, 0.4 * style.sway);
    let drift: Vec<Vec<f32>> = (0..3)
        .map(|a| {
            let amp = rng.range(0.003, if a == 1 { 0.004 } else { 0.008 });
            behavior::sway(rng, frames, amp)
        })
        .collect();

    for k in 0..frames {
        let f = x.frame_mut(k);
        for (c, v) in lips[k].iter().enumerate() {
            if *v != 0.0 {
                f[c] = *v;
            }
        }
        for e in 0..2 {
            f[cols.blink[e]] = blinks[k];
            let s = smile[k] * (1.0 + if e == 0 { asym } else { -asym });
            f[cols.smile[e]] = s;
            f[cols.cheek[e]] = 0.3 * s;
        }
        if inner_brow {
            f[cols.brow_inner] = brow[k];
        } else {
            f[cols.forehead] = brow[k];
        }
        let activity = 0.6 + 0.8 * loud[k];
        let yaw = share + activity * sy[k] + phrase_yaw[k] + gy[k];
        let pitch = face.pitch + activity * sp[k] + nod_pitch[k] + gp[k] + 0.02 * loud[k];
        let roll = activity * sr[k] + phrase_rollc[k];
        let head = rot::ypr(yaw, pitch, roll);
        let neck = rot::ypr(neck_yaw + neck_sway[k], 0.3 * sp[k], 0.0);
        f[Joint::Neck.range()].copy_from_slice(&neck);
        f[Joint::Head.range()].copy_from_slice(&head);
        for a in 0..3 {
            f[75 + a] = drift[a][k] - drift[a][0];
        }
    }
    debug_assert_eq!(x.as_slice().len(), frames * X_DIM);
    Partial { x, gaze }
}

/// World positions a person looks at: left eye, right eye, mouth of a posed head.
fn face_points(face: &FaceModel, beta: &[f32], frame: &[f32], t: [f32; 3]) -> ([[f32; 3]; 3], rot::M3) {
    let g = face.joint_transforms(beta, &frame[63..75], t);
    let pos = |m: &[[f32; 4]; 4]| [m[0][3], m[1][3], m[2][3]];
    let r_head: rot::M3 = std::array::from_fn(|i| std::array::from_fn(|j| g[1][i][j]));
    let (l, r) = (pos(&g[2]), pos(&g[3]));
    let mid = [0, 1, 2].map(|i| 0.5 * (l[i] + r[i]));
    // The mouth sits ~7 cm below and ~1.5 cm in front of the eye line in head coordinates.
    let off = rot::apply(&r_head, [0.0, -0.07, -0.015]);
    ([l, r, [mid[0] + off[0], mid[1] + off[1], mid[2] + off[2]]], r_head)
}

/// Pass 2: aim both people's eyes (theta for the two eye joints) at their gaze targets.
/// `people[i] = (partial, beta, t0)`.
pub fn aim_eyes(face: &FaceModel, people: &mut [(Partial, Vec<f32>, [f32; 3]); 2]) {
    let frames = people[0].0.x.frames();
    for k in 0..frames {
        let mut pts = [[[0.0f32; 3]; 3]; 2];
        let mut heads = [[[0.0f32; 3]; 3]; 2];
        let mut eyes = [[[0.0f32; 3]; 2]; 2];
        for (i, (p, beta, t0)) in people.iter().enumerate() {
            let f = p.x.frame(k);
            let t = [t0[0] + f[75], t0[1] + f[76], t0[2] + f[77]];
            let (points, r_head) = face_points(face, beta, f, t);
            pts[i] = points;
            heads[i] = r_head;
            eyes[i] = [points[0], points[1]];
        }
        for i in 0..2 {
            let target = people[i].0.gaze[k];
            let mid = [0, 1, 2].map(|a| 0.5 * (eyes[i][0][a] + eyes[i][1][a]));
            let point = match target {
                GazeTarget::Partner(w) => pts[1 - i][w as usize],
                GazeTarget::Away(yaw, pitch) => {
                    let to = rot::unit(Vec3::from(pts[1 - i][0]) - Vec3::from(mid)).to_array();
                    let base = facing_toward([0.0; 3], to);
                    let d = rot::apply(
                        &rot::from_aa(rot::ypr(base.yaw + yaw, base.pitch + pitch, 0.0)),
                        [0.0, 0.0, -1.0],
                    );
                    [mid[0] + 2.0 * d[0], mid[1] + 2.0 * d[1], mid[2] + 2.0 * d[2]]
                }
            };
            let f = people[i].0.x.frame_mut(k);
            for (e, joint) in [Joint::LeftEye, Joint::RightEye].into_iter().enumerate() {
                let to = rot::unit(Vec3::from(point) - Vec3::from(eyes[i][e]));
                let mut r = rot::aim(rot::apply_t(&heads[i], to.to_array()));
                // Eyes rotate at most ~40 degrees in the orbit.
                let n = Vec3::from(r).length();
                if n > 0.7 {
                    r = r.map(|v| v * 0.7 / n);
                }
                f[joint.range()].copy_from_slice(&r);
            }
        }
    }
}
