//! Where the preview's cameras stand and which part of the image each one fills (`--camera`):
//! a two-shot from beside the pair, split-screen close-ups of each face, or the plain view from
//! the default viewer's side (DESIGN §2). [`crate::Scene`] chooses between the first two from the
//! layout when asked for [`Shot::Auto`], by measuring how many pixels each mouth gets.

use crate::camera::{Camera, Sphere};
use crate::math::Vec3;
use std::fmt;
use std::str::FromStr;

/// How a preview frames its people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shot {
    /// The two-shot when both mouths get at least 1.2x [`MIN_LIP_PIXELS`] in it (sampled
    /// through the clip), else split-screen; the front view for other than two people.
    #[default]
    Auto,
    /// One camera on the perpendicular bisector of the line between the heads (seen from above),
    /// at their height, on the side their faces point to: both people, as film frames a
    /// conversation.
    TwoShot,
    /// Two close-ups side by side, each from the front of one face, with the top-down inset
    /// between them showing where the two stand.
    Split,
    /// One camera on the default viewer's side (-Z) looking along +Z, swinging round only when
    /// one head would hide the other (the earlier default).
    Front,
}

impl Shot {
    /// Every shot, in the order of the command-line help.
    pub const ALL: [Shot; 4] = [Shot::Auto, Shot::TwoShot, Shot::Split, Shot::Front];

    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            Shot::Auto => "auto",
            Shot::TwoShot => "two-shot",
            Shot::Split => "split",
            Shot::Front => "front",
        }
    }
}

impl fmt::Display for Shot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shot {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let want = s.trim().to_ascii_lowercase().replace('_', "-");
        let want = if want == "twoshot" { "two-shot".to_string() } else { want };
        Shot::ALL.into_iter().find(|shot| shot.name() == want).ok_or_else(|| {
            let names: Vec<&str> = Shot::ALL.iter().map(|s| s.name()).collect();
            format!("unknown camera {s:?}; use one of {}", names.join(", "))
        })
    }
}

/// Lip pixels each mouth should cover at 1280x720 for the lips to be readable (issue 17's
/// measure; scaled by image area at other sizes).
pub const MIN_LIP_PIXELS: f32 = 250.0;

/// [`MIN_LIP_PIXELS`] scaled to a `width` x `height` image.
pub fn lip_pixel_target(width: u32, height: u32) -> f32 {
    MIN_LIP_PIXELS * (width as f32 * height as f32) / (1280.0 * 720.0)
}

/// A rectangle of the image, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// One camera drawing some of the people into a rectangle of the image.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The camera (its image is `rect`'s size).
    pub camera: Camera,
    /// Where its picture goes.
    pub rect: Rect,
    /// Indices of the people it draws.
    pub people: Vec<usize>,
}

/// Where the top-down inset goes: its panel's top-left corner and side (pixels), and the
/// horizontal viewing direction to mark (None with one camera per person).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsetPlace {
    /// Top-left corner of the panel.
    pub corner: (i32, i32),
    /// Side of the square panel.
    pub side: i32,
    /// The camera's horizontal viewing direction `(x, z)`.
    pub viewer: Option<[f32; 2]>,
}

