//! Lexical cues for the structured layout method (crates/layout/README.md, "Structured"):
//! explicit distances ("3 metres", "ten feet", "an arm's length", "across the room"), and word
//! groups that hint at a posture, a level, an arrangement or a distance zone. The groups are
//! features for the attribute classifiers (which learn how much each one counts) and the
//! places where a posture is mentioned, which decide who is A; an explicit distance overrides
//! the classifier outright, because a sentence that says "3 metres" means 3 metres.
//!
//! Matching is on whole lower-case words: the text is reduced to letters, digits and single
//! spaces ("arm's" becomes "arm s", "L-shaped" becomes "l shaped") and a phrase matches when
//! its words appear in a row.

use crate::scene::{Level, Posture};

/// A cue group: a name for features and details, and its phrases (normalised as [`words`]).
struct Group {
    name: &'static str,
    phrases: &'static [&'static str],
}

const POSTURE_STANDING: &[&str] = &["stand", "stands", "standing", "stood", "upright", "on foot"];
const POSTURE_SITTING: &[&str] = &[
    "sit",
    "sits",
    "sitting",
    "sat",
    "seated",
    "seat",
    "seats",
    "chair",
    "chairs",
    "armchair",
    "armchairs",
    "sofa",
    "couch",
    "bench",
    "stool",
    "stools",
    "wheelchair",
    "beanbag",
    "deckchair",
    "deckchairs",
    "pew",
    "back seat",
    "front seat",
    "passenger",
    "driver",
];
const POSTURE_FLOOR: &[&str] = &[
    "on the floor",
    "on the ground",
    "on the grass",
    "on the carpet",
    "on the rug",
    "on the sand",
    "cross legged",
    "picnic blanket",
    "on the lawn",
    "beach towel",
    "on the mat",
    "playmat",
    "on a ledge",
    "on the kitchen floor",
];
const POSTURE_KNEELING: &[&str] = &[
    "kneel",
    "kneels",
    "kneeling",
    "knelt",
    "crouch",
    "crouches",
    "crouching",
    "crouched",
    "squat",
    "squatting",
    "on one knee",
    "on his knees",
    "on her knees",
    "on their knees",
];
const POSTURE_LYING: &[&str] = &[
    "lie",
    "lies",
    "lying",
    "in bed",
    "double bed",
    "hospital bed",
    "stretched out",
    "hammock",
    "lounger",
    "loungers",
    "sleeping bag",
    "sleeping bags",
    "reclining",
    "tucked up",
    "on their stomachs",
    "on his back",
];
const POSTURE_CHILD: &[&str] = &[
    "child",
    "children",
    "kid",
    "kids",
    "toddler",
    "toddlers",
    "baby",
    "little boy",
    "little girl",
    "small boy",
    "small girl",
    "young child",
    "little son",
    "little daughter",
    "young daughter",
    "young son",
    "preschooler",
    "preschoolers",
    "grandchild",
    "pupil",
    "little one",
    "infant",
];

