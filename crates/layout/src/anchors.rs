//! Scene anchors for the structured layout method (crates/layout/README.md, "Anchors"): things
//! and places whose size says how far apart two people talking across, along or beside them
//! are ("a tennis court's baselines" 10–16 m, "a see-saw" 2.5–3.5 m, "a pillion passenger"
//! 0.25–0.5 m), and, where the thing fixes it, their arrangement (a canoe puts one behind the
//! other). World knowledge a sentence encoder trained on a few hundred sentences cannot have.
//!
//! An anchor is not an answer: its range and arrangement become features
//! ([`features`]: a presence flag, soft membership of the range's log-distance in 11 centres
//! from 0.15 to 16 m, and one flag per arrangement) that the distance and arrangement heads
//! weigh with everything else, so "whisper across the table" can still win over "table".
//! When several anchors match, the longest phrase wins (then the earliest), so "long dining
//! table" beats "dining table".

use crate::cues::words;

/// One anchor: a phrase (normalised as [`crate::cues::words`]), the horizontal head-to-head
/// distance range it implies (metres) and the arrangement it implies, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// The phrase, lower-case words separated by single spaces.
    pub phrase: &'static str,
    /// Shortest plausible distance (m).
    pub lo: f32,
    /// Longest plausible distance (m).
    pub hi: f32,
    /// Arrangement name (as `Arrangement::name`), when the thing fixes it.
    pub arrangement: Option<&'static str>,
}

const fn a(phrase: &'static str, lo: f32, hi: f32) -> Anchor {
    Anchor { phrase, lo, hi, arrangement: None }
}

const fn ar(phrase: &'static str, lo: f32, hi: f32, arrangement: &'static str) -> Anchor {
    Anchor { phrase, lo, hi, arrangement: Some(arrangement) }
}

const F2F: &str = "face-to-face";
const SIDE: &str = "side-by-side";
const BEHIND: &str = "behind";
const TABLE: &str = "across-table";
const L: &str = "l-shape";

