//! Checks a layout before it conditions the model: finite numbers, inside a plausible room,
//! the two heads not inside each other. Out-of-range values are clamped (with a note naming each
//! change) or rejected, as the caller chooses; non-finite values are always rejected.

use crate::error::{LayoutError, Result};
use crate::Layout;

/// Plausible room bounds (metres, DESIGN.md §2 frame) and the closest two head centres may be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Largest |x| and |z| of either head: a 16 m wide hall is as far as a conversation goes.
    pub max_horizontal: f32,
    /// Lowest head height relative to a standing adult's (lying on the floor).
    pub min_y: f32,
    /// Highest head height (a first-floor balcony).
    pub max_y: f32,
    /// Smallest distance between the two head centres: two heads ~0.16 m wide cannot be closer
    /// than cheek to cheek.
    pub min_separation: f32,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_horizontal: 8.0, min_y: -1.5, max_y: 3.5, min_separation: 0.18 }
    }
}

/// What to do with a layout that is finite but outside the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Move it inside the bounds and say what moved.
    #[default]
    Clamp,
    /// Refuse it with a message naming the offending value.
    Reject,
}

/// A layout that passed validation, with one note per change made to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The (possibly clamped) layout.
    pub layout: Layout,
    /// Human-readable notes, e.g. `B z = 12.00 clamped to 8.00`; empty when nothing changed.
    pub notes: Vec<String>,
}

const AXES: [char; 3] = ['x', 'y', 'z'];

/// Errors if any coordinate is NaN or infinite.
pub fn check_finite(l: &Layout) -> Result<()> {
    for (who, p) in [('A', l.a), ('B', l.b)] {
        for (i, &v) in p.iter().enumerate() {
            if !v.is_finite() {
                return Err(LayoutError::NotFinite { who, axis: AXES[i], value: v });
            }
        }
    }
    Ok(())
}

/// Validates `l` against `bounds` under `policy`.
pub fn validate(l: &Layout, bounds: &Bounds, policy: Policy) -> Result<Checked> {
    check_finite(l)?;
    let mut out = *l;
    let mut notes = Vec::new();
    for (who, p) in [('A', &mut out.a), ('B', &mut out.b)] {
        for (i, v) in p.iter_mut().enumerate() {
            let (lo, hi) = if i == 1 {
                (bounds.min_y, bounds.max_y)
            } else {
                (-bounds.max_horizontal, bounds.max_horizontal)
            };
            if *v < lo || *v > hi {
                let c = v.clamp(lo, hi);
                let msg = format!("{who} {} = {:.2} m is outside [{lo:.2}, {hi:.2}]", AXES[i], *v);
                match policy {
                    Policy::Reject => return Err(LayoutError::Rejected(msg)),
                    Policy::Clamp => notes.push(format!("{msg}: clamped to {c:.2}")),
                }
                *v = c;
            }
        }
    }
    let d = out.distance();
    if d < bounds.min_separation {
        let msg = format!(
            "A and B are {d:.3} m apart, closer than {:.2} m (the heads would overlap)",
            bounds.min_separation
        );
        if policy == Policy::Reject {
            return Err(LayoutError::Rejected(msg));
        }
        // Push both apart symmetrically along the line joining them (along X when they
        // coincide, A to the left as the library's convention puts it).
        let mid = out.midpoint();
        let mut dir = sub(out.b, out.a);
        let n = norm(dir);
        dir = if n > 1e-6 { dir.map(|v| v / n) } else { [1.0, 0.0, 0.0] };
        let h = bounds.min_separation / 2.0;
        out.a = [mid[0] - dir[0] * h, mid[1] - dir[1] * h, mid[2] - dir[2] * h];
        out.b = [mid[0] + dir[0] * h, mid[1] + dir[1] * h, mid[2] + dir[2] * h];
        notes.push(format!("{msg}: moved apart to {:.2} m", bounds.min_separation));
    }
    Ok(Checked { layout: out, notes })
}