/// The views of a concrete shot (not [`Shot::Auto`]) over `area` (the image above the caption
/// strip) for heads bounded by `spheres` with horizontal rest directions `facings`, and where
/// the inset goes when `inset` (always for split-screen). None when the shot cannot be taken:
/// a two-shot or split of other than two people, or a two-shot of heads one above the other.
pub fn plan(
    shot: Shot,
    spheres: &[Sphere],
    facings: &[Vec3],
    area: Rect,
    fov_y: f32,
    inset: bool,
) -> Option<(Vec<View>, Option<InsetPlace>)> {
    let aspect = area.width as f32 / area.height as f32;
    let everyone: Vec<usize> = (0..spheres.len()).collect();
    let side = crate::inset::panel_side(area.height) as i32;
    let pad = (area.height as f32 * 0.02).round() as i32;
    // With an inset beside one camera, frame the heads in the part of the width it leaves free.
    let free =
        if inset { 1.0 - crate::inset::reserved_width(area.height) as f32 / area.width as f32 } else { 1.0 };
    let beside = |camera: &Camera| InsetPlace {
        corner: ((area.x + area.width) as i32 - side - pad, area.y as i32 + pad),
        side,
        viewer: Some([camera.forward[0], camera.forward[2]]),
    };
    match shot {
        Shot::Auto => None,
        Shot::Front => {
            let camera = Camera::framing_left(spheres, aspect, fov_y, free);
            let place = inset.then(|| beside(&camera));
            Some((vec![View { camera, rect: area, people: everyone }], place))
        }
        Shot::TwoShot => {
            let (s, f): (&[Sphere; 2], &[Vec3; 2]) = (spheres.try_into().ok()?, facings.try_into().ok()?);
            let camera = Camera::two_shot(s, *f, aspect, fov_y, free)?;
            let place = inset.then(|| beside(&camera));
            Some((vec![View { camera, rect: area, people: everyone }], place))
        }
        Shot::Split => {
            let (s, f): (&[Sphere; 2], &[Vec3; 2]) = (spheres.try_into().ok()?, facings.try_into().ok()?);
            // Keep the two-shot's left and right (the first person on the left when there is
            // no two-shot), so a cut between the two never swaps sides.
            let a_left = Camera::two_shot(s, *f, aspect, fov_y, 1.0)
                .map(|c| {
                    let w = area.width;
                    c.project(s[0].center, w, area.height).x <= c.project(s[1].center, w, area.height).x
                })
                .unwrap_or(true);
            let half = area.width / 2;
            let rects = [
                Rect { x: area.x, y: area.y, width: half, height: area.height },
                Rect { x: area.x + half, y: area.y, width: area.width - half, height: area.height },
            ];
            let order = if a_left { [0, 1] } else { [1, 0] };
            let views = order
                .iter()
                .zip(rects)
                .map(|(&i, rect)| View {
                    camera: Camera::close_up(&s[i], f[i], rect.width as f32 / rect.height as f32, fov_y),
                    rect,
                    people: vec![i],
                })
                .collect();
            let place = InsetPlace {
                corner: ((area.x + area.width / 2) as i32 - side / 2, area.y as i32 + pad),
                side,
                viewer: None,
            };
            Some((views, Some(place)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_list_the_choices() {
        for shot in Shot::ALL {
            assert_eq!(shot.name().parse::<Shot>().unwrap(), shot);
        }
        assert_eq!("Two_Shot".parse::<Shot>().unwrap(), Shot::TwoShot);
        let err = "overhead".parse::<Shot>().unwrap_err();
        assert!(err.contains("auto, two-shot, split, front"), "{err}");
    }

    #[test]
    fn split_puts_each_face_in_its_half_with_the_inset_between() {
        let s = [
            Sphere { center: [-1.5, 0.0, 0.0], radius: 0.15 },
            Sphere { center: [1.5, 0.0, 0.0], radius: 0.15 },
        ];
        let f = [[0.0, 0.0, -1.0]; 2];
        let area = Rect { x: 0, y: 0, width: 1280, height: 648 };
        let (views, place) = plan(Shot::Split, &s, &f, area, 30f32.to_radians(), false).unwrap();
        assert_eq!(views.len(), 2);
        assert_eq!((views[0].people.clone(), views[1].people.clone()), (vec![0], vec![1]));
        assert_eq!(views[1].rect, Rect { x: 640, y: 0, width: 640, height: 648 });
        for v in &views {
            let p = v.camera.project(s[v.people[0]].center, v.rect.width, v.rect.height);
            assert!((p.x - 320.0).abs() < 1.0, "{p:?}");
        }
        let place = place.unwrap();
        assert!(place.corner.0 < 640 && place.corner.0 + place.side > 640, "{place:?}");
        // Neither a two-shot nor a split of one person.
        assert!(plan(Shot::Split, &s[..1], &f[..1], area, 0.5, false).is_none());
        assert!(plan(Shot::TwoShot, &s[..1], &f[..1], area, 0.5, false).is_none());
        assert!(plan(Shot::Front, &s[..1], &f[..1], area, 0.5, false).is_some());
    }
}