/// The anchor lexicon. Distances are between the two heads, on the ground plane, for the usual
/// way two people talk with that thing between, under or around them.
pub const ANCHORS: &[Anchor] = &[
    // Vehicles and rides: one behind the other or shoulder to shoulder.
    ar("pillion", 0.25, 0.5, BEHIND),
    ar("motorbike", 0.25, 0.6, BEHIND),
    ar("motorcycle", 0.25, 0.6, BEHIND),
    ar("scooter", 0.25, 0.6, BEHIND),
    ar("back of a bicycle", 0.3, 0.7, BEHIND),
    ar("back of the bicycle", 0.3, 0.7, BEHIND),
    ar("back of his bike", 0.3, 0.7, BEHIND),
    ar("back of her bike", 0.3, 0.7, BEHIND),
    ar("tandem", 0.8, 1.4, BEHIND),
    ar("canoe", 1.5, 2.5, BEHIND),
    ar("kayak", 1.5, 2.5, BEHIND),
    ar("rowing boat", 1.0, 1.8, F2F),
    ar("horseback", 2.0, 4.0, BEHIND),
    ar("single file", 0.8, 2.0, BEHIND),
    ar("conga", 0.4, 0.8, BEHIND),
    ar("queue", 0.5, 1.0, BEHIND),
    ar("chairlift", 3.0, 8.0, BEHIND),
    ar("ski lift", 3.0, 8.0, BEHIND),
    ar("pram", 0.5, 0.9, BEHIND),
    ar("pushchair", 0.5, 0.9, BEHIND),
    ar("stroller", 0.5, 0.9, BEHIND),
    ar("wheelchair", 0.4, 0.9, BEHIND),
    ar("back seat", 0.4, 0.8, SIDE),
    ar("taxi", 0.4, 0.8, SIDE),
    ar("front seats", 0.5, 0.8, SIDE),
    ar("crowded train", 0.3, 0.6, SIDE),
    ar("crowded bus", 0.3, 0.6, SIDE),
    ar("lift", 0.4, 1.0, SIDE),
    ar("elevator", 0.4, 1.0, SIDE),
    ar("escalator", 0.5, 1.0, BEHIND),
    ar("sleigh", 0.3, 0.7, SIDE),
    // Shared seats and beds.
    ar("loveseat", 0.15, 0.45, SIDE),
    ar("one microphone", 0.3, 0.6, SIDE),
    ar("same microphone", 0.3, 0.6, SIDE),
    ar("shoulder to shoulder", 0.3, 0.6, SIDE),
    ar("swings", 0.6, 1.2, SIDE),
    ar("hammocks", 1.0, 2.0, SIDE),
    ar("sun loungers", 0.8, 1.5, SIDE),
    ar("deckchairs", 0.6, 1.2, SIDE),
    ar("hospital beds", 1.2, 2.5, SIDE),
    ar("neighbouring beds", 1.2, 2.5, SIDE),
    ar("bunk beds", 0.8, 1.5, SIDE),
    ar("next desk", 0.8, 1.5, SIDE),
    ar("neighbouring desks", 0.8, 1.5, SIDE),
    ar("adjacent desks", 0.8, 1.5, SIDE),
    ar("railing", 0.4, 0.9, SIDE),
    ar("bar stools", 0.5, 0.9, SIDE),
    a("foot of the bed", 1.5, 2.5),
    a("end of the bed", 1.5, 2.5),
    a("bedside", 0.5, 1.0),
    // Services done close to someone.
    ar("barber", 0.3, 0.7, BEHIND),
    ar("hairdresser", 0.3, 0.7, BEHIND),
    ar("cutting hair", 0.3, 0.7, BEHIND),
    ar("massage", 0.3, 0.7, F2F),
    a("dentist", 0.3, 0.6),
    a("tattoo", 0.4, 0.7),
    a("car window", 0.5, 0.9),
    a("through the window", 0.5, 1.2),
    // Counters, desks and tables: across them.
    ar("counter", 0.7, 1.2, TABLE),
    ar("till", 0.7, 1.2, TABLE),
    ar("checkout", 0.7, 1.2, TABLE),
    ar("market stall", 0.8, 1.4, TABLE),
    ar("stall", 0.8, 1.4, TABLE),
    ar("front desk", 0.8, 1.4, TABLE),
    ar("reception desk", 0.8, 1.4, TABLE),
    ar("ticket window", 0.6, 1.1, TABLE),
    ar("through the glass", 0.6, 1.0, TABLE),
    ar("over the bar", 0.7, 1.2, TABLE),
    ar("across the bar", 0.7, 1.2, TABLE),
    ar("small table", 0.6, 0.9, TABLE),
    ar("tiny table", 0.6, 0.9, TABLE),
    ar("cafe table", 0.6, 0.9, TABLE),
    ar("bistro table", 0.6, 0.9, TABLE),
    ar("chessboard", 0.6, 0.9, TABLE),
    ar("chess", 0.6, 0.9, TABLE),
    ar("card table", 0.7, 1.0, TABLE),
    ar("restaurant table", 0.6, 1.0, TABLE),
    ar("kitchen table", 0.8, 1.3, TABLE),
    ar("desk", 0.8, 1.4, TABLE),
    ar("narrow desk", 0.8, 1.3, TABLE),
    ar("dining table", 1.0, 2.0, TABLE),
    ar("picnic table", 0.9, 1.6, TABLE),
    ar("round table", 1.3, 2.2, TABLE),
    ar("poker table", 1.2, 2.0, TABLE),
    ar("roulette table", 1.5, 2.5, TABLE),
    ar("pool table", 1.5, 3.0, TABLE),
    ar("snooker table", 1.5, 3.0, TABLE),
    ar("conference table", 1.5, 3.5, TABLE),
    ar("boardroom table", 1.5, 3.5, TABLE),
    ar("negotiating table", 1.3, 2.4, TABLE),
    ar("long table", 2.0, 3.5, TABLE),
    ar("long dining table", 2.0, 3.5, TABLE),
    ar("banquet table", 3.0, 6.0, TABLE),
    ar("very long table", 3.0, 6.0, TABLE),
    ar("very long dining table", 3.0, 6.0, TABLE),
    ar("ping pong table", 2.5, 3.5, TABLE),
    ar("table tennis", 2.5, 3.5, TABLE),
    ar("garden fence", 0.7, 1.3, TABLE),
    ar("over the fence", 0.7, 1.3, TABLE),
    ar("high fence", 0.8, 1.4, TABLE),
    ar("over the wall", 0.7, 1.3, TABLE),
    // Things two people stand or sit at either end of, or across.
    ar("see saw", 2.5, 3.5, F2F),
    ar("seesaw", 2.5, 3.5, F2F),
    ar("campfire", 1.5, 2.5, F2F),
    ar("across the fire", 1.5, 2.5, F2F),
    ar("bonfire", 2.0, 4.0, F2F),
    ar("hallway", 1.0, 1.8, F2F),
    ar("corridor", 1.0, 1.8, F2F),
    ar("narrow hallway", 1.0, 1.6, F2F),
    ar("doorway", 1.0, 2.0, F2F),
    ar("either side of a door", 1.0, 2.0, F2F),
    ar("aisle", 1.2, 2.0, F2F),
    ar("easel", 1.5, 3.0, L),
    ar("piano", 1.0, 1.8, L),
    ar("fencers", 2.0, 4.0, F2F),
    ar("fencing", 2.0, 4.0, F2F),
    ar("boxing ring", 1.0, 3.0, F2F),
    ar("duel", 8.0, 16.0, F2F),
    ar("throne", 2.0, 4.0, F2F),
    ar("raised bench", 2.0, 4.0, F2F),
    ar("witness stand", 2.0, 4.0, F2F),
    ar("witness box", 2.0, 4.0, F2F),
    ar("podium", 1.2, 2.5, F2F),
    ar("fireplace", 1.5, 3.0, F2F),
    ar("foot of the stairs", 1.0, 2.5, F2F),
    ar("stairs", 1.0, 2.5, F2F),
    ar("front steps", 1.2, 2.5, F2F),
    ar("mezzanine", 2.0, 5.0, F2F),
    ar("balcony above", 1.5, 4.0, F2F),
    ar("attic window", 4.0, 9.0, F2F),
    // Rooms: across them.
    ar("small room", 2.0, 3.5, F2F),
    ar("small kitchen", 1.5, 3.0, F2F),
    ar("across the kitchen", 1.5, 3.5, F2F),
    ar("bedroom", 2.0, 3.5, F2F),
    ar("across the lounge", 2.0, 3.5, F2F),
    ar("across the living room", 2.0, 3.5, F2F),
    ar("waiting room", 2.0, 4.0, F2F),
    ar("shared office", 3.0, 5.0, F2F),
    ar("open office", 5.0, 10.0, F2F),
    ar("open plan office", 5.0, 10.0, F2F),
    ar("across the office", 3.0, 8.0, F2F),
    ar("back of the shop", 4.0, 9.0, F2F),
    ar("courtroom", 3.6, 7.0, F2F),
    ar("across the courtroom", 3.6, 7.0, F2F),
    ar("hotel lobby", 4.0, 8.0, F2F),
    ar("lobby", 4.0, 8.0, F2F),
    ar("big hall", 6.0, 14.0, F2F),
    ar("gym", 6.0, 14.0, F2F),
    ar("warehouse", 8.0, 16.0, F2F),
    ar("very back", 6.0, 12.0, F2F),
    ar("back row", 6.0, 14.0, F2F),
    ar("last pew", 10.0, 16.0, F2F),
    ar("cathedral", 10.0, 16.0, F2F),
    ar("auditorium", 8.0, 16.0, F2F),
    ar("lecture theatre", 8.0, 16.0, F2F),
    ar("lecture hall", 8.0, 16.0, F2F),
    ar("front row", 2.0, 5.0, F2F),
    ar("second row", 3.0, 5.0, F2F),
    ar("in the stalls", 3.0, 8.0, F2F),
    ar("in the wings", 2.0, 4.0, SIDE),
    // Outdoors and sport: far.
    ar("tennis court", 10.0, 16.0, F2F),
    ar("baselines", 10.0, 16.0, F2F),
    ar("baseline", 10.0, 16.0, F2F),
    ar("basketball court", 8.0, 16.0, F2F),
    ar("football field", 16.0, 16.0, F2F),
    ar("football pitch", 16.0, 16.0, F2F),
    ar("across the pitch", 16.0, 16.0, F2F),
    ar("across the field", 16.0, 16.0, F2F),
    ar("main street", 8.0, 16.0, F2F),
    ar("across the street", 6.0, 15.0, F2F),
    ar("across the road", 6.0, 15.0, F2F),
    ar("courtyard", 6.0, 14.0, F2F),
    ar("car park", 10.0, 16.0, F2F),
    ar("parking lot", 10.0, 16.0, F2F),
    ar("walkie talkies", 8.0, 16.0, F2F),
    ar("walkie talkie", 8.0, 16.0, F2F),
    ar("ends of the garden", 8.0, 16.0, F2F),
    ar("across the garden", 6.0, 15.0, F2F),
    ar("across the playground", 8.0, 16.0, F2F),
    ar("riverbank", 10.0, 16.0, F2F),
];