const GROUPS: &[Group] = &[
    Group { name: "standing", phrases: POSTURE_STANDING },
    Group { name: "sitting", phrases: POSTURE_SITTING },
    Group { name: "floor", phrases: POSTURE_FLOOR },
    Group { name: "kneeling", phrases: POSTURE_KNEELING },
    Group { name: "lying", phrases: POSTURE_LYING },
    Group { name: "child", phrases: POSTURE_CHILD },
    Group {
        name: "stage",
        phrases: &["stage", "podium", "pulpit", "platform", "dais", "on stage", "raised", "rostrum"],
    },
    Group {
        name: "balcony",
        phrases: &[
            "balcony",
            "balconies",
            "upstairs window",
            "upper window",
            "first floor",
            "second floor",
            "third floor",
            "fourth floor",
            "floor window",
            "window above",
            "out of a window",
            "rooftop",
            "high wall",
        ],
    },
    Group {
        name: "stairs",
        phrases: &[
            "stairs",
            "staircase",
            "stairway",
            "steps",
            "landing",
            "ladder",
            "stepladder",
            "halfway up",
        ],
    },
    Group {
        name: "face",
        phrases: &[
            "face to face",
            "facing each other",
            "facing one another",
            "opposite each other",
            "opposite one another",
            "in front of",
            "eye to eye",
            "looks up",
            "across from",
            "face each other",
            "face off",
            "nose to nose",
        ],
    },
    Group {
        name: "side",
        phrases: &[
            "side by side",
            "next to",
            "beside",
            "shoulder to shoulder",
            "alongside",
            "abreast",
            "arm in arm",
            "hand in hand",
            "neighbouring",
            "adjacent",
            "next seat",
            "adjoining",
            "share a bench",
            "on a bench",
            "on the bench",
            "sofa",
            "couch",
            "front seats",
            "both facing",
            "together on",
        ],
    },
    Group {
        name: "angle",
        phrases: &[
            "corner",
            "right angle",
            "right angles",
            "l shaped",
            "l shape",
            "at an angle",
            "angled",
            "ninety degrees",
            "90 degrees",
            "perpendicular",
            "kitty corner",
            "half turned",
            "turned toward",
            "turned towards",
            "off to",
            "from the side",
            "edge of the bed",
            "by the bed",
            "beside the bed",
            "bedside",
        ],
    },
    Group {
        name: "behind",
        phrases: &[
            "behind",
            "ahead",
            "queue",
            "queuing",
            "queueing",
            "in line",
            "single file",
            "back seat",
            "in the back",
            "pillion",
            "tandem",
            "over the shoulder",
            "over her shoulder",
            "over his shoulder",
            "row behind",
            "one behind the other",
            "pram",
            "stroller",
            "leans forward",
            "in front",
        ],
    },
    Group {
        name: "table",
        phrases: &[
            "table",
            "desk",
            "counter",
            "till",
            "bar",
            "board",
            "across the table",
            "across the counter",
            "over the board",
            "each side",
            "either side",
            "opposite sides",
            "other side",
            "window",
        ],
    },
    Group {
        name: "close",
        phrases: &[
            "whisper",
            "whispers",
            "whispering",
            "whispered",
            "ear",
            "ears",
            "hug",
            "hugs",
            "hugging",
            "embrace",
            "embracing",
            "kiss",
            "kissing",
            "cheek",
            "forehead",
            "foreheads",
            "cuddle",
            "cuddled",
            "cuddles",
            "snuggled",
            "huddle",
            "huddled",
            "murmur",
            "murmurs",
            "murmuring",
            "inches apart",
            "pressed together",
            "arms around",
            "very close",
            "softly",
            "hushed",
            "dance",
            "dancing",
            "tango",
            "waltzing",
            "secret",
        ],
    },
    Group {
        name: "touch",
        phrases: &[
            "hug",
            "hugs",
            "hugging",
            "embrace",
            "embracing",
            "kiss",
            "kissing",
            "cheek",
            "nose to nose",
            "cuddle",
            "cuddled",
            "cuddles",
            "snuggled",
            "arm in arm",
            "hand in hand",
            "holding hands",
            "pressed together",
            "squeezed",
            "huddle",
            "huddled",
            "arms around",
            "foreheads",
        ],
    },
    Group {
        name: "quiet",
        phrases: &[
            "whisper",
            "whispers",
            "whispering",
            "whispered",
            "murmur",
            "murmurs",
            "murmuring",
            "hushed",
            "softly",
            "quietly",
            "low voices",
            "into each other s ears",
            "into his ear",
            "into her ear",
            "in his ear",
            "in her ear",
            "secret",
            "secrets",
        ],
    },
    Group {
        name: "loud",
        phrases: &[
            "shout",
            "shouts",
            "shouting",
            "yell",
            "yells",
            "yelling",
            "calls out",
            "calling out",
            "calling",
            "calls",
            "call",
            "bellows",
            "holler",
            "scream",
            "screams",
            "loudly",
            "wave",
            "waves",
            "waving",
            "megaphone",
        ],
    },
    Group {
        name: "large",
        phrases: &[
            "large",
            "long",
            "big",
            "huge",
            "wide",
            "vast",
            "enormous",
            "open plan",
            "whole",
            "great",
            "busy",
            "crowded",
            "far",
            "far end",
            "far side",
            "far back",
        ],
    },
    Group {
        name: "small",
        phrases: &["small", "tiny", "little", "narrow", "cramped", "compact", "short", "two seater"],
    },
    Group {
        name: "ends",
        phrases: &[
            "opposite ends",
            "either end",
            "each end",
            "other end",
            "far end",
            "opposite sides",
            "other side",
            "far side",
            "opposite corners",
            "one at each end",
            "across the",
            "across a",
        ],
    },
    Group {
        name: "open-space",
        phrases: &[
            "field",
            "pitch",
            "street",
            "road",
            "valley",
            "car park",
            "parking lot",
            "courtyard",
            "campsite",
            "playground",
            "garden",
            "yard",
            "square",
            "pool",
            "stadium",
            "hall",
            "gym",
            "warehouse",
            "corridor",
            "deck",
            "hill",
            "site",
            "pier",
            "track",
            "beach",
            "park",
        ],
    },
    Group {
        name: "vehicle",
        phrases: &[
            "car",
            "taxi",
            "bus",
            "train",
            "plane",
            "flight",
            "cockpit",
            "motorbike",
            "motorcycle",
            "bicycle",
            "bike",
            "scooter",
            "kayak",
            "canoe",
            "boat",
            "tandem",
            "chairlift",
        ],
    },
    Group {
        name: "shared-seat",
        phrases: &[
            "sofa", "couch", "bench", "loveseat", "swing", "beanbag", "pew", "wall", "bed", "stools",
            "seats", "towel", "towels", "blanket",
        ],
    },
    Group {
        name: "room",
        phrases: &[
            "room",
            "kitchen",
            "living room",
            "office",
            "lobby",
            "waiting room",
            "doorway",
            "door",
            "bedroom",
            "lounge",
            "classroom",
            "hallway",
        ],
    },
    Group {
        name: "conversation",
        phrases: &[
            "chat",
            "chats",
            "chatting",
            "conversation",
            "talk",
            "talks",
            "small talk",
            "catch up",
            "gossip",
        ],
    },
    Group {
        name: "contact",
        phrases: &[
            "lap",
            "on her lap",
            "on his lap",
            "in his arms",
            "in her arms",
            "carries",
            "carrying",
            "hip to hip",
            "squeezed",
            "squeezed in",
            "lean on",
            "leans on",
            "leaning on",
            "heads almost touching",
            "heads nearly touching",
            "heads together",
            "faces close",
            "cheek to cheek",
            "piggyback",
            "shoulders touching",
            "knees touching",
            "holding hands",
            "hold hands",
            "lean in",
            "leans in",
            "leaning in",
            "leans close",
            "lean close",
        ],
    },
    Group {
        name: "audience",
        phrases: &[
            "audience",
            "front row",
            "first row",
            "second row",
            "third row",
            "stalls",
            "crowd",
            "pew",
            "first pew",
            "spectators",
            "lecture",
            "lecturing",
            "addresses",
            "addressing",
        ],
    },
    Group {
        name: "back-of-place",
        phrases: &[
            "back row",
            "back rows",
            "back pew",
            "far back",
            "back of the hall",
            "back of the room",
            "back of the shop",
            "back of the church",
            "back of the class",
            "back of the classroom",
            "back of the auditorium",
            "back of the theatre",
            "auditorium",
            "lecture hall",
            "theatre",
            "cathedral",
            "church",
            "concert",
            "arena",
        ],
    },
    Group {
        name: "across-room",
        phrases: &[
            "across the room",
            "across the kitchen",
            "across the living room",
            "across the office",
            "across the hall",
            "across the courtroom",
            "across the classroom",
            "across the bedroom",
            "across the lounge",
            "opposite corners",
            "opposite walls",
            "opposite sides of the room",
            "other side of the room",
            "at the door",
            "by the door",
            "at the doorway",
            "in the doorway",
            "from the doorway",
            "office door",
        ],
    },
    Group {
        name: "across-street",
        phrases: &[
            "across the street",
            "across the road",
            "across the field",
            "across the pitch",
            "across the park",
            "across the car park",
            "across the square",
            "across the yard",
            "across the garden",
            "across the playground",
            "across the river",
            "across the valley",
            "house opposite",
            "opposite house",
            "front doors",
            "other side of the street",
            "other side of the road",
            "other side of the field",
            "in the garden",
            "from the kitchen",
            "from the window",
        ],
    },
    Group {
        name: "spacing",
        phrases: &[
            "a seat between",
            "one seat apart",
            "seat apart",
            "a few steps",
            "few steps away",
            "a few paces",
            "a little apart",
            "apart",
            "some distance",
            "keeping their distance",
            "at a distance",
            "polite distance",
        ],
    },
    Group {
        name: "far",
        phrases: &[
            "shout",
            "shouts",
            "shouting",
            "yell",
            "yells",
            "yelling",
            "calls out",
            "calling",
            "calls",
            "bellows",
            "far end",
            "opposite ends",
            "other end",
            "far side",
            "across the",
            "field",
            "pitch",
            "street",
            "road",
            "hall",
            "gym",
            "car park",
            "parking lot",
            "warehouse",
            "courtyard",
            "campsite",
            "valley",
            "deck",
            "loudly",
            "waving",
            "far away",
            "far apart",
            "each end",
            "back row",
            "big",
        ],
    },
];

