//! Writes docker-archive images of the overlay's tricky cases, to cross-check our
//! reproduction of dive's figures against dive itself (`benches/dive_crosscheck.sh`).
//!
//! `cargo run --example dive_cases -- OUTDIR`

use synth::{Flavour, Image, Options};

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dive-cases".to_string());
    std::fs::create_dir_all(&out)?;
    for (name, layers) in synth::overlay_cases() {
        let image = Image::new(layers).tag(&format!("case:{name}"));
        let bytes = synth::write_archive(&[image], &Options::new(Flavour::DockerLegacy))?;
        std::fs::write(format!("{out}/{name}.tar"), bytes)?;
    }
    Ok(())
}