/// Log-distance centres (m) of the soft range features.
pub const CENTRES: [f32; 11] = [0.15, 0.25, 0.4, 0.65, 1.0, 1.6, 2.5, 4.0, 6.5, 10.0, 16.0];

/// Arrangement names, in feature order.
pub const ARRANGEMENTS: [&str; 5] = [F2F, SIDE, L, BEHIND, TABLE];

/// Width (natural log units) of the fall-off of a centre's membership outside the range.
const FALL_OFF: f32 = 0.3;

impl Anchor {
    /// How far inside the range `metres` is: 1 inside, a Gaussian fall-off in log distance
    /// (width 0.3) outside.
    pub fn membership(&self, metres: f32) -> f32 {
        let (lo, hi, c) = (self.lo.ln(), self.hi.ln(), metres.max(1e-3).ln());
        let off = if c < lo {
            lo - c
        } else if c > hi {
            c - hi
        } else {
            0.0
        };
        (-0.5 * (off / FALL_OFF).powi(2)).exp()
    }
}

/// The anchor a text names: the longest matching phrase, then the earliest.
pub fn find(text: &str) -> Option<&'static Anchor> {
    let ws = words(text);
    let at = |p: &str| -> Option<usize> {
        let p: Vec<&str> = p.split(' ').collect();
        (ws.len() >= p.len())
            .then(|| (0..=ws.len() - p.len()).find(|&i| p.iter().enumerate().all(|(k, w)| ws[i + k] == *w)))
            .flatten()
    };
    ANCHORS
        .iter()
        .filter_map(|an| at(an.phrase).map(|i| (an, i)))
        .min_by_key(|(an, i)| (std::cmp::Reverse(an.phrase.split(' ').count()), *i))
        .map(|(an, _)| an)
}

