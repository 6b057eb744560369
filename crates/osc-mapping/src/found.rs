//! What the crate takes besides mapping.yaml: key discovery's address parts, and image tars.

use osc_image::ImageArchive;
use osc_render::{AddressPart, KeyPart};

use crate::Part;

/// An image tar of the package: its file name in `images/` and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tar {
    pub file_name: String,
    pub archive: ImageArchive,
}

/// The mapping.yaml field for a key holding `part`; none for a part the platform cannot write.
pub(crate) fn mapping_part(part: AddressPart) -> Option<Part> {
    match part {
        AddressPart::FullAddress => Some(Part::FullAddress),
        AddressPart::Repository => Some(Part::Repository),
        AddressPart::PrefixAddress => Some(Part::PrefixAddress),
        AddressPart::Repo => Some(Part::Repo),
        AddressPart::Endpoint => Some(Part::Endpoint),
        AddressPart::Tag => Some(Part::Tag),
        AddressPart::Digest | AddressPart::Partial => None,
    }
}

/// A key that is `""` or null: it takes effect only once set, often overriding another key of
/// the same part (`global.imageRegistry` over `image.registry`).
pub(crate) fn is_unset(key: &KeyPart) -> bool {
    key.value.is_empty()
}
