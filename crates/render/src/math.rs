//! Mesh helpers on plain `[f32; 3]` points: vertex normals and a test sphere.
//!
//! Points cross crate boundaries as `[f32; 3]` ([`Vec3`]: the face model's and the result
//! file's own layout), and arithmetic on them is glam's `Vec3` (`glam::Vec3::from(p)`, `.into()`).

/// A point or direction in the world frame of DESIGN §2 (metres; +X right, +Y up, +Z away).
pub type Vec3 = [f32; 3];

/// Area-weighted vertex normals of a triangle mesh: each triangle adds its (unnormalised) face
/// normal `(b-a)x(c-a)` to its three corners, which weights by area. Vertices no triangle uses
/// get +Y. Triangles with an index out of range are skipped.
pub fn vertex_normals(positions: &[Vec3], triangles: &[[u32; 3]]) -> Vec<Vec3> {
    let mut acc = vec![glam::Vec3::ZERO; positions.len()];
    let n = positions.len();
    for t in triangles {
        let [a, b, c] = t.map(|i| i as usize);
        if a >= n || b >= n || c >= n {
            continue;
        }
        let [pa, pb, pc] = [a, b, c].map(|i| glam::Vec3::from(positions[i]));
        let fnorm = (pb - pa).cross(pc - pa);
        for i in [a, b, c] {
            acc[i] += fnorm;
        }
    }
    acc.into_iter().map(|v| v.normalize_or(glam::Vec3::Y).to_array()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_of_a_quad_point_along_the_cross_product() {
        let p = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0]];
        let n = vertex_normals(&p, &[[0, 1, 2], [0, 2, 3], [0, 1, 9]]);
        for v in &n[..4] {
            assert!((v[2] - 1.0).abs() < 1e-6, "{v:?}");
        }
        assert_eq!(n[4], [0.0, 1.0, 0.0]);
    }
}

/// A UV sphere with `rings` latitude bands and `segments` longitude slices, wound so that
/// `(b-a)x(c-a)` points outwards (FACE_API's convention). Test scenes and benchmarks use it
/// as a stand-in head.
pub fn uv_sphere(center: Vec3, radius: f32, rings: u32, segments: u32) -> (Vec<Vec3>, Vec<[u32; 3]>) {
    let (rings, segments) = (rings.max(2), segments.max(3));
    let mut pos = Vec::new();
    for r in 0..=rings {
        let phi = std::f32::consts::PI * r as f32 / rings as f32; // 0 at the top (+Y)
        for s in 0..=segments {
            let th = std::f32::consts::TAU * s as f32 / segments as f32;
            let d = glam::Vec3::new(phi.sin() * th.cos(), phi.cos(), phi.sin() * th.sin());
            pos.push((glam::Vec3::from(center) + d * radius).to_array());
        }
    }
    let row = segments + 1;
    let mut tris = Vec::new();
    for r in 0..rings {
        for s in 0..segments {
            let (a, b) = (r * row + s, r * row + s + 1);
            let (c, d) = (a + row, b + row);
            // Walking east along a ring then south: this order points the cross product outwards.
            if r > 0 {
                tris.push([a, b, c]);
            }
            if r + 1 < rings {
                tris.push([b, d, c]);
            }
        }
    }
    (pos, tris)
}

#[cfg(test)]
mod sphere_tests {
    use super::*;

    #[test]
    fn uv_sphere_winds_outwards() {
        let c = [0.1, 0.2, 0.3];
        let (p, t) = uv_sphere(c, 0.5, 8, 12);
        assert!(!t.is_empty());
        for tri in &t {
            let [a, b, d] = tri.map(|i| glam::Vec3::from(p[i as usize]));
            let n = (b - a).cross(d - a);
            let centroid = (a + b + d) / 3.0;
            assert!(n.dot(centroid - glam::Vec3::from(c)) > 0.0, "{tri:?}");
        }
    }
}
