//! Hostile `.npz` files stay bounded (issue 21): a zip bomb is refused from its headers before
//! it is inflated, and members a reader does not need are never inflated at all.

use std::io::Write;
use std::path::Path;

use duologue_params::npy::{self, Array};
use duologue_params::{read_npz, read_npz_only, Duo, Person};

/// A deflated `.npy` member of `rows` x 78 zeros (a 1000:1 member once past a few MB).
fn zeros_member(zip: &mut zip::ZipWriter<std::fs::File>, name: &str, rows: usize) {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file(name, options).expect("member");
    // `npy::write` of an array with no data gives just the header for the declared shape.
    let header = npy::write(&Array { shape: vec![rows, 78], data: vec![] });
    zip.write_all(&header).expect("header");
    let row = vec![0u8; 78 * 4];
    for _ in 0..rows {
        zip.write_all(&row).expect("row");
    }
}

fn duo() -> Duo {
    Duo { a: Person::neutral(10, [-0.4, 0.0, 0.0]), b: Person::neutral(10, [0.4, 0.0, 0.0]), fps: 25.0 }
}

fn write_with_bomb(path: &Path, with_result: bool) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    if with_result {
        let options = zip::write::SimpleFileOptions::default();
        for (name, array) in duo().to_npz() {
            zip.start_file(format!("{name}.npy"), options).expect("member");
            zip.write_all(&npy::write(&array)).expect("write");
        }
    }
    // 330,000 x 78 float32 = 103 MB of zeros, about 100 KB stored.
    zeros_member(&mut zip, if with_result { "junk.npy" } else { "x_A.npy" }, 330_000);
    zip.finish().expect("finish");
}

#[test]
fn a_zip_bomb_is_refused_before_it_inflates() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bomb.npz");
    write_with_bomb(&path, false);
    let stored = std::fs::metadata(&path).expect("meta").len();
    assert!(stored < 2 << 20, "the bomb is small on disk ({stored} bytes)");
    let err = Duo::read(&path).expect_err("a bomb is not a result").to_string();
    assert!(err.contains("x_A.npy") && err.contains("zip bomb"), "{err}");
    assert!(err.contains("bomb.npz"), "the file is named: {err}");
    let err = read_npz(&path).expect_err("refused by the generic reader too").to_string();
    assert!(err.contains("zip bomb"), "{err}");
}

#[test]
fn members_a_reader_does_not_need_are_not_inflated() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("extra.npz");
    write_with_bomb(&path, true);
    // The result's own arrays read back; the bomb beside them is skipped.
    assert_eq!(Duo::read(&path).expect("result"), duo());
    let only = read_npz_only(&path, &["fps", "nosuch"]).expect("fps");
    assert_eq!(only.keys().collect::<Vec<_>>(), ["fps"]);
    // Asked for everything, the bomb is refused by name.
    let err = read_npz(&path).expect_err("bomb").to_string();
    assert!(err.contains("junk.npy") && err.contains("zip bomb"), "{err}");
}
