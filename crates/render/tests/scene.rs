//! Posed two-head scenes from the real face model: each head lands on its side of the image,
//! the nearer one is larger, every layout shows both, the inset marks both people, and the
//! automatic shot gives both mouths enough pixels whatever the layout.

use duologue_face::FaceModel;
use duologue_params::{Duo, Joint, Person, FPS};
use duologue_render::shot::lip_pixel_target;
use duologue_render::{Image, RenderOptions, Scene, Shot, PERSON_COLORS};

const W: u32 = 480;
const H: u32 = 270;

fn duo(t0_a: [f32; 3], t0_b: [f32; 3], frames: usize) -> Duo {
    let mut a = Person::neutral(frames, t0_a);
    let mut b = Person::neutral(frames, t0_b);
    a.beta[0] = 1.0;
    b.beta[1] = -1.0;
    for k in 0..frames {
        a.x.frame_mut(k)[0] = 0.5; // some mouth movement
        b.x.frame_mut(k)[Joint::Head.range().start + 1] = 0.2;
    }
    Duo { a, b, fps: FPS as f32 }
}

/// Head pixels (differ from the empty background) and the column runs they form.
fn head_columns(img: &Image, empty: &Image) -> (Vec<usize>, Vec<(u32, u32)>) {
    let mut per_col = vec![0usize; img.width as usize];
    for y in 0..img.height {
        for x in 0..img.width {
            let (p, e) = (img.pixel(x, y), empty.pixel(x, y));
            if p.iter().zip(e).any(|(a, b)| (*a as i32 - b as i32).abs() > 10) {
                per_col[x as usize] += 1;
            }
        }
    }
    let mut runs = Vec::new();
    let mut start = None;
    for (x, &n) in per_col.iter().enumerate() {
        match (n > 0, start) {
            (true, None) => start = Some(x as u32),
            (false, Some(s)) => {
                runs.push((s, x as u32 - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, img.width - 1));
    }
    (per_col, runs)
}

fn empty_frame(opts: &RenderOptions) -> Image {
    duologue_render::Canvas::new(opts.width, opts.height, opts.supersample, opts.background).to_image()
}

#[test]
fn side_by_side_heads_sit_on_their_sides_and_the_nearer_is_larger() {
    let face = FaceModel::shared();
    // A on the viewer's left (-X) and nearer; B on the right, 0.4 m further away.
    let d = duo([-0.3, -0.2, 0.0], [0.3, -0.2, 0.4], 2);
    let opts =
        RenderOptions { width: W, height: H, shot: Shot::Front, caption: false, ..RenderOptions::default() };
    let scene = Scene::for_duo(face, &d, opts.clone()).unwrap();
    let img = scene.render_frame(0);
    let (cols, runs) = head_columns(&img, &empty_frame(&opts));
    assert_eq!(runs.len(), 2, "two separate heads: {runs:?}");
    let area = |r: (u32, u32)| cols[r.0 as usize..=r.1 as usize].iter().sum::<usize>();
    let (left, right) = (runs[0], runs[1]);
    assert!(right.0 > W / 2 && left.1 < W / 2, "one head per side: {runs:?}");
    assert!(
        area(left) as f32 > 1.2 * area(right) as f32,
        "nearer head larger: {} vs {}",
        area(left),
        area(right)
    );
    // Skin-coloured middle of A's head: warm (r > g > b).
    let cx = (left.0 + left.1) / 2;
    let ys: Vec<u32> = (0..H).filter(|&y| img.pixel(cx, y) != empty_frame(&opts).pixel(cx, y)).collect();
    let mid = img.pixel(cx, ys[ys.len() / 2]);
    assert!(mid[0] > mid[1] && mid[1] > mid[2], "skin colour {mid:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two_heads.png");
    img.save_png(&path).unwrap();
    assert_eq!(Image::load_png(&path).unwrap(), img);
    if let Ok(keep) = std::env::var("DUOLOGUE_KEEP_RENDERS") {
        img.save_png(&std::path::Path::new(&keep).join("two_heads.png")).unwrap();
    }
}

#[test]
fn every_paper_layout_shows_both_heads_apart() {
    let face = FaceModel::shared();
    // DESIGN §2 layouts: face-to-face along Z, side by side, whispering; plus different heights.
    let layouts = [
        ([0.0, 0.0, -0.5], [0.0, 0.0, 0.5]),
        ([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0]),
        ([-0.15, 0.0, -0.1], [0.15, 0.0, 0.1]),
        ([-0.4, 0.3, 0.2], [0.2, -0.3, -0.2]),
    ];
    for (ta, tb) in layouts {
        let mut d = duo(ta, tb, 1);
        // Face each other: A turns towards B and B towards A (yaw about +Y).
        let yaw = |from: [f32; 3], to: [f32; 3]| (-(to[0] - from[0])).atan2(-(to[2] - from[2]));
        d.a.x.frame_mut(0)[Joint::Neck.range().start + 1] = yaw(ta, tb);
        d.b.x.frame_mut(0)[Joint::Neck.range().start + 1] = yaw(tb, ta);
        for shot in [Shot::Front, Shot::TwoShot] {
            let opts =
                RenderOptions { width: W, height: H, shot, caption: false, ..RenderOptions::default() };
            let scene = Scene::for_duo(face, &d, opts.clone()).unwrap();
            assert_eq!(scene.shot(), shot);
            let (_, runs) = head_columns(&scene.render_frame(0), &empty_frame(&opts));
            assert!(
                runs.len() >= 2,
                "{shot}, layout {ta:?} {tb:?}: heads merge or leave the frame: {runs:?}"
            );
            assert!(
                runs[0].0 > 0 && runs.last().unwrap().1 < W - 1,
                "{shot}, layout {ta:?} {tb:?} touches the border: {runs:?}"
            );
        }
    }
}

#[test]
fn inset_marks_both_people_in_their_colours() {
    let face = FaceModel::shared();
    let d = duo([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0], 1);
    let opts =
        RenderOptions { width: W, height: H, inset: true, shot: Shot::Front, ..RenderOptions::default() };
    let img = Scene::for_duo(face, &d, opts).unwrap().render_frame(0);
    // The panel is the top-right 28% x 28% (of the height) square.
    let side = (H as f32 * 0.28) as u32;
    let count = |c: [u8; 3]| {
        let mut n = 0;
        for y in 0..side + 10 {
            for x in W - side - 10..W {
                if img.pixel(x, y) == c {
                    n += 1;
                }
            }
        }
        n
    };
    assert!(count(PERSON_COLORS[0]) > 5 && count(PERSON_COLORS[1]) > 5);
}

/// Both people turned towards each other (yaw about +Y through the neck), B talking.
fn facing_pair(ta: [f32; 3], tb: [f32; 3], frames: usize) -> Duo {
    let mut d = duo(ta, tb, frames);
    let yaw = |from: [f32; 3], to: [f32; 3]| (-(to[0] - from[0])).atan2(-(to[2] - from[2]));
    for k in 0..frames {
        d.a.x.frame_mut(k)[Joint::Neck.range().start + 1] = yaw(ta, tb);
        d.b.x.frame_mut(k)[Joint::Neck.range().start + 1] = yaw(tb, ta);
    }
    d.a.mask = vec![0.0; frames];
    d.b.mask = vec![1.0; frames];
    d
}

#[test]
fn auto_shot_gives_both_mouths_enough_pixels_in_every_layout() {
    let face = FaceModel::shared();
    let (w, h) = (640, 360);
    let target = lip_pixel_target(w, h);
    // Turned to each other across a table (face to face along Z), side by side, at a right
    // angle, far apart across a room, one standing and one sitting: every one of these shows a
    // profile from the side, too few lip pixels, so Auto splits the screen. Side by side and
    // both facing the camera, a single two-shot is enough.
    let layouts = [
        ([0.0, 0.0, -0.45], [0.0, 0.0, 0.45], true, Shot::Split),
        ([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0], true, Shot::Split),
        ([-0.5, 0.0, 0.0], [0.0, 0.0, 0.5], true, Shot::Split),
        ([-2.0, 0.0, 1.0], [2.0, 0.0, 1.0], true, Shot::Split),
        ([-0.4, 0.3, 0.2], [0.4, -0.3, -0.2], true, Shot::Split),
        ([-0.3, 0.0, 0.0], [0.3, 0.0, 0.0], false, Shot::TwoShot),
    ];
    for (ta, tb, turned, expected) in layouts {
        let mut d = facing_pair(ta, tb, 40);
        if !turned {
            for k in 0..40 {
                d.a.x.frame_mut(k)[Joint::Neck.range().start + 1] = 0.0;
                d.b.x.frame_mut(k)[Joint::Neck.range().start + 1] = 0.0;
            }
        }
        let opts = RenderOptions { width: w, height: h, ..RenderOptions::default() };
        let scene = Scene::for_duo(face, &d, opts).unwrap();
        let (img, lips) = scene.lip_pixels(20, &mut scene.buffers());
        assert_eq!(scene.shot(), expected, "layout {ta:?} {tb:?}: lips {lips:?}");
        assert!(
            lips.iter().all(|&px| px >= target),
            "layout {ta:?} {tb:?} ({}): lips {lips:?} < {target}",
            scene.shot()
        );
        let cov = scene.lip_coverage(10);
        assert_eq!((cov.frames, cov.legible), (4, 4), "{cov:?}");
        assert!(cov.min.iter().zip(&cov.median).all(|(lo, mid)| *lo >= target && mid >= lo), "{cov:?}");
        // A forced two-shot of a turned pair shows profiles with too few lip pixels: the
        // reason Auto split the screen.
        if expected == Shot::Split {
            let opts = RenderOptions { width: w, height: h, shot: Shot::TwoShot, ..RenderOptions::default() };
            let two = Scene::for_duo(face, &d, opts).unwrap();
            let (_, lips2) = two.lip_pixels(20, &mut two.buffers());
            assert!(lips2.iter().any(|&px| px < 1.2 * target), "{ta:?} {tb:?}: two-shot lips {lips2:?}");
        }
        // The caption strip says B is speaking: B's colour fills its band (half a second back
        // from the playhead in the middle), A's is dim.
        let strip = duologue_render::caption::strip_height(h);
        let band = |row: u32| img.pixel(w / 2 - 8, h - strip + row * strip / 2 + strip / 4);
        let (a, b) = (band(0), band(1));
        assert!(b[0] > 200 && a[2] < 120, "caption bands A {a:?} B {b:?}");
    }
}

#[test]
fn split_screen_shows_each_face_from_the_front_and_the_inset_between() {
    let face = FaceModel::shared();
    let (w, h) = (640, 360);
    let d = facing_pair([-2.0, 0.0, 1.0], [2.0, 0.0, 1.0], 2);
    let opts =
        RenderOptions { width: w, height: h, shot: Shot::Split, caption: false, ..RenderOptions::default() };
    let scene = Scene::for_duo(face, &d, opts).unwrap();
    let views = scene.views();
    assert_eq!(views.len(), 2);
    // A stands at -X, on the left.
    assert_eq!((views[0].people[0], views[1].people[0]), (0, 1));
    for v in views {
        // Each camera looks at its person's face: against the direction the head points.
        let p = &[&d.a, &d.b][v.people[0]];
        let yaw = duologue_face::rest_yaw(p);
        let facing = [-yaw.sin(), -yaw.cos()];
        let dot = v.camera.forward[0] * facing[0] + v.camera.forward[2] * facing[1];
        assert!(dot < -0.99, "{v:?}");
    }
    // The inset straddles the middle: both people's markers are drawn near the top centre.
    let img = scene.render_frame(0);
    let count = |c: [u8; 3]| {
        let mut n = 0;
        for y in 0..h / 3 {
            for x in w / 2 - h / 6..w / 2 + h / 6 {
                n += (img.pixel(x, y) == c) as usize;
            }
        }
        n
    };
    assert!(count(PERSON_COLORS[0]) > 3 && count(PERSON_COLORS[1]) > 3);
}

#[test]
fn sizes_past_the_sample_budget_are_refused_before_any_buffer() {
    // 8192 x 8192 at supersample 4 would need 17 GB of buffers (issue 21 saw an abort under 8 GB).
    let face = FaceModel::shared();
    let d = duo([-0.5, 0.0, 0.0], [0.5, 0.0, 0.0], 2);
    for (w, h, ss) in [(8192, 8192, 4), (4098, 4096, 2), (2050, 2048, 4)] {
        let opts = RenderOptions { width: w, height: h, supersample: ss, ..RenderOptions::default() };
        let err = Scene::for_duo(face, &d, opts).err().expect("refused");
        assert!(err.to_string().contains("supersample"), "{err}");
    }
    let opts = RenderOptions { width: 2048, height: 2048, supersample: 4, ..RenderOptions::default() };
    assert!(Scene::for_duo(face, &d, opts).is_ok(), "exactly the budget is allowed");
}