/// Seats two people share, for `seat-ends`: "opposite ends of a bench" is a seat's length
/// apart (1-2 m, side by side), not the far ends of a place.
const SEATS: &[&str] = &["bench", "sofa", "couch", "settee", "loveseat", "pew", "seater", "swing", "bed"];

/// Names of the cue features, in feature order: one per group, then `seat-ends` (an `ends`
/// phrase and a shared seat in one sentence) and `explicit-distance` (the structured method
/// appends the scene anchor features).
pub fn feature_names() -> Vec<&'static str> {
    GROUPS.iter().map(|g| g.name).chain(["seat-ends", "explicit-distance"]).collect()
}

/// True when the text puts the two at the ends or sides of one shared seat.
fn seat_ends(ws: &[String]) -> bool {
    let ends = GROUPS.iter().find(|g| g.name == "ends").is_some_and(|g| first_match(ws, g).is_some());
    ends && ws.iter().any(|w| SEATS.contains(&w.as_str()))
}

/// The text as lower-case words of letters and digits; a decimal point between digits is kept
/// ("2.5"), everything else separates words.
pub fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let digit_at = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_ascii_digit());
        let keep_point = (c == '.' || c == ',') && digit_at(i.checked_sub(1)) && digit_at(Some(i + 1));
        out.push(if c.is_alphanumeric() {
            c
        } else if keep_point {
            '.'
        } else {
            ' '
        });
    }
    out.split_whitespace().map(str::to_string).collect()
}

