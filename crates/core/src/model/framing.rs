//! The container both Pinhole file kinds use (weights and training checkpoints): an 8-byte magic,
//! the header length (u32 little-endian), a JSON header, then the body. Each kind maps
//! [`FrameError`] to its own typed error that names the input.

use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub enum FrameError {
    /// Does not start with the magic.
    WrongMagic,
    /// Ends inside the magic, the length or the header.
    Truncated,
    /// The header is not the expected JSON.
    BadHeader(String),
}

/// `magic | len | header JSON | body…`.
pub fn frame(
    magic: &[u8; 8],
    header: &impl Serialize,
    body: &[&[u8]],
) -> Result<Vec<u8>, serde_json::Error> {
    let header = serde_json::to_vec(header)?;
    let body_len: usize = body.iter().map(|part| part.len()).sum();
    let mut out = Vec::with_capacity(12 + header.len() + body_len);
    out.extend_from_slice(magic);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    for part in body {
        out.extend_from_slice(part);
    }
    Ok(out)
}

/// The header and the body after it.
pub fn unframe<'a, H: DeserializeOwned>(
    bytes: &'a [u8],
    magic: &[u8; 8],
) -> Result<(H, &'a [u8]), FrameError> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        // Shorter than the header length: cut inside the magic, or just after it.
        let cut = magic.starts_with(bytes) || bytes.starts_with(magic);
        return Err(if bytes.len() < 12 && cut {
            FrameError::Truncated
        } else {
            FrameError::WrongMagic
        });
    }
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    // Checked: on 32-bit wasm a length near 4 GiB would wrap.
    let end = header_len.checked_add(12).ok_or(FrameError::Truncated)?;
    let header = bytes.get(12..end).ok_or(FrameError::Truncated)?;
    let header =
        serde_json::from_slice(header).map_err(|e| FrameError::BadHeader(e.to_string()))?;
    Ok((header, &bytes[end..]))
}
