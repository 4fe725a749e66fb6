//! RGB8 images and their PNG files.

use crate::RenderError;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// An 8-bit RGB image, rows top to bottom, `[height, width, 3]` in C order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub data: Vec<u8>,
}

impl Image {
    /// A `width` x `height` image filled with `rgb`.
    pub fn filled(width: u32, height: u32, rgb: [u8; 3]) -> Self {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 3);
        for _ in 0..n {
            data.extend_from_slice(&rgb);
        }
        Self { width, height, data }
    }

    /// The pixel at column `x`, row `y`. Panics when out of range.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Blend `rgb` over the pixel at (`x`, `y`) with opacity `alpha` in [0, 1]; outside is ignored.
    pub fn blend(&mut self, x: i32, y: i32, rgb: [u8; 3], alpha: f32) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let a = alpha.clamp(0.0, 1.0);
        for (d, c) in self.data[i..i + 3].iter_mut().zip(rgb) {
            let old = *d as f32;
            *d = (old + (c as f32 - old) * a).round() as u8;
        }
    }

    /// Copy `src` into this image with its top-left corner at (`x`, `y`), clipped to the edges.
    pub fn blit(&mut self, src: &Image, x: u32, y: u32) {
        let w = src.width.min(self.width.saturating_sub(x)) as usize;
        for row in 0..src.height.min(self.height.saturating_sub(y)) as usize {
            let from = row * src.width as usize * 3;
            let to = ((y as usize + row) * self.width as usize + x as usize) * 3;
            self.data[to..to + 3 * w].copy_from_slice(&src.data[from..from + 3 * w]);
        }
    }

    /// Write as an 8-bit RGB PNG (to a temporary file beside `path`, then renamed, so a reader
    /// never sees half a file; a failed write leaves nothing behind).
    pub fn save_png(&self, path: &Path) -> Result<(), RenderError> {
        let io = |err| RenderError::Io { path: path.to_path_buf(), err };
        let tmp = duologue_params::atomic::temp_beside(path).map_err(io)?;
        let mut enc = png::Encoder::new(BufWriter::new(tmp.as_file()), self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let encoded = enc.write_header().and_then(|mut w| {
            w.write_image_data(&self.data)?;
            w.finish()
        });
        if let Err(e) = encoded {
            return Err(RenderError::Png { path: path.to_path_buf(), reason: e.to_string() });
        }
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Read an 8-bit RGB or RGBA PNG (alpha is dropped). Used by tests and tools that inspect
    /// rendered stills.
    pub fn load_png(path: &Path) -> Result<Self, RenderError> {
        let bad = |reason: String| RenderError::Png { path: path.to_path_buf(), reason };
        let file = File::open(path).map_err(|err| RenderError::Io { path: path.to_path_buf(), err })?;
        let mut reader =
            png::Decoder::new(BufReader::new(file)).read_info().map_err(|e| bad(e.to_string()))?;
        let size = reader.output_buffer_size().ok_or_else(|| bad("image too large".into()))?;
        let mut buf = vec![0u8; size];
        let info = reader.next_frame(&mut buf).map_err(|e| bad(e.to_string()))?;
        if info.bit_depth != png::BitDepth::Eight {
            return Err(bad(format!("bit depth {:?}, expected 8", info.bit_depth)));
        }
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => return Err(bad(format!("colour type {other:?}, expected RGB or RGBA"))),
        };
        let mut data = Vec::with_capacity(info.width as usize * info.height as usize * 3);
        for row in buf[..info.buffer_size()].chunks_exact(info.line_size) {
            for px in row[..info.width as usize * channels].chunks_exact(channels) {
                data.extend_from_slice(&px[..3]);
            }
        }
        Ok(Self { width: info.width, height: info.height, data })
    }
}