/// Word index of every occurrence of `phrase` (already normalised) in `ws`.
fn find(ws: &[String], phrase: &str) -> Vec<usize> {
    let p: Vec<&str> = phrase.split(' ').collect();
    if p.is_empty() || ws.len() < p.len() {
        return Vec::new();
    }
    (0..=ws.len() - p.len()).filter(|&i| p.iter().enumerate().all(|(k, w)| ws[i + k] == *w)).collect()
}

/// Groups that name the size of a place, and the words that, right after a phrase of theirs,
/// make it a piece of furniture instead ("across the kitchen table" is not across the kitchen).
const PLACE_GROUPS: &[&str] = &["across-room", "across-street", "back-of-place"];
const FURNITURE: &[&str] =
    &["table", "tables", "counter", "desk", "desks", "island", "bench", "sink", "worktop"];

/// The first matching phrase of a group in `ws` and where it starts, earliest first.
fn first_match(ws: &[String], group: &Group) -> Option<(usize, &'static str)> {
    let place = PLACE_GROUPS.contains(&group.name);
    let furniture = |p: &str, i: usize| {
        place && ws.get(i + p.split(' ').count()).is_some_and(|w| FURNITURE.contains(&w.as_str()))
    };
    group
        .phrases
        .iter()
        .filter_map(|p| find(ws, p).into_iter().find(|&i| !furniture(p, i)).map(|i| (i, *p)))
        .min()
}

