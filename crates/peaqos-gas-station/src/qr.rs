//! QR rendering of otpauth URIs: SVG through `qrcode`'s renderer, PNG through `qrcode`'s module
//! matrix and the `png` encoder (8-bit grayscale).

use qrcode::{Color, EcLevel, QrCode};

/// Image formats of `/2fa/setup` (defined once, with the SDK's client, in `peaqos-types`).
pub(crate) use peaqos_types::QrFormat;

/// Pixels per module of the PNG.
const SCALE: usize = 8;
/// Quiet-zone width in modules.
const QUIET: usize = 4;

/// Renders `data` as a QR image.
pub(crate) fn render(data: &str, format: QrFormat) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    match format {
        QrFormat::Svg => Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(256, 256)
            .build()
            .into_bytes()),
        QrFormat::Png => {
            let w = code.width();
            let colors = code.to_colors();
            let side = (w + 2 * QUIET) * SCALE;
            let mut pixels = vec![255u8; side * side];
            for (i, c) in colors.iter().enumerate() {
                if *c == Color::Dark {
                    let (mx, my) = (i % w + QUIET, i / w + QUIET);
                    for y in my * SCALE..(my + 1) * SCALE {
                        pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
                    }
                }
            }
            let mut out = Vec::new();
            {
                let mut enc = png::Encoder::new(&mut out, side as u32, side as u32);
                enc.set_color(png::ColorType::Grayscale);
                enc.set_depth(png::BitDepth::Eight);
                let mut w = enc.write_header().map_err(|e| e.to_string())?;
                w.write_image_data(&pixels).map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_png_render() {
        let uri =
            "otpauth://totp/peaqOS%20Gas%20Station:0xabc?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let svg = String::from_utf8(render(uri, QrFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        let png = render(uri, QrFormat::Png).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let dec = png::Decoder::new(std::io::Cursor::new(&png));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % SCALE, 0);
        // Top-left corner is quiet zone (white), the finder pattern starts at QUIET modules.
        assert_eq!(buf[0], 255);
        let o = QUIET * SCALE;
        assert_eq!(buf[o * info.width as usize + o], 0);
    }

    #[test]
    fn too_long_data_fails() {
        assert!(render(&"x".repeat(5000), QrFormat::Svg).is_err());
        assert_eq!(QrFormat::parse("svg"), Some(QrFormat::Svg));
        assert_eq!(QrFormat::parse("gif"), None);
    }
}
