//! Gas Station wire values shared by the server (`peaqos-gas-station`) and the SDK's client.

use crate::ValidationError;

/// QR image format of the 2FA setup (`qrFormat` of `/2fa/setup`, the image's file extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QrFormat {
    /// `image/svg+xml` (the default).
    #[default]
    Svg,
    /// `image/png`.
    Png,
}

impl QrFormat {
    /// `"svg"` / `"png"`: the wire value and the file extension.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }

    /// MIME type.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
        }
    }

    /// Parses `"svg"` / `"png"`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
}

impl std::str::FromStr for QrFormat {
    type Err = ValidationError;
    /// [`QrFormat::parse`], with the SDKs' validation error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| {
            ValidationError::new("qr_format", "one_of_svg_png", "qrFormat must be svg or png")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for f in [QrFormat::Svg, QrFormat::Png] {
            assert_eq!(QrFormat::parse(f.as_str()), Some(f));
            assert_eq!(f.as_str().parse::<QrFormat>().unwrap(), f);
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert_eq!(QrFormat::default(), QrFormat::Svg);
        assert_eq!(QrFormat::Png.content_type(), "image/png");
        assert_eq!("gif".parse::<QrFormat>().unwrap_err().field, "qr_format");
        assert!(serde_json::from_str::<QrFormat>("\"SVG\"").is_err());
    }
}