/// Names of the anchor features, in order.
pub fn feature_names() -> Vec<&'static str> {
    const RANGE: [&str; 11] = [
        "anchor-0.15m",
        "anchor-0.25m",
        "anchor-0.4m",
        "anchor-0.65m",
        "anchor-1m",
        "anchor-1.6m",
        "anchor-2.5m",
        "anchor-4m",
        "anchor-6.5m",
        "anchor-10m",
        "anchor-16m",
    ];
    const ARR: [&str; 5] = [
        "anchor-face-to-face",
        "anchor-side-by-side",
        "anchor-l-shape",
        "anchor-behind",
        "anchor-across-table",
    ];
    std::iter::once("anchor").chain(RANGE).chain(ARR).collect()
}

/// The anchor features of a text (all 0 when no anchor matches): presence, the membership of
/// each centre in the anchor's range (1 inside, a Gaussian fall-off in log distance outside),
/// and the arrangement it implies.
pub fn features(text: &str) -> Vec<f32> {
    let mut f = vec![0.0; 1 + CENTRES.len() + ARRANGEMENTS.len()];
    if let Some(an) = find(text) {
        f[0] = 1.0;
        for (k, c) in CENTRES.iter().enumerate() {
            f[1 + k] = an.membership(*c);
        }
        if let Some(i) = an.arrangement.and_then(|n| ARRANGEMENTS.iter().position(|x| *x == n)) {
            f[1 + CENTRES.len() + i] = 1.0;
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::Arrangement;

    #[test]
    fn the_longest_phrase_wins() {
        let an = find("Two ministers sit at the ends of a very long dining table.").expect("an anchor");
        assert_eq!(an.phrase, "very long dining table");
        assert_eq!(find("Across a dining table.").map(|a| a.phrase), Some("dining table"));
        assert!(find("Two friends talk about the weather.").is_none());
        // Whole words only: "lift" is not in "uplifting", "till" not in "still".
        assert!(find("An uplifting talk, still going.").is_none());
    }

    #[test]
    fn features_mark_the_range_and_the_arrangement() {
        let f = features("Two tennis players talk from their baselines.");
        assert_eq!(f.len(), feature_names().len());
        assert_eq!(f[0], 1.0);
        let c10 = 1 + CENTRES.iter().position(|c| *c == 10.0).expect("10 m centre");
        assert_eq!(f[c10], 1.0);
        assert!(f[1] < 1e-6, "0.15 m is far outside 10-16 m: {}", f[1]);
        assert_eq!(f[1 + CENTRES.len()], 1.0, "face to face");
        assert!(features("Nothing here.").iter().all(|v| *v == 0.0));
    }

    #[test]
    fn every_anchor_is_well_formed() {
        for an in ANCHORS {
            assert!(an.lo > 0.0 && an.lo <= an.hi && an.hi <= 16.0, "{an:?}");
            assert_eq!(words(an.phrase).join(" "), an.phrase, "phrase not normalised: {an:?}");
            if let Some(n) = an.arrangement {
                assert!(Arrangement::parse(n).is_some(), "unknown arrangement in {an:?}");
            }
        }
    }
}
