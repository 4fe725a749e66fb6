//! The caption strip along the bottom of a two-person preview: one row per person with its
//! letter in the person's colour, the word SPEAKING while its speaker mask (DESIGN §5) is at
//! least one half, and the mask itself as a band over the eight seconds around the current
//! frame, with a playhead in the middle — who talks when, readable at a glance and in stills.

use crate::image::Image;

/// Seconds of mask shown on each side of the playhead.
const WINDOW_S: f32 = 4.0;
const STRIP_COLOR: [u8; 3] = [12, 14, 18];
const TEXT_DIM: [u8; 3] = [96, 100, 110];

/// Height of the strip for an image `height` pixels tall: a tenth, at least two 8-pixel rows
/// (0 when the image is too small to hold it next to a picture).
pub fn strip_height(height: u32) -> u32 {
    if height < 120 {
        return 0;
    }
    ((height as f32 * 0.1).round() as u32).max(16) & !1
}

/// One person's row.
#[derive(Debug, Clone, Copy)]
pub struct CaptionRow<'a> {
    /// The person's letter ('A', 'B').
    pub letter: char,
    /// Accent colour (sRGB).
    pub color: [u8; 3],
    /// Speaking probability per frame.
    pub mask: &'a [f32],
}

/// Draw the strip over the bottom `strip_height(img.height)` rows of `img` at frame `k` of a
/// clip at `fps` frames per second.
pub fn draw_caption(img: &mut Image, rows: &[CaptionRow], k: usize, fps: f32) {
    let strip = strip_height(img.height) as i32;
    if strip == 0 || rows.is_empty() {
        return;
    }
    let (w, y0) = (img.width as i32, img.height as i32 - strip);
    for y in y0..img.height as i32 {
        for x in 0..w {
            img.blend(x, y, STRIP_COLOR, 1.0);
        }
    }
    let row_h = strip / rows.len() as i32;
    // Glyphs are 5x7 cells; scale them to about half a row.
    let scale = ((row_h as f32 * 0.5 / 7.0).floor() as i32).max(1);
    let pad = (row_h - 7 * scale) / 2;
    let timeline_x0 = pad + 60 * scale;
    let timeline_x1 = w - pad;
    let frames_each_side = (WINDOW_S * fps).max(1.0);
    for (r, row) in rows.iter().enumerate() {
        let top = y0 + r as i32 * row_h;
        let text_y = top + pad;
        draw_text(img, &row.letter.to_string(), pad, text_y, scale, row.color);
        let speaking = row.mask.get(k).copied().unwrap_or(0.0) >= 0.5;
        if speaking {
            draw_text(img, "SPEAKING", pad + 10 * scale, text_y, scale, row.color);
        }
        // The mask band: each column is one moment of the window, opaque where the mask is 1.
        let (band_top, band_bottom) = (top + pad / 2 + 1, top + row_h - pad / 2 - 1);
        for x in timeline_x0..timeline_x1 {
            let u = (x - timeline_x0) as f32 / (timeline_x1 - timeline_x0 - 1).max(1) as f32;
            let frame = k as f32 + (2.0 * u - 1.0) * frames_each_side;
            let m = if frame < 0.0 { None } else { row.mask.get(frame.round() as usize).copied() };
            let (color, alpha) = match m {
                Some(v) => (row.color, 0.12 + 0.88 * v.clamp(0.0, 1.0)),
                None => (TEXT_DIM, 0.08), // before the start or after the end of the clip
            };
            for y in band_top..=band_bottom {
                img.blend(x, y, color, alpha);
            }
        }
    }
    // The playhead across both rows.
    let mid = (timeline_x0 + timeline_x1) / 2;
    for y in y0 + 2..img.height as i32 - 2 {
        for x in mid - scale / 2..=mid + (scale - 1) / 2 {
            img.blend(x, y, [240, 240, 240], 0.9);
        }
    }
}

/// Draw `text` (the letters of [`glyph`]; others leave a gap) with its top-left corner at
/// (`x`, `y`), each font cell `scale` pixels square.
pub fn draw_text(img: &mut Image, text: &str, x: i32, y: i32, scale: i32, color: [u8; 3]) {
    for (i, c) in text.chars().enumerate() {
        let Some(rows) = glyph(c) else { continue };
        let gx = x + i as i32 * 6 * scale;
        for (ry, bits) in rows.iter().enumerate() {
            for cx in 0..5 {
                if bits & (0x10 >> cx) != 0 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            img.blend(gx + cx * scale + dx, y + ry as i32 * scale + dy, color, 1.0);
                        }
                    }
                }
            }
        }
    }
}

/// The 5x7 bitmap of the letters the captions use (rows top to bottom, bit 4 = left column).
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c.to_ascii_uppercase() {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaking_row_shows_the_word_and_a_bright_band() {
        let mut img = Image::filled(1280, 720, [0, 0, 0]);
        let speaking = vec![1.0; 100];
        let silent = vec![0.0; 100];
        let rows = [
            CaptionRow { letter: 'A', color: [255, 0, 0], mask: &speaking },
            CaptionRow { letter: 'B', color: [0, 255, 0], mask: &silent },
        ];
        draw_caption(&mut img, &rows, 50, 25.0);
        let strip = strip_height(720);
        assert_eq!(strip, 72);
        let count = |x0: u32, x1: u32, y0: u32, y1: u32, c: [u8; 3]| {
            let mut n = 0;
            for y in y0..y1 {
                for x in x0..x1 {
                    n += (img.pixel(x, y) == c) as usize;
                }
            }
            n
        };
        let (row_a, row_b) = (720 - strip, 720 - strip / 2);
        // "A SPEAKING" in red; only the letter "B" in green.
        let text_a = count(0, 130, row_a, row_b, [255, 0, 0]);
        let text_b = count(0, 130, row_b, 720, [0, 255, 0]);
        assert!(text_a > 4 * text_b, "{text_a} vs {text_b}");
        assert!(text_b > 20);
        // Just left of the playhead (x = 640 at frame 50) the band shows frames ~40..50: bright
        // red for A, who speaks throughout, and dim for B.
        let a = img.pixel(620, row_a + strip / 4);
        let b = img.pixel(620, row_b + strip / 4);
        assert!(a[0] > 200 && b[1] < 80, "{a:?} {b:?}");
        // The picture above the strip is untouched.
        assert_eq!(img.pixel(640, 600), [0, 0, 0]);
    }
}
