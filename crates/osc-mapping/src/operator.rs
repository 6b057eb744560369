//! Operator bundles: the images a CSV holds, and mapping.yaml's `lifecycle` and `instance`
//! entries that tell the platform where to write their new addresses.

mod apply;
mod check;
mod examples;
mod generate;
mod images;

pub use apply::{AppliedCsv, apply_operator};
pub use check::check_operator;
pub use generate::generate_operator;
pub use images::{
    ContainerImage, EnvImageUse, ExampleImage, OperatorImages, RelatedImageUse, UnmovableImage,
    operator_images, operator_images_with_tars,
};
