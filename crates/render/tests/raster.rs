//! The rasteriser on simple closed meshes: placement, perspective size, z-buffer occlusion and
//! PNG round trip.

use duologue_render::math::{uv_sphere, vertex_normals, Vec3};
use duologue_render::raster::srgb_to_linear;
use duologue_render::{Background, Camera, Canvas, Image, Mesh, Sphere};

const W: u32 = 320;
const H: u32 = 180;

struct Ball {
    pos: Vec<Vec3>,
    nrm: Vec<Vec3>,
    tris: Vec<[u32; 3]>,
    col: Vec<Vec3>,
    spec: Vec<f32>,
}

fn ball(center: Vec3, radius: f32, rgb: [u8; 3]) -> Ball {
    let (pos, tris) = uv_sphere(center, radius, 24, 32);
    let nrm = vertex_normals(&pos, &tris);
    let col = vec![srgb_to_linear(rgb); pos.len()];
    let spec = vec![0.0; pos.len()];
    Ball { pos, nrm, tris, col, spec }
}

fn draw(canvas: &mut Canvas, cam: &Camera, b: &Ball) {
    canvas.draw(
        cam,
        &Mesh {
            positions: &b.pos,
            normals: &b.nrm,
            colors: &b.col,
            specular: &b.spec,
            triangles: &b.tris,
            rim: [0.0; 3],
        },
    );
}

/// Pixels where `img` differs from the empty background render, split by which channel dominates.
fn blob(img: &Image, empty: &Image, channel: usize) -> (usize, f32) {
    let (mut n, mut sx) = (0usize, 0f32);
    for y in 0..img.height {
        for x in 0..img.width {
            let (p, e) = (img.pixel(x, y), empty.pixel(x, y));
            let differs = p.iter().zip(e).any(|(a, b)| (*a as i32 - b as i32).abs() > 6);
            let dominant = (0..3).max_by_key(|&c| p[c]).unwrap() == channel;
            if differs && dominant {
                n += 1;
                sx += x as f32;
            }
        }
    }
    (n, if n > 0 { sx / n as f32 } else { f32::NAN })
}

#[test]
fn two_spheres_land_on_their_sides_and_the_nearer_is_larger() {
    let near = ball([-0.3, 0.0, 0.0], 0.12, [220, 40, 40]);
    let far = ball([0.3, 0.0, 0.6], 0.12, [40, 200, 40]);
    let spheres =
        [Sphere { center: [-0.3, 0.0, 0.0], radius: 0.12 }, Sphere { center: [0.3, 0.0, 0.6], radius: 0.12 }];
    let cam = Camera::framing(&spheres, W as f32 / H as f32, 30f32.to_radians());
    let bg = Background::default();
    let empty = Canvas::new(W, H, 1, bg).to_image();
    let mut canvas = Canvas::new(W, H, 1, bg);
    draw(&mut canvas, &cam, &near);
    draw(&mut canvas, &cam, &far);
    let img = canvas.to_image();
    let (n_red, x_red) = blob(&img, &empty, 0);
    let (n_green, x_green) = blob(&img, &empty, 1);
    assert!(n_red > 200 && n_green > 100, "blobs too small: {n_red}, {n_green}");
    assert!(x_red < W as f32 / 2.0, "the -X sphere is on the left: {x_red}");
    assert!(x_green > W as f32 / 2.0, "the +X sphere is on the right: {x_green}");
    assert!(n_red as f32 > 1.3 * n_green as f32, "nearer sphere larger: {n_red} vs {n_green}");
}

#[test]
fn z_buffer_keeps_the_front_sphere_whatever_the_draw_order() {
    let front = ball([0.0, 0.0, 0.0], 0.1, [220, 40, 40]);
    let back = ball([0.0, 0.0, 0.5], 0.2, [40, 200, 40]);
    let cam = Camera::look_at([0.0, 0.0, -1.5], [0.0, 0.0, 0.0], 30f32.to_radians());
    for order in [[&front, &back], [&back, &front]] {
        let mut canvas = Canvas::new(W, H, 1, Background::default());
        for b in order {
            draw(&mut canvas, &cam, b);
        }
        // Depth at the centre is the front sphere's surface: 1.5 - 0.1 = 1.4 m.
        let iz = canvas.inv_depth_at(W / 2, H / 2);
        assert!((1.0 / iz - 1.4).abs() < 0.01, "depth {}", 1.0 / iz);
        let img = canvas.to_image();
        let c = img.pixel(W / 2, H / 2);
        assert!(c[0] > c[1] + 40, "front (red) sphere visible at the centre: {c:?}");
        // The larger back sphere shows around it (angular radii: front 0.071, back 0.1).
        let px = W / 2 + (0.085 * cam.focal_px(H)) as u32;
        let g = img.pixel(px, H / 2);
        assert!(g[1] > g[0] + 40, "back (green) sphere visible beside it: {g:?}");
    }
}

#[test]
fn supersampled_png_round_trips() {
    let b = ball([0.0, 0.0, 0.0], 0.15, [200, 180, 160]);
    let cam = Camera::look_at([0.0, 0.0, -1.0], [0.0, 0.0, 0.0], 30f32.to_radians());
    let mut canvas = Canvas::new(64, 48, 2, Background::default());
    draw(&mut canvas, &cam, &b);
    let img = canvas.to_image();
    assert_eq!((img.width, img.height, img.data.len()), (64, 48, 64 * 48 * 3));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ball.png");
    img.save_png(&path).unwrap();
    assert_eq!(Image::load_png(&path).unwrap(), img);
    // An unwritable destination is an error, not a panic.
    assert!(img.save_png(&dir.path().join("missing/dir/x.png")).is_err());
}
