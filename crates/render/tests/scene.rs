//! Posed two-head scenes from the real face model: each head lands on its side of the image,
//! the nearer one is larger, every layout shows both, and the inset marks both people.

use duologue_face::FaceModel;
use duologue_params::{Duo, Joint, Person, FPS};
use duologue_render::{Image, RenderOptions, Scene, PERSON_COLORS};

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
    let opts = RenderOptions { width: W, height: H, ..RenderOptions::default() };
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
        let opts = RenderOptions { width: W, height: H, ..RenderOptions::default() };
        let scene = Scene::for_duo(face, &d, opts.clone()).unwrap();
        let (_, runs) = head_columns(&scene.render_frame(0), &empty_frame(&opts));
        assert!(runs.len() >= 2, "layout {ta:?} {tb:?}: heads merge or leave the frame: {runs:?}");
        assert!(
            runs[0].0 > 0 && runs.last().unwrap().1 < W - 1,
            "layout {ta:?} {tb:?} touches the border: {runs:?}"
        );
    }
}

#[test]
fn inset_marks_both_people_in_their_colours() {
    let face = FaceModel::shared();
    let d = duo([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0], 1);
    let opts = RenderOptions { width: W, height: H, inset: true, ..RenderOptions::default() };
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