/// Parses `--positions "A=x,y,z;B=x,y,z"` (spaces allowed, order of A and B free, `;` or `|`
/// between the two). The result is not validated yet.
pub fn parse_positions(s: &str) -> Result<Layout> {
    let err = |msg: &str| LayoutError::Positions { input: s.to_string(), msg: msg.to_string() };
    let mut a = None;
    let mut b = None;
    for part in s.split([';', '|']).map(str::trim).filter(|p| !p.is_empty()) {
        let (name, coords) = part.split_once('=').ok_or_else(|| err("each part must look like A=x,y,z"))?;
        let vals: Vec<f32> = coords
            .split(',')
            .map(|c| c.trim().parse::<f32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| err("coordinates must be numbers"))?;
        let p: [f32; 3] = vals.try_into().map_err(|_| err("each person needs exactly 3 coordinates"))?;
        match name.trim() {
            "A" | "a" if a.is_none() => a = Some(p),
            "B" | "b" if b.is_none() => b = Some(p),
            "A" | "a" | "B" | "b" => return Err(err("a person is given twice")),
            _ => return Err(err("names must be A and B")),
        }
    }
    match (a, b) {
        (Some(a), Some(b)) => Ok(Layout { a, b }),
        _ => Err(err("both A and B are needed")),
    }
}

pub(crate) fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn norm(v: [f32; 3]) -> f32 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(a: [f32; 3], b: [f32; 3]) -> Layout {
        Layout { a, b }
    }

    #[test]
    fn paper_examples_pass_unchanged() {
        for lay in [
            l([0.0, 0.0, -0.5], [0.0, 0.0, 0.5]),
            l([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0]),
            l([-0.15, 0.0, -0.1], [0.15, 0.0, 0.1]),
        ] {
            let c = validate(&lay, &Bounds::default(), Policy::Reject).unwrap();
            assert_eq!(c.layout, lay);
            assert!(c.notes.is_empty());
        }
    }

    #[test]
    fn out_of_room_is_clamped_with_a_note_or_rejected_naming_the_value() {
        let lay = l([0.0, 0.0, -0.5], [0.0, 0.0, 40.0]);
        let c = validate(&lay, &Bounds::default(), Policy::Clamp).unwrap();
        assert_eq!(c.layout.b[2], 8.0);
        assert_eq!(c.notes.len(), 1);
        assert!(c.notes[0].starts_with("B z = 40.00"), "{:?}", c.notes);
        let e = validate(&lay, &Bounds::default(), Policy::Reject).unwrap_err().to_string();
        assert!(e.contains("B z = 40.00"), "{e}");
    }

    #[test]
    fn overlapping_heads_are_pushed_apart_symmetrically() {
        let lay = l([0.0, 0.0, -0.02], [0.0, 0.0, 0.02]);
        let c = validate(&lay, &Bounds::default(), Policy::Clamp).unwrap();
        assert!((c.layout.distance() - 0.18).abs() < 1e-5);
        assert!((c.layout.a[2] + 0.09).abs() < 1e-6 && (c.layout.b[2] - 0.09).abs() < 1e-6);
        let same = l([0.5, 0.0, 0.5], [0.5, 0.0, 0.5]);
        let c = validate(&same, &Bounds::default(), Policy::Clamp).unwrap();
        assert!(c.layout.a[0] < c.layout.b[0]);
        assert!(validate(&same, &Bounds::default(), Policy::Reject).is_err());
    }

    #[test]
    fn non_finite_is_always_rejected() {
        let lay = l([f32::NAN, 0.0, 0.0], [0.0, 0.0, 1.0]);
        let e = validate(&lay, &Bounds::default(), Policy::Clamp).unwrap_err();
        assert!(matches!(e, LayoutError::NotFinite { who: 'A', axis: 'x', .. }));
    }

    #[test]
    fn positions_parse_and_bad_ones_say_why() {
        let p = parse_positions("A=0,0,-0.5; B = 0, 0, 0.5").unwrap();
        assert_eq!(p, l([0.0, 0.0, -0.5], [0.0, 0.0, 0.5]));
        let p = parse_positions("B=1,2,3|A=-1,-2,-3").unwrap();
        assert_eq!(p.a, [-1.0, -2.0, -3.0]);
        for (bad, why) in [
            ("A=0,0;B=0,0,1", "exactly 3"),
            ("A=0,0,x;B=0,0,1", "numbers"),
            ("A=0,0,0", "both"),
            ("A=0,0,0;A=1,1,1", "twice"),
            ("C=0,0,0;B=1,1,1", "A and B"),
        ] {
            let e = parse_positions(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