/// The cue features of a text: 1 for each group with a match, 1 for `seat-ends`, 1 when an
/// explicit distance is stated.
pub fn features(text: &str) -> Vec<f32> {
    let ws = words(text);
    let mut f: Vec<f32> = GROUPS.iter().map(|g| f32::from(first_match(&ws, g).is_some())).collect();
    f.push(f32::from(seat_ends(&ws)));
    f.push(f32::from(explicit_distance(text).is_some()));
    f
}

/// The cue groups that matched, with the phrase that matched, then the scene anchor if one
/// matched (for `--details`).
pub fn matched(text: &str) -> Vec<(&'static str, &'static str)> {
    let ws = words(text);
    GROUPS.iter().filter_map(|g| first_match(&ws, g).map(|(_, p)| (g.name, p))).collect()
}

/// Word position of the first cue for `posture`, and the phrase, if the text mentions it.
pub fn posture_mention(text: &str, posture: Posture) -> Option<(usize, &'static str)> {
    let ws = words(text);
    GROUPS.iter().find(|g| g.name == posture.name()).and_then(|g| first_match(&ws, g))
}

/// The first cue phrase for `level`, if any (ground has none).
pub fn level_mention(text: &str, level: Level) -> Option<&'static str> {
    let ws = words(text);
    GROUPS.iter().find(|g| g.name == level.name()).and_then(|g| first_match(&ws, g)).map(|(_, p)| p)
}

/// A distance the text states, in metres, with the words that state it.
#[derive(Debug, Clone, PartialEq)]
pub struct Explicit {
    /// Metres.
    pub metres: f32,
    /// The words that gave it, e.g. `3 metres`.
    pub phrase: String,
    /// True for a number with a unit; false for a fixed phrase ("across the room") or a vague
    /// quantity ("a few metres"), which stand for a typical value.
    pub exact: bool,
}

/// Phrases that name a distance without a number, and the distance they stand for.
const DISTANCE_PHRASES: &[(&str, f32)] =
    &[("arm s length", 0.7), ("arms length", 0.7), ("across the room", 4.5), ("across a room", 4.5)];

/// Metres per unit word.
fn unit(w: &str) -> Option<f32> {
    Some(match w {
        "m" | "metre" | "metres" | "meter" | "meters" | "mtr" | "mtrs" => 1.0,
        "cm" | "centimetre" | "centimetres" | "centimeter" | "centimeters" => 0.01,
        "ft" | "foot" | "feet" => 0.3048,
        "yard" | "yards" | "yd" | "yds" => 0.9144,
        "inch" | "inches" => 0.0254,
        "pace" | "paces" => 0.75,
        _ => return None,
    })
}

