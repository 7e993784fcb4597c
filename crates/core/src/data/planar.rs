//! A batch of 32×32 planar RGB images (a record's pixel layout: the red plane, then green, then
//! blue), one after another in one buffer: what the engine sends its CPU pool's helpers, what
//! the packed kernels read, and what Teach's views become. Its length is checked once, when it
//! is made (or arrives in a message), so no reader re-chunks or re-checks it.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::{CifarRecord, IMAGE_BYTES};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ByteBuf", into = "ByteBuf")]
pub struct PlanarImages(Vec<u8>);

/// Bytes that are not a whole number of images.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("images of {IMAGE_BYTES} bytes each, not {len} bytes in all")]
pub struct PlanarLengthError {
    pub len: usize,
}

impl PlanarImages {
    /// Images laid one after another in `bytes`.
    pub fn new(bytes: Vec<u8>) -> Result<Self, PlanarLengthError> {
        if !bytes.len().is_multiple_of(IMAGE_BYTES) {
            return Err(PlanarLengthError { len: bytes.len() });
        }
        Ok(PlanarImages(bytes))
    }

    pub fn from_images<'a>(images: impl IntoIterator<Item = &'a [u8; IMAGE_BYTES]>) -> Self {
        PlanarImages(images.into_iter().flatten().copied().collect())
    }

    /// The records' pixels.
    pub fn from_records(records: &[CifarRecord]) -> Self {
        Self::from_images(records.iter().map(|r| &*r.pixels))
    }

    /// How many images.
    pub fn len(&self) -> usize {
        self.0.len() / IMAGE_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The images, each a record's pixels.
    pub fn images(&self) -> &[[u8; IMAGE_BYTES]] {
        let (images, rest) = self.0.as_chunks::<IMAGE_BYTES>();
        debug_assert!(rest.is_empty(), "checked when made");
        images
    }

    /// Images `range` as a batch of their own.
    pub fn slice(&self, range: Range<usize>) -> Self {
        PlanarImages(self.0[range.start * IMAGE_BYTES..range.end * IMAGE_BYTES].to_vec())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<ByteBuf> for PlanarImages {
    type Error = PlanarLengthError;

    fn try_from(bytes: ByteBuf) -> Result<Self, Self::Error> {
        Self::new(bytes.into_vec())
    }
}

impl From<PlanarImages> for ByteBuf {
    fn from(images: PlanarImages) -> Self {
        ByteBuf::from(images.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_holds_whole_images_on_the_wire_too() {
        let a = [1u8; IMAGE_BYTES];
        let b = [2u8; IMAGE_BYTES];
        let batch = PlanarImages::from_images([&a, &b, &a]);
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.images()[1], b);
        assert_eq!(batch.slice(1..3).images(), [b, a]);
        assert_eq!(
            PlanarImages::new(vec![0; IMAGE_BYTES + 1]),
            Err(PlanarLengthError {
                len: IMAGE_BYTES + 1
            })
        );
        // The same bytes as a plain byte buffer on the wire; a wrong length is refused there.
        let json = serde_json::to_string(&batch).unwrap();
        assert_eq!(
            json,
            serde_json::to_string(&ByteBuf::from(batch.as_bytes())).unwrap()
        );
        assert_eq!(serde_json::from_str::<PlanarImages>(&json).unwrap(), batch);
        let short = serde_json::to_string(&ByteBuf::from(vec![0u8; 5])).unwrap();
        let e = serde_json::from_str::<PlanarImages>(&short).unwrap_err();
        assert!(e.to_string().contains("not 5 bytes"), "{e}");
    }
}
