//! Any bytes read as an image tar: `inspect` and `verify` return (no panic, no hang), and when
//! both succeed they describe the same images.
#![no_main]

use helm_osc_fuzz::input_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = input_file("x.tar", data);
    let Ok(inspected) = osc_image::inspect(&path) else {
        return;
    };
    if let Ok(verified) = osc_image::verify(&path) {
        assert_eq!(
            inspected, verified,
            "inspect and verify read the same tar differently"
        );
    }
});
