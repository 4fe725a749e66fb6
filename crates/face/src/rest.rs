//! Each person's rest facing, shared by the glb (root node rotation), the ARKit curves (head
//! rotations relative to it) and the preview's camera (which side of a face to look at).

use crate::rig::rodrigues;
use duologue_params::{Joint, Person};

/// `a * b` for 3x3 row-major matrices.
pub fn matmul(a: &[[f32; 3]; 3], b: &[[f32; 3]; 3]) -> [[f32; 3]; 3] {
    let mut m = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

/// A person's rest facing: the turn about +Y (radians, 0 faces the viewer along -Z, as
/// `duologue_layout::Facing::yaw`) toward where the head (neck then head joint) points on
/// average over the clip, ignoring pitch. 0 when the head points straight up or down on average.
pub fn rest_yaw(person: &Person) -> f32 {
    let (mut sx, mut sz) = (0.0f64, 0.0f64);
    for k in 0..person.x.frames() {
        let r =
            matmul(&rodrigues(person.x.theta(k, Joint::Neck)), &rodrigues(person.x.theta(k, Joint::Head)));
        // Forward is the rotated -Z axis: minus the third column.
        let (fx, fz) = (-r[0][2], -r[2][2]);
        let n = fx.hypot(fz);
        if n > 1e-6 {
            sx += f64::from(fx / n);
            sz += f64::from(fz / n);
        }
    }
    if sx.hypot(sz) < 1e-6 {
        return 0.0;
    }
    // forward = (-sin yaw, ., -cos yaw)
    (-sx).atan2(-sz) as f32
}