fn number_word(w: &str) -> Option<f32> {
    const SMALL: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const TENS: [(&str, f32); 5] =
        [("thirty", 30.0), ("forty", 40.0), ("fifty", 50.0), ("sixty", 60.0), ("hundred", 100.0)];
    if let Some(i) = SMALL.iter().position(|s| *s == w) {
        return Some(i as f32);
    }
    if let Some((_, v)) = TENS.iter().find(|(s, _)| *s == w) {
        return Some(*v);
    }
    w.replace(',', ".").parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Words after a measurement that make it a height or a size, not a distance between people.
const NOT_APART: &[&str] =
    &["tall", "high", "wide", "deep", "long", "up", "above", "below", "down", "under", "square", "thick"];

/// A quantity starting at word `i`: the value and how many words it took. Handles digits,
/// number words ("twenty five"), "a"/"an"/"half a" before a singular unit, "a couple of" (2)
/// and "a few" (3, vague).
fn quantity(ws: &[String], i: usize) -> Option<(f32, usize, bool)> {
    let w = ws[i].as_str();
    let next = |k: usize| ws.get(i + k).map(String::as_str);
    match w {
        "a" | "an" | "one" if next(1) == Some("couple") && next(2) == Some("of") => {
            return Some((2.0, 3, false))
        }
        "couple" if next(1) == Some("of") => return Some((2.0, 2, false)),
        "a" if next(1) == Some("few") => return Some((3.0, 2, false)),
        "few" | "several" => return Some((3.0, 1, false)),
        "half" if matches!(next(1), Some("a") | Some("an")) => return Some((0.5, 2, true)),
        "a" | "an" => return Some((1.0, 1, true)),
        _ => {}
    }
    let v = number_word(w)?;
    // "twenty five": a tens word followed by a unit digit word.
    if v >= 20.0 && v % 10.0 == 0.0 {
        if let Some(u) = next(1).and_then(number_word).filter(|u| *u >= 1.0 && *u < 10.0 && u.fract() == 0.0)
        {
            return Some((v + u, 2, true));
        }
    }
    Some((v, 1, true))
}

/// The distance between the people that the text states, if it states one.
pub fn explicit_distance(text: &str) -> Option<Explicit> {
    let ws = words(text);
    for i in 0..ws.len() {
        // "3m", "30cm": the number and its unit in one word.
        let w = &ws[i];
        let split = w.find(|c: char| !(c.is_ascii_digit() || c == '.')).filter(|&k| k > 0);
        let fused = split.and_then(|k| Some((w[..k].parse::<f32>().ok()?, unit(&w[k..])?)));
        let (value, used, exact, per) = if let Some((v, u)) = fused {
            (v, 1, true, u)
        } else {
            let Some((v, n, exact)) = quantity(&ws, i) else { continue };
            let Some(u) = ws.get(i + n).and_then(|u| unit(u)) else { continue };
            (v, n + 1, exact, u)
        };
        if ws.get(i + used).is_some_and(|n| NOT_APART.contains(&n.as_str())) {
            continue;
        }
        let metres = value * per;
        if (0.05..=100.0).contains(&metres) {
            return Some(Explicit { metres, phrase: ws[i..i + used].join(" "), exact });
        }
    }
    DISTANCE_PHRASES.iter().find(|(p, _)| !find(&ws, p).is_empty()).map(|(p, m)| Explicit {
        metres: *m,
        phrase: p.replace("arm s", "arm's"),
        exact: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metres(t: &str) -> Option<f32> {
        explicit_distance(t).map(|e| e.metres)
    }

    #[test]
    fn explicit_distances_in_every_unit() {
        let close = |t: &str, want: f32| {
            let got = metres(t).unwrap_or(f32::NAN);
            assert!((got - want).abs() < 1e-3 * want.max(1.0), "{t}: {got} vs {want}");
        };
        close("standing 3 metres apart", 3.0);
        close("about 2.5 meters away", 2.5);
        close("they are 4m apart", 4.0);
        close("only 30 cm from each other", 0.3);
        close("ten feet apart", 3.048);
        close("6 ft away", 1.8288);
        close("five yards apart", 4.572);
        close("twenty five metres away", 25.0);
        close("half a metre apart", 0.5);
        close("a metre away", 1.0);
        close("a couple of metres apart", 2.0);
        close("1,5 m apart", 1.5);
        close("at arm's length", 0.7);
        close("shouting across the room", 4.5);
    }

    #[test]
    fn heights_and_plain_numbers_are_not_distances() {
        assert_eq!(metres("a 2 metre tall man talks to his friend"), None);
        assert_eq!(metres("a stage 1 m high"), None);
        assert_eq!(metres("two people talking"), None);
        assert_eq!(metres("on the 4th floor, 2 friends chat"), None);
        assert!(!explicit_distance("a few metres away").is_some_and(|e| e.exact));
    }

    #[test]
    fn cue_groups_match_whole_words_in_order() {
        assert_eq!(
            words("L-shaped sofa, arm's length, 2.5m"),
            ["l", "shaped", "sofa", "arm", "s", "length", "2.5m"]
        );
        let m = matched("Two friends sitting side by side on a bench");
        assert!(m.contains(&("sitting", "sitting")) && m.contains(&("side", "side by side")), "{m:?}");
        // "stands" must not match inside "understands".
        assert!(posture_mention("she understands", Posture::Standing).is_none());
        let (s, _) =
            posture_mention("a seated customer and a standing waiter", Posture::Sitting).unwrap_or_default();
        let (t, _) =
            posture_mention("a seated customer and a standing waiter", Posture::Standing).unwrap_or_default();
        assert!(s < t);
        assert_eq!(features("x").len(), feature_names().len());
    }
}
